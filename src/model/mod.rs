//! Derived models: the traits `#[derive(Loggable)]` implements for an application's Diesel
//! model, and the operations built on them ([`Lifecycle`], [`Locking`]), each writing the
//! change and its entries in one transaction.

mod bulk;
mod lifecycle;
mod lock;
#[cfg(feature = "postgres")]
mod one_statement;
mod options;
mod traits;

/// What the code `#[derive(Loggable)]` generates names; not for applications.
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub mod __private {
    pub use super::one_statement::{DeclinePostgres, OfferPostgres, PostgresOffer};
}
#[cfg(feature = "postgres")]
#[doc(hidden)]
pub use self::one_statement::PostgresStatement;

/// Expands to its input when loggable is built with PostgreSQL, else to nothing: the
/// derive's PostgreSQL-only items go through it, as the derive cannot see loggable's
/// features.
#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __postgres_only {
    ($($item:tt)*) => { $($item)* };
}

/// See the PostgreSQL build's.
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __postgres_only {
    ($($item:tt)*) => {};
}

pub(crate) use self::bulk::log_deletes;
pub use self::bulk::{BulkEntries, log_bulk, prepare_bulk};
pub(crate) use self::bulk::{delete_many, update_many};
pub use self::lifecycle::Lifecycle;
pub(crate) use self::lifecycle::{check_lock, find, in_transaction, save_revision};
pub use self::lock::{LockState, Lockable, Locking};
pub use self::options::LogOptions;
pub use self::traits::{
    ChangeRows, Deletable, FieldChanges, FilterRows, Model, ModelStore, NewRow, Registered,
    RevisionContent,
};

use chrono::NaiveDateTime;

/// The draft-state columns (and, for scheduled models, the schedule columns) of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DraftState {
    /// Whether a version is published.
    pub live: bool,
    /// Whether the latest revision is newer than the live one.
    pub has_unpublished_changes: bool,
    /// When it was first published.
    pub first_published_at: Option<NaiveDateTime>,
    /// When it was last published.
    pub last_published_at: Option<NaiveDateTime>,
    /// The published revision.
    pub live_revision_id: Option<i64>,
    /// The newest revision.
    pub latest_revision_id: Option<i64>,
    /// When the draft should go live (scheduling only).
    pub go_live_at: Option<NaiveDateTime>,
    /// When the live version should be withdrawn (scheduling only).
    pub expire_at: Option<NaiveDateTime>,
    /// Whether it was withdrawn by expiry (scheduling only).
    pub expired: bool,
}
