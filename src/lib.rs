//! # loggable
//!
//! A model-level audit log for Diesel applications, after Wagtail's "log actions": every
//! create, edit, delete, publish, lock and workflow step is recorded as an entry that says who
//! did what, when, to which object, grouped with the other entries of the same user action.
//!
//! Every operation takes the application's own Diesel connection (`PgConnection`,
//! `SqliteConnection`, a pooled one, or its `MultiConnection` enum: see
//! [`db::LogConnection`]) and runs in the transaction the application holds.
//! `#[derive(Loggable)]` on the application's models gives them lifecycle operations that write
//! the change and its entries together (see [`Loggable`](trait@Loggable)).
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use diesel::Connection;
//! use loggable::{LogContext, ObjectRef, log};
//!
//! let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
//! loggable::db::run_migrations(&mut conn)?;
//!
//! // One user action: everything logged inside shares the user and one UUID.
//! let page = ObjectRef::new("cms.simplepage", 3).title("About us");
//! let sprocket = ObjectRef::new("shop.sprocket", 9).title("Left sprocket");
//! loggable::register_model(loggable::registry::ModelType::page("cms.simplepage"));
//! let (a, b) = LogContext::new(Some(1)).scope(|| -> loggable::Result<_> {
//!     let a = log(&page, "wagtail.publish").write(&mut conn)?;
//!     let b = log(&sprocket, "wagtail.edit").content_changed(true).write(&mut conn)?;
//!     Ok((a, b))
//! })?;
//! assert_eq!(a.uuid, b.uuid);
//! assert_eq!(a.log_table, "loggable_page_log_entries");
//! assert_eq!(b.log_table, "loggable_model_log_entries");
//!
//! let registry = loggable::registry::global();
//! assert_eq!(registry.message(&b), "Edited");
//! # }
//! # Ok::<(), loggable::Error>(())
//! ```

// Lets `#[derive(Loggable)]` name `::loggable` inside this crate too.
extern crate self as loggable;

pub mod action;
pub mod context;
pub mod db;
pub mod entry;
mod error;
pub mod export;
pub mod integrity;
pub mod model;
pub mod page;
pub mod permission;
pub mod privacy;
pub mod registry;
pub mod report;
pub mod retention;
pub mod revision;
pub mod schema;
pub mod user;
mod user_id;
#[cfg(feature = "tower")]
pub mod web;
pub mod workflow;

pub use crate::context::{LogContext, Scoped};
pub use crate::db::DbConnection;
pub use crate::entry::{LogEntry, log};
pub use crate::error::{Error, JsonKind, Result};
pub use crate::model::{Loggable, ObjectRef};
pub use crate::registry::{register_action, register_model};
pub use crate::user_id::{UserDirectory, UserId, UserKey};
pub use loggable_derive::Loggable;

/// Paths the macros expand to; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use chrono;
    pub use diesel;
    pub use serde_json;
}

/// Compiles the README's example as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
