//! Locking: `wagtail.lock` / `wagtail.unlock`, written only when the state changes.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Map;

use super::lifecycle::{LogOptions, ModelStore, find, in_transaction};
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
    /// The lock columns of this row.
    fn lock_state(&self) -> LockState;

    /// Writes the lock columns of the row with `key`; returns the row as stored.
    fn store_lock_state(conn: &mut C, key: &Self::Key, state: &LockState) -> QueryResult<Self>;
}

/// Locks the row with `key` for the acting user and logs `wagtail.lock`; a locked row is left
/// as it is and nothing is logged. Returns the row as stored.
pub fn lock<M: Lockable<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    options: &LogOptions,
) -> Result<M> {
    set_locked(conn, key, true, options)
}

/// Unlocks the row with `key` and logs `wagtail.unlock`; an unlocked row is left as it is and
/// nothing is logged. Returns the row as stored.
pub fn unlock<M: Lockable<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    options: &LogOptions,
) -> Result<M> {
    set_locked(conn, key, false, options)
}

fn set_locked<M: Lockable<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    locked: bool,
    options: &LogOptions,
) -> Result<M> {
    in_transaction(conn, |conn| {
        let current = find::<M, _>(conn, key)?;
        if current.lock_state().locked == locked {
            return Ok(current);
        }
        let state = if locked {
            LockState {
                locked: true,
                locked_at: Some(crate::entry::next_timestamp().naive_utc()),
                locked_by: options.acting_user(),
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
