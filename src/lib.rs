//! # loggable
//!
//! A model-level audit log for Diesel applications, after Wagtail's "log actions": every
//! create, edit, delete, publish, lock and workflow step is recorded as an entry that says who
//! did what, when, to which object, grouped with the other entries of the same user action.
//!
//! Derive [`Loggable`](derive@Loggable) on the application's own Diesel model: its lifecycle
//! operations write the change and its entries in one transaction, on the application's own
//! connection (`PgConnection`, `SqliteConnection`, a pooled one, or its `MultiConnection`
//! enum: see [`db::LogConnection`]), inside the transaction it holds.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use diesel::prelude::*;
//! use loggable::prelude::*;
//! use loggable::model::LogOptions;
//!
//! diesel::table! {
//!     articles (id) {
//!         id -> BigInt,
//!         title -> Text,
//!     }
//! }
//!
//! #[derive(Debug, Clone, Queryable, Insertable, serde::Serialize, Loggable)]
//! #[diesel(table_name = articles)]
//! #[loggable(content_type = "news.article", title = title, new = Self)]
//! struct Article {
//!     id: i64,
//!     title: String,
//! }
//!
//! let mut conn = SqliteConnection::establish(":memory:").unwrap();
//! loggable::db::run_migrations(&mut conn)?;
//! # diesel::sql_query("CREATE TABLE articles (id BIGINT PRIMARY KEY, title TEXT NOT NULL)")
//! #     .execute(&mut conn).unwrap();
//! loggable::register_model(Article::model_type());
//!
//! // One user action: everything logged inside shares the user and one UUID.
//! let plain = LogOptions::default();
//! let article = LogContext::new(Some(7)).scope(|| -> loggable::Result<Article> {
//!     let draft = Article::create(&mut conn, &Article { id: 1, title: "Draft".into() }, &plain)?;
//!     let fixed = Article { title: "Final".into(), ..draft.clone() };
//!     fixed.update_over(&mut conn, &draft, &plain)?;
//!     Ok(fixed)
//! })?;
//!
//! let registry = loggable::registry::global();
//! let history = loggable::entries_for_object(&mut conn, &registry, &article)?;
//! assert_eq!(history[0].action, "wagtail.edit");
//! assert_eq!(history[0].data["changes"]["title"], serde_json::json!(["Draft", "Final"]));
//! assert_eq!(history[1].action, "wagtail.create");
//! assert_eq!(history[0].uuid, history[1].uuid);
//! assert_eq!(registry.message(&history[0]), "Edited");
//!
//! // Anything else is logged by hand.
//! let sprocket = ObjectRef::new("shop.sprocket", 9).title("Left sprocket");
//! log(&sprocket, "wagtail.lock").write(&mut conn)?;
//! # }
//! # Ok::<(), loggable::Error>(())
//! ```
//!
//! ## The modules, by layer
//!
//! Each layer builds on the ones above it in this table and never reaches into the ones
//! below; within a layer, a module uses only those listed before it. A test holds the code to
//! this map.
//!
//! | Layer | Modules | What lives there |
//! |---|---|---|
//! | plumbing | `user_id`, `error`, [`db`], `schema` | user keys; the error type; connections, transactions, migrations; the tables |
//! | core | `directory`, `context`, [`entry`], `object`, [`registry`], `log`, [`revision`], [`model`] | display names of users, the log context, entries and log tables, actions and model types, `log()`, revisions, derived models |
//! | on entries | [`integrity`], [`retention`], [`report`], [`export`], `web` | the hash chain, purging, history reports, export, the tower layer |
//! | CMS | [`user`], `moderation`, [`publishing`], [`privacy`], [`page`], [`permission`], [`workflow`] | accounts, moderation runs, drafts and publishing, view restrictions, the page tree, permissions and visibility, workflows |
//!
//! An application `use`s [`prelude`] and, for more, the module it needs.

// Lets `#[derive(Loggable)]` name `::loggable` inside this crate too.
extern crate self as loggable;

// The modules in layer order (the map above): each imports only modules listed before it.
// Plumbing.
mod user_id;
mod error;
pub mod db;
mod schema;
// The audit-log core.
mod directory;
mod context;
pub mod entry;
mod object;
pub mod registry;
mod log;
pub mod revision;
pub mod model;
// What builds on entries.
pub mod integrity;
pub mod retention;
pub mod report;
pub mod export;
#[cfg(feature = "tower")]
pub mod web;
// The CMS layer.
pub mod user;
mod moderation;
pub mod publishing;
pub mod privacy;
pub mod page;
pub mod permission;
pub mod workflow;

pub use crate::context::{LogContext, Scoped};
pub use crate::directory::{DisplayNames, UserDirectory};
pub use crate::entry::LogEntry;
pub use crate::error::{Contention, Error, JsonKind, Result};
pub use crate::log::{
    LogBuilder, entries_by_user, entries_for_content_type, entries_for_object, history_for_object,
    log,
};
pub use crate::object::{Loggable, ObjectRef};
pub use crate::registry::{register_action, register_model};
pub use crate::user_id::{UserId, UserKey};
/// On a struct with named fields. Every attribute is optional; one `#[loggable(...)]` may hold
/// several, comma-separated.
///
/// | struct attribute | meaning | default |
/// |---|---|---|
/// | `content_type = "app.model"` | the type name entries record | `"{crate}.{struct in lower case}"` |
/// | `content_type_field = field` | a text field holding each row's specific type (page types); `content_type` then names the base type revisions are filed under | |
/// | `verbose_name = "..."` | the human name used in messages | the struct name spaced and lower-cased (`BlogPage` → `blog page`) |
/// | `title = field` | the field whose text is the entry label | none: labels read `"{Struct} object ({pk})"` |
/// | `title_fn = method` | a `&self` method returning something `Display` for the label | |
/// | `primary_key = field` | the primary key (`Option<_>` = not saved yet; not allowed with a table) | the field `id` |
/// | `log_table = CONST` | the model's own log table (a constant [`log_table!`](crate::log_table) declares) | the generic table |
/// | `table = module` | the Diesel table; turns on the lifecycle operations | `#[diesel(table_name = ...)]` |
/// | `new = Type` | the `Insertable` that `create` takes by reference (`new = Self` when the struct is one; `Type<'_>` when it has a lifetime) | no `create` |
/// | `lockable` | `lock(conn, by, options)` / `unlock(conn, by, options)`; while locked, only the holder (named with [`LogOptions::user`](crate::model::LogOptions::user)) or an override ([`LogOptions::override_lock`](crate::model::LogOptions::override_lock)) updates, publishes or deletes the row, else [`Error::Locked`]; needs fields `locked`, `locked_at`, `locked_by` (any [`UserKey`] type) | off |
/// | `revisions` | every create and update saves a revision (JSON, via `Serialize`) the entry points at | off |
/// | `draft_state` | [`Publishing`](crate::publishing::Publishing): `save_draft`, `publish`, `save_and_publish`, `unpublish`; needs `live`, `has_unpublished_changes`, `first_published_at`, `last_published_at`, `live_revision_id`, `latest_revision_id`, and `Deserialize`; implies `revisions` | off |
/// | `scheduling` | `publish` of a revision whose `go_live_at` is in the future schedules it; `cancel_schedule`, `run_scheduled`; needs `go_live_at`, `expire_at`, `expired`; implies `draft_state` | off |
/// | `privacy` | [`Private`](crate::privacy::Private): `set_restriction`, `remove_restriction`, `restriction` | off |
/// | `live_title = field` | the published title the rename rule compares, where it differs from the entry title (pages: `title`, not the draft title) | the entry title |
/// | `custom_delete` | the model deletes its own way (a page takes its subtree): no `delete`, `delete_where` | off |
///
/// | field attribute | meaning |
/// |---|---|
/// | `verbose_name = "..."` | the field's human name in comment messages (default: its name with spaces) |
/// | `skip` | left out of `data.changes` (still saved) |
/// | `redact` | `data.changes` records that it changed as `["[redacted]", "[redacted]"]`, never its values |
/// | `managed` | kept by dedicated operations (e.g. a page's tree position): `update` and `publish` never write it, and it is not compared |
///
/// The derive implements traits only, inside an anonymous `const`: it adds no names to your
/// scope and no inherent methods to your struct. Every model implements
/// [`Registered`](crate::model::Registered) (`CONTENT_TYPE`, and `model_type()` to pass to
/// [`register_model`] at start-up). A model with a table gets its
/// operations through traits you import (all in [`prelude`]):
/// [`Lifecycle`](crate::model::Lifecycle) (`find`, `create`, `update`, `update_over`,
/// `delete`, `update_where`, `delete_where`), [`Locking`](crate::model::Locking) (`lock`,
/// `unlock`), [`Publishing`](crate::publishing::Publishing) (`save_draft`, `publish`,
/// `save_and_publish`, `unpublish`, `cancel_schedule`, `run_scheduled`) and
/// [`Private`](crate::privacy::Private). Each takes one [`LogOptions`](crate::model::LogOptions)
/// argument (suppress, another action, the acting user where authority needs one, uuid,
/// data); `&LogOptions::default()` logs as usual. Every operation writes the change and its
/// entries in one transaction; update and publish never write the lock or draft-state columns
/// from a stale value. Misuse (an unknown attribute, a field name that does not exist, a
/// capability without its fields, a bookkeeping field of the wrong type, a `new =` type for
/// another table, no primary key, an enum or tuple struct) is a compile error saying what to
/// write instead; a struct without Diesel's `Queryable` is one error where its first
/// operation is called.
///
/// Fields compared for `data.changes` need `PartialEq` and `Serialize`; the struct needs
/// Diesel's `Queryable` in table column order.
///
/// ```
/// use diesel::prelude::*;
/// use loggable::prelude::*;
/// use loggable::model::LogOptions;
///
/// diesel::table! {
///     sprockets (id) {
///         id -> BigInt,
///         name -> Text,
///         teeth -> Integer,
///         locked -> Bool,
///         locked_at -> Nullable<Timestamp>,
///         locked_by -> Nullable<BigInt>,
///     }
/// }
///
/// #[derive(Debug, Clone, Queryable, serde::Serialize, Loggable)]
/// #[diesel(table_name = sprockets)]
/// #[loggable(content_type = "shop.sprocket", title = name, new = NewSprocket<'_>, lockable)]
/// struct Sprocket {
///     id: i64,
///     name: String,
///     #[loggable(verbose_name = "number of teeth")]
///     teeth: i32,
///     locked: bool,
///     locked_at: Option<chrono::NaiveDateTime>,
///     locked_by: Option<i64>,
/// }
///
/// #[derive(Insertable)]
/// #[diesel(table_name = sprockets)]
/// struct NewSprocket<'a> {
///     name: &'a str,
///     teeth: i32,
/// }
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// # diesel::sql_query("CREATE TABLE sprockets (id INTEGER PRIMARY KEY, name TEXT NOT NULL, \
/// #     teeth INTEGER NOT NULL, locked BOOLEAN NOT NULL DEFAULT 0, locked_at TIMESTAMP, \
/// #     locked_by BIGINT)").execute(&mut conn).unwrap();
/// loggable::register_model(Sprocket::model_type());
///
/// let plain = LogOptions::default();
/// LogContext::system().scope(|| -> loggable::Result<()> {
///     let new = NewSprocket { name: "Left", teeth: 12 };
///     let sprocket = Sprocket::create(&mut conn, &new, &plain)?;
///     let mut bigger = sprocket.clone();
///     bigger.teeth = 14;
///     bigger.update_over(&mut conn, &sprocket, &plain)?; // wagtail.edit
///     sprocket.lock(&mut conn, 5, &plain)?; // wagtail.lock: user 5 holds it
///     sprocket.lock(&mut conn, 5, &plain)?; // already locked: nothing logged
///     // Held by user 5: changes need 5, named explicitly (the context grants nothing).
///     assert!(bigger.update(&mut conn, &plain).is_err());
///     bigger.update(&mut conn, &LogOptions::new().user(5))?;
///     Ok(())
/// })?;
///
/// let registry = loggable::registry::global();
/// let probe = loggable::ObjectRef::new("shop.sprocket", 1);
/// let history = loggable::entries_for_object(&mut conn, &registry, &probe)?;
/// let actions: Vec<_> = history.iter().rev().map(|e| e.action.as_str()).collect();
/// assert_eq!(actions, ["wagtail.create", "wagtail.edit", "wagtail.lock", "wagtail.edit"]);
/// assert_eq!(history[2].data["changes"], serde_json::json!({"teeth": [12, 14]}));
/// # Ok::<(), loggable::Error>(())
/// ```
pub use loggable_derive::Loggable;

/// What an application uses most: `use loggable::prelude::*;` brings the derive and the
/// traits its operations live on, the log context, [`log`] and [`ObjectRef`].
pub mod prelude {
    pub use crate::db::LogConnection;
    pub use crate::model::{Lifecycle, Locking, Registered};
    pub use crate::privacy::Private;
    pub use crate::publishing::Publishing;
    pub use crate::{LogContext, Loggable, ObjectRef, log};
}

/// Compiles the README's example as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
