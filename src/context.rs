//! The log context: who is acting, and the UUID that groups everything one action logs.

use std::cell::RefCell;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::user_id::UserId;

thread_local! {
    static ACTIVE: RefCell<Option<LogContext>> = const { RefCell::new(None) };
}

/// A user (or none: the system) and a UUID shared by every entry written while it is active.
///
/// Contexts are per thread: entering one on a thread never affects another thread. An inner
/// context hides the outer one completely; leaving it restores the outer one, also when the
/// code inside returns early or panics.
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

    /// The context active on this thread, if any.
    pub fn current() -> Option<LogContext> {
        ACTIVE.with(|active| active.borrow().clone())
    }

    /// Makes this context active until the returned guard is dropped.
    #[must_use = "the context is left as soon as the guard is dropped"]
    pub fn enter(&self) -> LogContextGuard {
        let previous = ACTIVE.with(|active| active.borrow_mut().replace(self.clone()));
        LogContextGuard {
            previous,
            _not_send: PhantomData,
        }
    }

    /// Runs `body` with this context active, and restores the previous one afterwards.
    pub fn scope<R>(&self, body: impl FnOnce() -> R) -> R {
        let _guard = self.enter();
        body()
    }
}

/// Keeps a [`LogContext`] active; dropping it restores the context that was active before.
///
/// The guard cannot be sent to another thread: the context belongs to the thread that
/// entered it.
#[derive(Debug)]
pub struct LogContextGuard {
    previous: Option<LogContext>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for LogContextGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ACTIVE.with(|active| *active.borrow_mut() = previous);
    }
}
