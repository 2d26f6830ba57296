//! Actions: a code, a label and the message an entry of that action shows.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::Registry;
use crate::entry::LogEntry;
use crate::error::{Error, Result};
use crate::object::capitalize_first;

/// Longest action code the log tables store (the `action` column is `VARCHAR(255)`).
pub const MAX_ACTION_LENGTH: usize = 255;

/// Turns an entry into its message. Gets the registry for model names, field labels and the
/// display timezone. Returns the message before capitalisation.
pub type FormatFn = dyn Fn(&LogEntry, &Registry) -> String + Send + Sync;

/// Turns an entry into its comment (workflow actions read `data.comment`).
pub type CommentFn = dyn Fn(&LogEntry) -> String + Send + Sync;

/// A registered action.
///
/// ```
/// use loggable::registry::Action;
///
/// // A fixed message:
/// let restock = Action::new("shop.restock", "Restock")?.message("Restocked");
/// // A template over `data`, with the text shown when a key is missing:
/// let price = Action::new("shop.price", "Change price")?
///     .template("Price changed from {price.old} to {price.new}", "Price changed")?;
/// assert_eq!(price.label(), "Change price");
/// # let _ = restock;
/// # Ok::<(), loggable::Error>(())
/// ```
#[derive(Clone)]
pub struct Action {
    pub(super) code: String,
    pub(super) label: String,
    pub(super) message: Arc<FormatFn>,
    pub(super) comment: Option<Arc<CommentFn>>,
}

impl Action {
    /// An action whose message is its label until [`message`](Self::message),
    /// [`template`](Self::template) or [`formatter`](Self::formatter) says otherwise.
    ///
    /// Errors: an empty code or label, or a code longer than [`MAX_ACTION_LENGTH`].
    pub fn new(code: impl Into<String>, label: impl Into<String>) -> Result<Self> {
        let code = code.into();
        let label = label.into();
        check_code(&code)?;
        if label.trim().is_empty() {
            return Err(Error::EmptyActionField("label"));
        }
        let message = label.clone();
        Ok(Self {
            code,
            label,
            message: Arc::new(move |_, _| message.clone()),
            comment: None,
        })
    }

    /// Shows `text` as the message of every entry of this action.
    pub fn message(mut self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.message = Arc::new(move |_, _| text.clone());
        self
    }

    /// Shows `template` with `{path.to.key}` replaced by values of the entry's `data`
    /// (`{key|datetime}` renders an ISO 8601 datetime in the display timezone; `{{` and `}}`
    /// are literal braces). When a key is missing, null, or not a string, number or boolean,
    /// `fallback` is shown instead.
    pub fn template(mut self, template: &str, fallback: impl Into<String>) -> Result<Self> {
        let template = Template::parse(template)?;
        let fallback = fallback.into();
        self.message = Arc::new(move |entry, registry| {
            template
                .render(&entry.data, registry.display_offset())
                .unwrap_or_else(|| fallback.clone())
        });
        Ok(self)
    }

    /// Computes the message with `format`, which must not panic on any `data`.
    pub fn formatter(
        mut self,
        format: impl Fn(&LogEntry, &Registry) -> String + Send + Sync + 'static,
    ) -> Self {
        self.message = Arc::new(format);
        self
    }

    /// Computes the entry's comment with `comment` (by default an action has none).
    pub fn comment(
        mut self,
        comment: impl Fn(&LogEntry) -> String + Send + Sync + 'static,
    ) -> Self {
        self.comment = Some(Arc::new(comment));
        self
    }

    /// The action code, e.g. `wagtail.publish`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The short name used in filters and exports.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The entry's message, first character upper-cased.
    pub(crate) fn render_message(&self, entry: &LogEntry, registry: &Registry) -> String {
        capitalize_first((self.message)(entry, registry))
    }

    /// The entry's comment, empty for actions that have none.
    pub(crate) fn render_comment(&self, entry: &LogEntry) -> String {
        self.comment.as_ref().map(|c| c(entry)).unwrap_or_default()
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("code", &self.code)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

pub(crate) fn check_code(code: &str) -> Result<()> {
    if code.is_empty() {
        return Err(Error::EmptyActionField("code"));
    }
    let length = code.chars().count();
    if length > MAX_ACTION_LENGTH {
        return Err(Error::ActionTooLong {
            length,
            max: MAX_ACTION_LENGTH,
        });
    }
    Ok(())
}

/// Formats a datetime the way `data` stores it: UTC, milliseconds, `Z`
/// (`2024-05-06T03:00:00.000Z`).
pub(crate) fn data_datetime(at: DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Renders an ISO 8601 datetime from `data` for a message, in the display timezone.
pub(super) fn human_datetime(value: &str, offset: FixedOffset) -> Option<String> {
    let at = DateTime::parse_from_rfc3339(value).ok()?;
    Some(
        at.with_timezone(&offset)
            .format("%-d %B %Y, %H:%M")
            .to_string(),
    )
}

/// A value of `data` at a dotted path, as message text (strings, numbers, booleans only).
pub(super) fn data_text(data: &serde_json::Map<String, Value>, path: &str) -> Option<String> {
    let mut segments = path.split('.');
    let mut value = data.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// A message template: literal text and `{data.path}` placeholders.
#[derive(Debug, Clone)]
pub(super) struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone)]
enum TemplatePart {
    Text(String),
    Value { path: String, datetime: bool },
}

impl Template {
    pub(super) fn parse(source: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidTemplate {
            template: source.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '}' => return Err(invalid("unmatched '}' (write '}}' for a literal brace)")),
                '{' => {
                    let mut placeholder = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some('{') | None => {
                                return Err(invalid(
                                    "unclosed '{' (write '{{' for a literal brace)",
                                ));
                            }
                            Some(c) => placeholder.push(c),
                        }
                    }
                    let (path, filter) = match placeholder.split_once('|') {
                        Some((path, filter)) => (path.trim(), Some(filter.trim())),
                        None => (placeholder.trim(), None),
                    };
                    if path.is_empty() || path.split('.').any(str::is_empty) {
                        return Err(invalid("empty placeholder or path segment"));
                    }
                    let datetime = match filter {
                        None => false,
                        Some("datetime") => true,
                        Some(_) => return Err(invalid("unknown filter (only '|datetime' exists)")),
                    };
                    if !text.is_empty() {
                        parts.push(TemplatePart::Text(std::mem::take(&mut text)));
                    }
                    parts.push(TemplatePart::Value {
                        path: path.to_owned(),
                        datetime,
                    });
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(TemplatePart::Text(text));
        }
        Ok(Self { parts })
    }

    /// The filled-in text, or `None` when a placeholder has no usable value.
    pub(super) fn render(
        &self,
        data: &serde_json::Map<String, Value>,
        offset: FixedOffset,
    ) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Value { path, datetime } => {
                    let value = data_text(data, path)?;
                    if *datetime {
                        out.push_str(&human_datetime(&value, offset)?);
                    } else {
                        out.push_str(&value);
                    }
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_errors_name_the_problem() {
        for (template, reason) in [
            ("Oops {", "unclosed"),
            ("Oops }", "unmatched"),
            ("{}", "empty"),
            ("{a..b}", "empty"),
            ("{a|upper}", "unknown filter"),
        ] {
            let err = Template::parse(template).unwrap_err().to_string();
            assert!(err.contains(reason), "{template}: {err}");
        }
        let literal = Template::parse("{{x}}").unwrap();
        assert_eq!(
            literal
                .render(&Default::default(), FixedOffset::east_opt(0).unwrap())
                .as_deref(),
            Some("{x}")
        );
    }

    #[test]
    fn capitalises_only_the_first_character() {
        assert_eq!(capitalize_first(""), "");
        assert_eq!(capitalize_first("élan vital"), "Élan vital");
        assert_eq!(capitalize_first("ßa"), "SSa");
        assert_eq!(capitalize_first("already Up"), "Already Up");
    }
}
