//! The log context: who is acting, and the UUID that groups everything one action logs.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::user_id::UserId;

thread_local! {
    static ACTIVE: RefCell<Option<LogContext>> = const { RefCell::new(None) };
}

/// A user (or none: the system) and a UUID shared by every entry written while it is active.
///
/// A context is active inside a [`scope`](Self::scope) (synchronous code) or while a future
/// wrapped by [`in_scope`](Self::in_scope) runs (async code: it follows the task, never the
/// thread). An inner context hides the outer one completely; leaving it restores the outer
/// one, also when the code inside returns early or panics. The context only attributes
/// entries: no operation takes its authority from it.
///
/// ```
/// use loggable::LogContext;
///
/// let ctx = LogContext::new(Some(3));
/// let uuid = ctx.uuid();
/// ctx.scope(|| {
///     assert_eq!(LogContext::current().and_then(|c| c.user()), Some(3.into()));
///     assert_eq!(LogContext::current().and_then(|c| c.uuid()), uuid);
/// });
/// assert!(LogContext::current().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogContext {
    user: Option<UserId>,
    uuid: Option<Uuid>,
    at: Option<DateTime<Utc>>,
}

impl LogContext {
    /// A context for `user` (`None`: the system) with a fresh UUID. It is time-ordered (v7:
    /// a millisecond timestamp, then random bits; later contexts of a process sort after
    /// earlier ones), so each new action's entries land at the end of the uuid index instead of
    /// at a random place in it: fewer index pages to write per commit (Wagtail's v4 UUIDs
    /// scatter them).
    pub fn new(user: Option<impl Into<UserId>>) -> Self {
        Self {
            user: user.map(Into::into),
            uuid: Some(Uuid::now_v7()),
            at: None,
        }
    }

    /// A context for the system (no user) with a fresh UUID: scheduled jobs, imports.
    pub fn system() -> Self {
        Self::new(None::<UserId>)
    }

    /// A context for `user` whose entries carry no UUID.
    pub fn without_uuid(user: Option<impl Into<UserId>>) -> Self {
        Self {
            user: user.map(Into::into),
            uuid: None,
            at: None,
        }
    }

    /// A context with a UUID chosen by the caller (e.g. one carried over from a request).
    pub fn with_uuid(user: Option<impl Into<UserId>>, uuid: Uuid) -> Self {
        Self {
            user: user.map(Into::into),
            uuid: Some(uuid),
            at: None,
        }
    }

    /// The same context, with entries stamped `at` unless they give a time of their own:
    /// for replaying history (imports, fixtures, demos) as it happened.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use loggable::{LogContext, ObjectRef, log};
    ///
    /// let mut conn = loggable::db::connect(":memory:")?;
    /// loggable::db::run_migrations(&mut conn)?;
    /// let monday = Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap();
    /// let entry = LogContext::new(Some(1)).at(monday).scope(|| {
    ///     log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit").write(&mut conn)
    /// })?;
    /// assert_eq!(entry.timestamp, monday);
    /// # Ok::<(), loggable::Error>(())
    /// ```
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = Some(at);
        self
    }

    /// The time entries in this context are stamped with, when one was set.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.at
    }

    /// The acting user; `None` is the system.
    pub fn user(&self) -> Option<UserId> {
        self.user.clone()
    }

    /// The UUID entries written in this context share.
    pub fn uuid(&self) -> Option<Uuid> {
        self.uuid
    }

    /// The context active here: inside a [`scope`](Self::scope) on this thread, or inside a
    /// future wrapped by [`in_scope`](Self::in_scope) while it runs.
    pub fn current() -> Option<LogContext> {
        ACTIVE.with(|active| active.borrow().clone())
    }

    /// Runs `body` with this context active, and restores the previous one afterwards, also
    /// when `body` panics. Scopes nest and always leave in the order they were entered: there
    /// is no guard to drop out of order.
    pub fn scope<R>(&self, body: impl FnOnce() -> R) -> R {
        let _restore = Restore(ACTIVE.with(|active| active.borrow_mut().replace(self.clone())));
        body()
    }

    /// `future` with this context active whenever it runs, and only then: each poll enters it
    /// and leaves it before returning, so the context follows the task across `.await`s and
    /// threads, and no other task polled on the same thread ever sees it. What the future
    /// hands to a blocking thread takes the context along with [`carry`](Self::carry).
    ///
    /// ```
    /// use loggable::LogContext;
    ///
    /// let request = LogContext::new(Some(7));
    /// let seen = futures_lite_block_on(request.in_scope(async {
    ///     LogContext::current().and_then(|c| c.user())
    /// }));
    /// assert_eq!(seen, Some(7.into()));
    /// assert_eq!(LogContext::current(), None);
    /// # fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     let waker = std::task::Waker::noop();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut future = std::pin::pin!(future);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
    /// #             return out;
    /// #         }
    /// #     }
    /// # }
    /// ```
    pub fn in_scope<F: Future>(&self, future: F) -> Scoped<F> {
        Scoped {
            context: self.clone(),
            future: Box::pin(future),
        }
    }

    /// `body` with the context active now (if any) active again wherever it runs: for work
    /// handed to another thread, such as `tokio::task::spawn_blocking` or a blocking pool's
    /// `interact`.
    ///
    /// ```
    /// use loggable::LogContext;
    ///
    /// let work = LogContext::new(Some(3)).scope(|| {
    ///     LogContext::carry(|| LogContext::current().and_then(|c| c.user()))
    /// });
    /// let user = std::thread::spawn(work).join().unwrap();
    /// assert_eq!(user, Some(3.into()));
    /// ```
    pub fn carry<R>(body: impl FnOnce() -> R) -> impl FnOnce() -> R {
        let context = Self::current();
        move || match context {
            Some(context) => context.scope(body),
            None => body(),
        }
    }
}

/// A future running with a [`LogContext`]: see [`LogContext::in_scope`].
#[must_use = "futures do nothing unless polled"]
pub struct Scoped<F> {
    context: LogContext,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        this.context.scope(|| this.future.as_mut().poll(cx))
    }
}

impl<F> std::fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scoped")
            .field("context", &self.context)
            .finish()
    }
}

/// Puts back the context a scope replaced, on return and on unwinding.
struct Restore(Option<LogContext>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        ACTIVE.with(|active| *active.borrow_mut() = previous);
    }
}
