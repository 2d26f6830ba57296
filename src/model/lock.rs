//! Locking: `wagtail.lock` / `wagtail.unlock`, written only when the state changes.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Map;

use super::lifecycle::{check_lock, find, in_transaction};
use super::{LogOptions, Model, ModelStore};
use crate::db::LogConnection;
use crate::error::{DatabaseContext, Result};
use crate::user_id::UserId;

/// The lock columns of a lockable model.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockState {
    /// Whether the object is locked.
    pub locked: bool,
    /// When it was locked.
    pub locked_at: Option<NaiveDateTime>,
    /// Who locked it.
    pub locked_by: Option<UserId>,
}

/// A model with `locked`, `locked_at` and `locked_by` columns (`#[loggable(lockable)]`).
pub trait Lockable<C: ?Sized>: ModelStore<C> {
    /// Writes the lock columns of the row with `key`; returns the row as stored.
    fn store_lock_state(conn: &mut C, key: &Self::Key, state: &LockState) -> QueryResult<Self>;
}

/// Locks the row with `key` for user `by` and logs `wagtail.lock` as `by`; a row locked
/// already is left as it is and nothing is logged. Returns the row as stored. From then on,
/// only `by` may update, publish, delete or unlock it (unless a call overrides the lock:
/// [`LogOptions::override_lock`]).
pub(crate) fn lock<M: Lockable<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    by: impl Into<UserId>,
    options: &LogOptions,
) -> Result<M> {
    set_locked(conn, key, true, by.into(), options)
}

/// Unlocks the row with `key` as user `by` and logs `wagtail.unlock` as `by`; an unlocked row
/// is left as it is and nothing is logged. Only the lock's holder may unlock, unless the
/// options override the lock (an administrator's unlock). Returns the row as stored.
pub(crate) fn unlock<M: Lockable<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    by: impl Into<UserId>,
    options: &LogOptions,
) -> Result<M> {
    set_locked(conn, key, false, by.into(), options)
}

fn set_locked<M: Lockable<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    locked: bool,
    by: UserId,
    options: &LogOptions,
) -> Result<M> {
    let options = &options.clone().user(by.clone());
    in_transaction(conn, |conn| {
        let current = find::<M, _>(conn, key)?;
        if current.lock_state().is_some_and(|s| s.locked) == locked {
            return Ok(current);
        }
        if !locked {
            check_lock(&current, options)?;
        }
        let state = if locked {
            LockState {
                locked: true,
                locked_at: Some(crate::entry::next_timestamp().naive_utc()),
                locked_by: Some(by.clone()),
            }
        } else {
            LockState::default()
        };
        let row = M::store_lock_state(conn, key, &state).context("locking the object")?;
        let action = if locked {
            "wagtail.lock"
        } else {
            "wagtail.unlock"
        };
        options.write(conn, options.entry(&row, action, true, Map::new())?)?;
        Ok(row)
    })
}

/// Locking for a lockable model (`#[loggable(lockable)]`): `#[derive(Loggable)]` implements
/// it; import it (or `loggable::prelude::*`) to call it.
///
/// Who locks and unlocks is named explicitly (`by`): the log context attributes entries but
/// never grants authority over a lock.
pub trait Locking: Model {
    /// Locks the row for user `by` and logs `wagtail.lock` as `by`; a locked row is left
    /// alone and nothing is logged. Returns the row as stored. Until unlocked, only `by` (named
    /// with [`LogOptions::user`]) may update, publish or delete it.
    fn lock<C: LogConnection>(
        &self,
        conn: &mut C,
        by: impl Into<UserId>,
        options: &LogOptions,
    ) -> Result<Self>
    where
        Self: Lockable<C>,
    {
        lock::<Self, C>(conn, &self.key(), by, options)
    }

    /// Unlocks the row as user `by`, its lock's holder, and logs `wagtail.unlock`; an
    /// unlocked row is left alone and nothing is logged. Returns the row as stored.
    /// [`LogOptions::override_lock`] lets an administrator unlock another user's lock.
    fn unlock<C: LogConnection>(
        &self,
        conn: &mut C,
        by: impl Into<UserId>,
        options: &LogOptions,
    ) -> Result<Self>
    where
        Self: Lockable<C>,
    {
        unlock::<Self, C>(conn, &self.key(), by, options)
    }
}
