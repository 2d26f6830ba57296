//! Models: what makes an object loggable (its type name, primary key and title), and the
//! lifecycle operations `#[derive(Loggable)]` gives a Diesel model, each writing the change and
//! its entries in one transaction.

mod bulk;
mod draft;
mod lifecycle;
mod lock;

pub(crate) use self::bulk::log_deletes;
pub use self::bulk::{BulkEntries, delete_many, log_bulk, prepare_bulk, update_many};
pub use self::draft::{
    DraftState, DraftStateful, Scheduled, ScheduledRun, cancel_schedule, lifecycle_revision,
    publish, run_scheduled, save_draft, unpublish,
};
pub(crate) use self::draft::{RowOnDraft, revision_of, save_draft_keeping};
pub(crate) use self::lifecycle::in_transaction;
pub use self::lifecycle::{
    LogOptions, Model, ModelStore, NewRow, create, delete, find, update, update_from,
};
pub use self::lock::{LockState, Lockable, lock, unlock};

use std::borrow::Cow;

/// An object that log entries can be about.
///
/// [`ObjectRef`] implements it for an object known only by type and id; `#[derive(Loggable)]`
/// implements it for a model struct.
///
/// # `#[derive(Loggable)]`
///
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
/// | `log_table = Type` | the model's own log table (see [`log_table!`](crate::log_table)) | the generic table |
/// | `table = module` | the Diesel table; turns on the lifecycle operations | `#[diesel(table_name = ...)]` |
/// | `new = Type` | the `Insertable` that `create` takes (`new = Self` when the struct is one) | no `create` |
/// | `lockable` | `lock(conn, by)` / `unlock(conn, by)`; while locked, only the holder (named with [`LogOptions::user`](crate::model::LogOptions::user)) or an override ([`LogOptions::override_lock`](crate::model::LogOptions::override_lock)) updates, publishes or deletes the row, else [`Error::Locked`](crate::Error::Locked); needs fields `locked`, `locked_at`, `locked_by` (any [`UserKey`](crate::UserKey) type) | off |
/// | `revisions` | every create and update saves a revision (JSON, via `Serialize`) the entry points at | off |
/// | `draft_state` | `save_draft`, `publish`, `save_and_publish`, `unpublish`; needs `live`, `has_unpublished_changes`, `first_published_at`, `last_published_at`, `live_revision_id`, `latest_revision_id`, and `Deserialize`; implies `revisions` | off |
/// | `scheduling` | `publish` of a revision whose `go_live_at` is in the future schedules it; `cancel_schedule`, `run_scheduled`; needs `go_live_at`, `expire_at`, `expired`; implies `draft_state` | off |
/// | `privacy` | `set_restriction`, `remove_restriction`, `restriction` | off |
/// | `live_title = field` | the published title the rename rule compares, where it differs from the entry title (pages: `title`, not the draft title) | the entry title |
/// | `custom_delete` | the model deletes its own way (a page takes its subtree): no `delete`, `delete_with`, `delete_where` | off |
///
/// | field attribute | meaning |
/// |---|---|
/// | `verbose_name = "..."` | the field's human name in comment messages (default: its name with spaces) |
/// | `skip` | left out of `data.changes` (still saved) |
/// | `redact` | `data.changes` records that it changed as `["[redacted]", "[redacted]"]`, never its values |
/// | `managed` | kept by dedicated operations (e.g. a page's tree position): `update` and `publish` never write it, and it is not compared |
///
/// Every model gets `CONTENT_TYPE` and `model_type()` (pass it to
/// [`register_model`](crate::register_model) at start-up). A model with a table also gets
/// `create`, `find`, `update`, `update_over` (no re-read when you hold the stored row),
/// `delete`, `update_where` and `delete_where` (set-based, one entry per row, multi-row INSERT),
/// each with a `_with` twin taking [`LogOptions`] (suppress, another action, explicit user,
/// uuid, data). Every operation writes the change and its entries in one transaction; update
/// and publish never write the lock or draft-state columns from a stale value. Misuse (an
/// unknown attribute, a field name that does not exist, a capability without its fields, no
/// primary key, an enum or tuple struct) is a compile error saying what to write instead.
///
/// Fields compared for `data.changes` need `PartialEq` and `Serialize`; the struct needs
/// Diesel's `Queryable` in table column order.
///
/// ```
/// use diesel::prelude::*;
/// use loggable::{LogContext, Loggable};
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
/// LogContext::system().scope(|| -> loggable::Result<()> {
///     let sprocket = Sprocket::create(&mut conn, &NewSprocket { name: "Left", teeth: 12 })?;
///     let mut bigger = sprocket.clone();
///     bigger.teeth = 14;
///     bigger.update_over(&mut conn, &sprocket, &Default::default())?; // wagtail.edit
///     sprocket.lock(&mut conn, 5)?; // wagtail.lock: user 5 holds it
///     sprocket.lock(&mut conn, 5)?; // already locked: nothing logged
///     // Held by user 5: changes need 5, named explicitly (the context grants nothing).
///     assert!(bigger.update(&mut conn).is_err());
///     Ok(())
/// })?;
///
/// let registry = loggable::registry::global();
/// let probe = loggable::ObjectRef::new("shop.sprocket", 1);
/// let history = loggable::entry::entries_for_object(&mut conn, &registry, &probe)?;
/// let actions: Vec<_> = history.iter().rev().map(|e| e.action.as_str()).collect();
/// assert_eq!(actions, ["wagtail.create", "wagtail.edit", "wagtail.lock"]);
/// assert_eq!(history[1].data["changes"], serde_json::json!({"teeth": [12, 14]}));
/// # Ok::<(), loggable::Error>(())
/// ```
pub trait Loggable {
    /// The object's type name, e.g. `shop.sprocket` (for pages: the specific page type).
    fn content_type(&self) -> Cow<'_, str>;

    /// The primary key as text; `None` when the object has none (it cannot be logged).
    fn object_id(&self) -> Option<String>;

    /// The title an entry's label records; `None` or empty gives `"{Type} object ({pk})"`.
    fn log_title(&self) -> Option<String> {
        None
    }

    /// The log table this type declares for itself; the registry's registration, if any,
    /// wins over it.
    fn declared_log_table(&self) -> Option<std::sync::Arc<dyn crate::entry::LogTable>> {
        None
    }

    /// The type's name in the default label, e.g. `Sprocket` (default: the part of the type
    /// name after its dot, first letter upper-cased).
    fn type_name(&self) -> Cow<'_, str> {
        let content_type = self.content_type();
        let model = content_type.rsplit('.').next().unwrap_or_default();
        Cow::Owned(crate::action::capitalize_first(model))
    }
}

/// The label an entry records for `object` when no title is given explicitly.
pub(crate) fn default_label(object: &(impl Loggable + ?Sized), object_id: &str) -> String {
    match object.log_title() {
        Some(title) if !title.is_empty() => title,
        _ => format!("{} object ({object_id})", object.type_name()),
    }
}

/// An object known by type name and id, with an optional title.
///
/// ```
/// use loggable::{Loggable, ObjectRef};
///
/// let sprocket = ObjectRef::new("shop.sprocket", 7).title("Left sprocket");
/// assert_eq!(sprocket.object_id().as_deref(), Some("7"));
/// assert_eq!(sprocket.type_name(), "Sprocket");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    content_type: String,
    object_id: Option<String>,
    title: Option<String>,
}

impl ObjectRef {
    /// The object of type `content_type` with primary key `object_id`.
    pub fn new(content_type: impl Into<String>, object_id: impl ToString) -> Self {
        Self {
            content_type: content_type.into(),
            object_id: Some(object_id.to_string()),
            title: None,
        }
    }

    /// An object of `content_type` that has no primary key yet.
    pub fn unsaved(content_type: impl Into<String>) -> Self {
        Self {
            content_type: content_type.into(),
            object_id: None,
            title: None,
        }
    }

    /// Sets the title recorded as the entries' label.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

impl Loggable for ObjectRef {
    fn content_type(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.content_type)
    }

    fn object_id(&self) -> Option<String> {
        self.object_id.clone().filter(|id| !id.is_empty())
    }

    fn log_title(&self) -> Option<String> {
        self.title.clone()
    }
}

/// The object's primary key, or the error saying it has none.
pub(crate) fn object_id_of(object: &(impl Loggable + ?Sized)) -> crate::Result<String> {
    object
        .object_id()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| crate::Error::MissingPrimaryKey {
            content_type: object.content_type().into_owned(),
        })
}
