//! The newsroom's web front (feature `web`): an axum router. loggable's tower layer gives
//! each request its log context: the user an authenticating proxy names in `x-user-id`, and
//! the request's own UUID from `x-request-id`. Handlers run Diesel on blocking threads,
//! carrying the context there with `LogContext::carry`; decisions (who may change a locked
//! article) take the user from the request explicitly, never from the context.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::routing::put;
use diesel::prelude::*;
use loggable::LogContext;
use loggable::model::LogOptions;
use loggable::prelude::*;
use loggable::web::{LogContextLayer, RequestUser, UserHeader};

use crate::{Article, Error, Pool};

const USER_HEADER: HeaderName = HeaderName::from_static("x-user-id");
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The newsroom's routes on `pool`.
pub fn router(pool: Pool) -> Router {
    Router::new()
        .route("/articles/{id}/title", put(retitle))
        .layer(
            LogContextLayer::new(UserHeader::new(USER_HEADER)).request_id_header(REQUEST_ID_HEADER),
        )
        .with_state(pool)
}

/// `PUT /articles/{id}/title` with the new title as the body: 204, or 404 for no such
/// article, 409 when another user holds its lock.
async fn retitle(
    State(pool): State<Pool>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    title: String,
) -> StatusCode {
    // Authority comes from the request itself; the context only attributes the entries.
    let acting = UserHeader::new(USER_HEADER).user(&headers, &Default::default());
    let work = LogContext::carry(move || -> Result<(), Error> {
        let mut conn = pool.get().map_err(|e| Error::Pool(e.to_string()))?;
        conn.transaction(|conn| {
            let old = Article::find(conn, &id)?;
            let mut new = old.clone();
            new.title = title;
            let mut options = LogOptions::new();
            if let Some(user) = acting {
                options = options.user(user);
            }
            new.update_over(conn, &old, &options)?;
            Ok(())
        })
    });
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT,
        Ok(Err(Error::Log(loggable::Error::NotFound { .. }))) => StatusCode::NOT_FOUND,
        Ok(Err(Error::Log(loggable::Error::Locked { .. }))) => StatusCode::CONFLICT,
        Ok(Err(_)) | Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
