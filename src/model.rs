//! What makes an object loggable: its type name, primary key and title.

use std::borrow::Cow;

/// An object that log entries can be about.
///
/// `#[derive(Loggable)]` implements it for Diesel models; [`ObjectRef`] implements it for an
/// object known only by type and id.
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
