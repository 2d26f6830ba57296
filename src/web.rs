//! A tower layer for web applications (feature `tower`): one log context per request, with
//! the user the application finds in the request and one UUID per request, so handlers log
//! with the right user without passing it.
//!
//! ```
//! use http::HeaderName;
//! use loggable::web::{LogContextLayer, UserHeader};
//!
//! // Behind a proxy that authenticates and sets `x-user-id`; the request id, when it is a
//! // UUID, becomes the user action's UUID.
//! let layer = LogContextLayer::new(UserHeader::new(HeaderName::from_static("x-user-id")))
//!     .request_id_header(HeaderName::from_static("x-request-id"));
//! # let _ = layer;
//! ```
//!
//! An axum application adds it with `Router::layer`. Diesel runs on blocking threads: wrap
//! the closure given to `tokio::task::spawn_blocking` (or a pool's `interact`) in
//! [`LogContext::carry`] so that it logs as the request's user.

use std::task::{Context, Poll};

use http::{Extensions, HeaderMap, HeaderName, Request};
use tower_layer::Layer;
use tower_service::Service;
use uuid::Uuid;

use crate::context::Scoped;
use crate::{LogContext, UserId};

/// Finds the acting user of a request: in a header, or in what the application's own
/// authentication put into the request's extensions (a session).
///
/// Implemented for closures `Fn(&HeaderMap, &Extensions) -> Option<UserId>` and for
/// [`UserHeader`].
pub trait RequestUser: Clone + Send + Sync + 'static {
    /// The user the request acts for; `None` logs as the system.
    fn user(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<UserId>;
}

impl<F> RequestUser for F
where
    F: Fn(&HeaderMap, &Extensions) -> Option<UserId> + Clone + Send + Sync + 'static,
{
    fn user(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<UserId> {
        self(headers, extensions)
    }
}

/// The user named by a request header (set by an authenticating proxy); a UUID is stored in
/// its canonical form.
#[derive(Debug, Clone)]
pub struct UserHeader(HeaderName);

impl UserHeader {
    /// The user is the value of header `name`.
    pub fn new(name: HeaderName) -> Self {
        Self(name)
    }
}

impl RequestUser for UserHeader {
    fn user(&self, headers: &HeaderMap, _extensions: &Extensions) -> Option<UserId> {
        let value = headers.get(&self.0)?.to_str().ok()?.trim();
        if value.is_empty() {
            return None;
        }
        Some(Uuid::parse_str(value).map_or_else(|_| UserId::from(value), UserId::from))
    }
}

/// Opens a [`LogContext`] for each request (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct LogContextLayer<U> {
    user: U,
    request_id: Option<HeaderName>,
}

impl<U: RequestUser> LogContextLayer<U> {
    /// Each request's context acts for the user `user` finds, with a fresh UUID.
    pub fn new(user: U) -> Self {
        Self {
            user,
            request_id: None,
        }
    }

    /// Takes the context's UUID from this header when it holds a UUID (a request id set by
    /// a proxy), so the log and the request logs share it.
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        self.request_id = Some(name);
        self
    }
}

impl<S, U: Clone> Layer<S> for LogContextLayer<U> {
    type Service = LogContextService<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        LogContextService {
            inner,
            user: self.user.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// The service [`LogContextLayer`] wraps around the application's.
#[derive(Debug, Clone)]
pub struct LogContextService<S, U> {
    inner: S,
    user: U,
    request_id: Option<HeaderName>,
}

impl<S, U, B> Service<Request<B>> for LogContextService<S, U>
where
    S: Service<Request<B>>,
    U: RequestUser,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Scoped<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let user = self.user.user(request.headers(), request.extensions());
        let request_id = self
            .request_id
            .as_ref()
            .and_then(|name| request.headers().get(name))
            .and_then(|value| value.to_str().ok())
            .and_then(|text| Uuid::parse_str(text.trim()).ok());
        let context = match request_id {
            Some(uuid) => LogContext::with_uuid(user, uuid),
            None => LogContext::new(user),
        };
        let future = context.scope(|| self.inner.call(request));
        context.in_scope(future)
    }
}
