//! What log entries are about: any object with a type name and a primary key
//! ([`Loggable`]), and [`ObjectRef`] for one known only by those.

use std::borrow::Cow;

use crate::entry::LogTable;
use crate::error::{Error, Result};

/// An object that log entries can be about.
///
/// [`ObjectRef`] implements it for an object known only by type and id; `#[derive(Loggable)]`
/// implements it for a model struct (see [the derive](derive@crate::Loggable)).
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
    fn declared_log_table(&self) -> Option<LogTable> {
        None
    }

    /// The type's name in the default label, e.g. `Sprocket` (default: the part of the type
    /// name after its dot, first letter upper-cased).
    fn type_name(&self) -> Cow<'_, str> {
        let content_type = self.content_type();
        let model = content_type.rsplit('.').next().unwrap_or_default();
        Cow::Owned(capitalize_first(model))
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
pub(crate) fn object_id_of(object: &(impl Loggable + ?Sized)) -> Result<String> {
    object
        .object_id()
        .filter(|id| !id.is_empty())
        .ok_or_else(|| Error::MissingPrimaryKey {
            content_type: object.content_type().into_owned(),
        })
}

/// `text` with its first letter upper-cased.
pub(crate) fn capitalize_first(text: impl Into<String>) -> String {
    let text = text.into();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}
