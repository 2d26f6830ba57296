//! Models: what makes an object loggable (its type name, primary key and title), and the
//! lifecycle operations `#[derive(Loggable)]` gives a Diesel model, each writing the change and
//! its entries in one transaction.

mod bulk;
mod draft;
mod lifecycle;
mod lock;

pub use self::bulk::{BulkEntries, delete_many, log_bulk, prepare_bulk, update_many};
pub use self::draft::{
    DraftState, DraftStateful, Scheduled, ScheduledRun, cancel_schedule, publish, run_scheduled,
    save_draft, unpublish,
};
pub(crate) use self::lifecycle::in_transaction;
pub use self::lifecycle::{LogOptions, Model, create, delete, find, update, update_from};
pub use self::lock::{LockState, Lockable, lock, unlock};

use std::borrow::Cow;

/// An object that log entries can be about.
///
/// [`ObjectRef`] implements it for an object known only by type and id; `#[derive(Loggable)]`
/// implements it for a model struct.
///
/// # `#[derive(Loggable)]`
///
/// On a struct with named fields. Every attribute is optional:
///
/// | attribute | meaning | default |
/// |---|---|---|
/// | `content_type = "app.model"` | the type name entries record | `"{crate}.{struct in lower case}"` |
/// | `verbose_name = "..."` | the human name used in messages | the struct name spaced and lower-cased (`BlogPage` → `blog page`) |
/// | `title = field` | the field whose text is the entry label | none: labels read `"{Struct} object ({pk})"` |
/// | `title_fn = method` | a `&self` method returning something `Display` for the label | |
/// | `primary_key = field` | the primary key (`Option<_>` = not saved yet) | the field `id` |
/// | `log_table = Type` | the model's own log table (see [`log_table!`](crate::log_table)) | the generic table |
///
/// A field may carry `#[loggable(verbose_name = "...")]`, its human name in comment messages
/// (default: the field name with spaces for underscores).
///
/// The derive also gives the struct `CONTENT_TYPE` and `model_type()`, the registration to pass
/// to [`register_model`](crate::register_model). Misuse (an unknown attribute, a field name that
/// does not exist, no primary key, an enum or tuple struct) is a compile error saying what to
/// write instead.
///
/// ```
/// use loggable::{Loggable, log};
///
/// #[derive(Loggable)]
/// #[loggable(content_type = "shop.sprocket", title = name)]
/// struct Sprocket {
///     id: i64,
///     name: String,
///     #[loggable(verbose_name = "number of teeth")]
///     teeth: i32,
/// }
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// loggable::register_model(Sprocket::model_type());
///
/// let sprocket = Sprocket { id: 4, name: "Left sprocket".into(), teeth: 12 };
/// let entry = log(&sprocket, "wagtail.create").write(&mut conn)?;
/// assert_eq!((entry.object_id.as_str(), entry.label.as_str()), ("4", "Left sprocket"));
/// assert_eq!(entry.content_type.as_deref(), Some("shop.sprocket"));
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
