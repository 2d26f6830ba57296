//! Derived models: the traits `#[derive(Loggable)]` implements for an application's Diesel
//! model, and the operations built on them ([`Lifecycle`], [`Locking`]), each writing the
//! change and its entries in one transaction.

mod bulk;
mod lifecycle;
mod lock;
mod new_row;
#[cfg(feature = "postgres")]
mod one_statement;
mod options;
mod traits;

/// What the code `#[derive(Loggable)]` generates names; not for applications.
#[doc(hidden)]
pub mod __private {
    pub use super::new_row::{
        DeclineInsert, DeclineKey, InsertOffer, KeyFromId, OfferInsert, OfferKey, StatementOffer,
    };
    #[cfg(feature = "mysql")]
    pub use super::new_row::{
        DeclineMysqlInsert, DeclineMysqlLoad, OfferMysqlInsert, OfferMysqlLoad,
    };
    #[cfg(feature = "postgres")]
    pub use super::new_row::{DeclinePostgresLoad, OfferPostgresLoad};
    #[cfg(feature = "sqlite")]
    pub use super::new_row::{DeclineSqliteLoad, OfferSqliteLoad};
    #[cfg(feature = "postgres")]
    pub use super::one_statement::{DeclinePostgres, OfferPostgres, PostgresOffer};
    #[cfg(feature = "mysql")]
    pub use diesel::MysqlConnection;
    #[cfg(feature = "postgres")]
    pub use diesel::PgConnection;
    #[cfg(feature = "sqlite")]
    pub use diesel::SqliteConnection;
}
#[doc(hidden)]
pub use self::new_row::NewRowStatements;
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

/// Its tokens when loggable is built with SQLite, else nothing.
#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlite_only {
    ($($item:tt)*) => { $($item)* };
}

/// Its tokens when loggable is built with SQLite, else nothing.
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __sqlite_only {
    ($($item:tt)*) => {};
}

/// Its tokens when loggable is built with MySQL, else nothing.
#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __mysql_only {
    ($($item:tt)*) => { $($item)* };
}

/// Its tokens when loggable is built with MySQL, else nothing.
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __mysql_only {
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
