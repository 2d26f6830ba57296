//! loggable's history pages for axum applications: the **site history** (every entry the
//! request's user may see, filtered, paged, downloadable as CSV or JSON Lines) and each
//! object's **history**, as a [`Router`] the application mounts where it likes.
//!
//! The application gives its connection pool (any [`Connections`], e.g. `deadpool_diesel`'s),
//! its registry and a way to know the request's user (a CMS-layer user id: the pages show
//! what that user may see, as the library's permission filter decides).
//!
//! ```no_run
//! use std::sync::Arc;
//! use loggable::db::DbConnection;
//! use loggable_web::HistoryPages;
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = deadpool_diesel::Manager::<DbConnection>::new(
//!     "app.sqlite3",
//!     deadpool_diesel::Runtime::Tokio1,
//! );
//! let pool = deadpool_diesel::Pool::builder(manager).build()?;
//! let pages = HistoryPages::new(pool, loggable::registry::global(), |request| {
//!     // Your session's user; here a header, for the example only.
//!     request.headers.get("x-user")?.to_str().ok()?.parse().ok()
//! });
//! let app = axum::Router::new().nest("/admin/history", pages.router());
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! Every page works without JavaScript. Bad parameters are a 400 naming them, an unknown object
//! a 404, a request without a user a 403, and a database that cannot be reached a 503 (the
//! next request tries again).

mod connections;
mod pages;
mod query;
mod render;

use std::sync::Arc;

use axum::Router;
use axum::http::request::Parts;
use chrono::{FixedOffset, Offset, Utc};
use loggable::registry::Registry;

pub use crate::connections::{Connections, Unavailable};

/// Who is asking: the request's user as a CMS-layer user id, `None` for nobody.
type UserOf = dyn Fn(&Parts) -> Option<i64> + Send + Sync;

/// The request's time zone, as an offset from UTC, if it says.
type OffsetOf = dyn Fn(&Parts) -> Option<FixedOffset> + Send + Sync;

/// The history pages of one application: where they read, what they know of actions and
/// models, and who is asking.
pub struct HistoryPages<P> {
    connections: P,
    registry: Arc<Registry>,
    user_of: Arc<UserOf>,
    offset: FixedOffset,
    offset_of: Option<Arc<OffsetOf>>,
}

impl<P: Clone> Clone for HistoryPages<P> {
    fn clone(&self) -> Self {
        Self {
            connections: self.connections.clone(),
            registry: Arc::clone(&self.registry),
            user_of: Arc::clone(&self.user_of),
            offset: self.offset,
            offset_of: self.offset_of.clone(),
        }
    }
}

impl<P: Connections> HistoryPages<P> {
    /// Pages reading through `connections`, labelling with `registry`, showing each request
    /// what `user_of` its request may see. Dates show in UTC until [`utc_offset`](Self::utc_offset).
    pub fn new(
        connections: P,
        registry: Arc<Registry>,
        user_of: impl Fn(&Parts) -> Option<i64> + Send + Sync + 'static,
    ) -> Self {
        Self {
            connections,
            registry,
            user_of: Arc::new(user_of),
            offset: Utc.fix(),
            offset_of: None,
        }
    }

    /// Shows dates, and counts whole days in date filters, at this offset from UTC.
    pub fn utc_offset(mut self, offset: FixedOffset) -> Self {
        self.offset = offset;
        self
    }

    /// Takes each request's time zone from the request where it says (a cookie, the user's
    /// profile in the session), else [`utc_offset`](Self::utc_offset)'s.
    pub fn utc_offset_of(
        mut self,
        offset_of: impl Fn(&Parts) -> Option<FixedOffset> + Send + Sync + 'static,
    ) -> Self {
        self.offset_of = Some(Arc::new(offset_of));
        self
    }

    /// The time zone `request` is shown in.
    fn offset_for(&self, request: &Parts) -> FixedOffset {
        self.offset_of
            .as_ref()
            .and_then(|offset_of| offset_of(request))
            .unwrap_or(self.offset)
    }

    /// The router: `/` the site history, `/export?format=csv|jsonl` its download (same
    /// filters), `/object/{type}/{id}` one object's history.
    pub fn router(self) -> Router {
        pages::router(self)
    }
}
