//! Actions: a code, a label and the message an entry of that action shows, plus the 38
//! built-in `wagtail.*` actions.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::entry::LogEntry;
use crate::error::{Error, Result};
use crate::registry::Registry;

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
/// use loggable::action::Action;
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
    code: String,
    label: String,
    message: Arc<FormatFn>,
    comment: Option<Arc<CommentFn>>,
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
    pub fn render_message(&self, entry: &LogEntry, registry: &Registry) -> String {
        capitalize_first((self.message)(entry, registry))
    }

    /// The entry's comment, empty for actions that have none.
    pub fn render_comment(&self, entry: &LogEntry) -> String {
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
        return Err(Error::ActionTooLong { length });
    }
    Ok(())
}

/// Upper-cases the first character and leaves the rest alone (Django's `capfirst`).
///
/// ```
/// assert_eq!(loggable::action::capitalize_first("page scheduled"), "Page scheduled");
/// assert_eq!(loggable::action::capitalize_first("'Home' started"), "'Home' started");
/// ```
pub fn capitalize_first(text: impl Into<String>) -> String {
    let text = text.into();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if !first.is_uppercase() => first.to_uppercase().chain(chars).collect(),
        _ => text,
    }
}

/// Formats a datetime the way `data` stores it: UTC, milliseconds, `Z`.
///
/// ```
/// use chrono::TimeZone;
/// let t = chrono::Utc.with_ymd_and_hms(2024, 5, 6, 3, 0, 0).unwrap();
/// assert_eq!(loggable::action::data_datetime(t), "2024-05-06T03:00:00.000Z");
/// ```
pub fn data_datetime(at: DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Renders an ISO 8601 datetime from `data` for a message, in the display timezone.
fn human_datetime(value: &str, offset: FixedOffset) -> Option<String> {
    let at = DateTime::parse_from_rfc3339(value).ok()?;
    Some(
        at.with_timezone(&offset)
            .format("%-d %B %Y, %H:%M")
            .to_string(),
    )
}

/// A value of `data` at a dotted path, as message text (strings, numbers, booleans only).
fn data_text(data: &serde_json::Map<String, Value>, path: &str) -> Option<String> {
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
struct Template {
    parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone)]
enum TemplatePart {
    Text(String),
    Value { path: String, datetime: bool },
}

impl Template {
    fn parse(source: &str) -> Result<Self> {
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
    fn render(&self, data: &serde_json::Map<String, Value>, offset: FixedOffset) -> Option<String> {
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

/// The 38 built-in actions, in registration order.
pub(crate) fn builtin_actions() -> Vec<Action> {
    let mut actions = Vec::with_capacity(38);
    let mut add = |code: &str, label: &str, message: Message| {
        let action = Action {
            code: code.to_owned(),
            label: label.to_owned(),
            message: message.into_fn(),
            comment: code
                .starts_with("wagtail.workflow.")
                .then(|| Arc::new(workflow_comment) as Arc<CommentFn>),
        };
        actions.push(action);
    };
    use Message::{Function, Template as T, Text};

    add("wagtail.create", "Create", Text("Created"));
    add("wagtail.edit", "Edit", Function(edit_message));
    add("wagtail.delete", "Delete", Text("Deleted"));
    add(
        "wagtail.apitoken.create",
        "Create API token",
        Text("API token created"),
    );
    add(
        "wagtail.apitoken.revoke",
        "Revoke API token",
        Text("API token revoked"),
    );
    add("wagtail.publish", "Publish", Text("Published"));
    add(
        "wagtail.publish.scheduled",
        "Publish scheduled draft",
        Text("Published scheduled draft"),
    );
    add("wagtail.unpublish", "Unpublish", Text("Unpublished"));
    add(
        "wagtail.unpublish.scheduled",
        "Unpublish scheduled draft",
        Text("Unpublished scheduled draft"),
    );
    add("wagtail.lock", "Lock", Text("Locked"));
    add("wagtail.unlock", "Unlock", Text("Unlocked"));
    add("wagtail.moderation.approve", "Approve", Text("Approved"));
    add("wagtail.moderation.reject", "Reject", Text("Rejected"));
    add(
        "wagtail.rename",
        "Rename",
        T("Renamed from '{title.old}' to '{title.new}'", "Renamed"),
    );
    add(
        "wagtail.revert",
        "Revert",
        T(
            "Reverted to previous revision with id {revision.id} from {revision.created|datetime}",
            "Reverted to previous revision",
        ),
    );
    add("wagtail.copy", "Copy", Function(copy_message));
    add(
        "wagtail.copy_for_translation",
        "Copy for translation",
        Function(copy_for_translation_message),
    );
    add(
        "wagtail.create_alias",
        "Create alias",
        T("Created an alias of {source.title}", "Created an alias"),
    );
    add(
        "wagtail.convert_alias",
        "Convert alias into ordinary page",
        T(
            "Converted the alias '{page.title}' into an ordinary page",
            "Converted an alias into an ordinary page",
        ),
    );
    add(
        "wagtail.move",
        "Move",
        T(
            "Moved from '{source.title}' to '{destination.title}'",
            "Moved",
        ),
    );
    add(
        "wagtail.reorder",
        "Reorder",
        T("Reordered under '{destination.title}'", "Reordered"),
    );
    add(
        "wagtail.publish.schedule",
        "Schedule publication",
        Function(|entry, registry| schedule_message(entry, registry, "scheduled for")),
    );
    add(
        "wagtail.schedule.cancel",
        "Unschedule publication",
        Function(|entry, registry| schedule_message(entry, registry, "unscheduled from")),
    );
    add(
        "wagtail.view_restriction.create",
        "Add view restrictions",
        T(
            "Added the '{restriction.title}' view restriction",
            "Added view restriction",
        ),
    );
    add(
        "wagtail.view_restriction.edit",
        "Update view restrictions",
        T(
            "Updated the view restriction to '{restriction.title}'",
            "Updated view restriction",
        ),
    );
    add(
        "wagtail.view_restriction.delete",
        "Remove view restrictions",
        T(
            "Removed the '{restriction.title}' view restriction. The page is public.",
            "Removed view restriction",
        ),
    );
    for (code, label, verb, text_key, fallback) in COMMENT_ACTIONS {
        add(
            code,
            label,
            Message::Comment {
                verb,
                text_key,
                fallback,
            },
        );
    }
    add(
        "wagtail.workflow.start",
        "Workflow: start",
        T(
            "'{workflow.title}' started. Next step '{workflow.next.title}'",
            "Workflow started",
        ),
    );
    add(
        "wagtail.workflow.approve",
        "Workflow: approve task",
        Function(approve_message),
    );
    add(
        "wagtail.workflow.reject",
        "Workflow: reject task",
        T(
            "Rejected at '{workflow.task.title}'. Changes requested",
            "Workflow task rejected. Workflow complete",
        ),
    );
    add(
        "wagtail.workflow.resume",
        "Workflow: resume task",
        T(
            "Resubmitted '{workflow.task.title}'. Workflow resumed",
            "Workflow task resubmitted. Workflow resumed",
        ),
    );
    add(
        "wagtail.workflow.cancel",
        "Workflow: cancel",
        T(
            "Cancelled '{workflow.title}' at '{workflow.task.title}'",
            "Workflow cancelled",
        ),
    );
    actions
}

/// Comment actions: code, label, message start, data key of the text, fallback.
const COMMENT_ACTIONS: [(&str, &str, &str, &str, &str); 7] = [
    (
        "wagtail.comments.create",
        "Add comment",
        "Added a comment on field",
        "comment.text",
        "Added a comment",
    ),
    (
        "wagtail.comments.edit",
        "Edit comment",
        "Edited a comment on field",
        "comment.text",
        "Edited a comment",
    ),
    (
        "wagtail.comments.delete",
        "Delete comment",
        "Deleted a comment on field",
        "comment.text",
        "Deleted a comment",
    ),
    (
        "wagtail.comments.resolve",
        "Resolve comment",
        "Resolved a comment on field",
        "comment.text",
        "Resolved a comment",
    ),
    (
        "wagtail.comments.create_reply",
        "Reply to comment",
        "Replied to comment on field",
        "reply.text",
        "Replied to a comment",
    ),
    (
        "wagtail.comments.edit_reply",
        "Edit reply to comment",
        "Edited a reply to a comment on field",
        "reply.text",
        "Edited a reply",
    ),
    (
        "wagtail.comments.delete_reply",
        "Delete reply to comment",
        "Deleted a reply to a comment on field",
        "reply.text",
        "Deleted a reply",
    ),
];

/// How a built-in action words its message.
enum Message {
    Text(&'static str),
    Template(&'static str, &'static str),
    Function(fn(&LogEntry, &Registry) -> String),
    Comment {
        verb: &'static str,
        text_key: &'static str,
        fallback: &'static str,
    },
}

impl Message {
    fn into_fn(self) -> Arc<FormatFn> {
        match self {
            Message::Text(text) => Arc::new(move |_, _| text.to_owned()),
            Message::Template(template, fallback) => {
                // Built-in templates are constants; the message tests render every one of them.
                let parsed = Template::parse(template).ok();
                Arc::new(move |entry, registry| {
                    parsed
                        .as_ref()
                        .and_then(|t| t.render(&entry.data, registry.display_offset()))
                        .unwrap_or_else(|| fallback.to_owned())
                })
            }
            Message::Function(f) => Arc::new(f),
            Message::Comment {
                verb,
                text_key,
                fallback,
            } => Arc::new(move |entry, registry| {
                comment_message(entry, registry, verb, text_key)
                    .unwrap_or_else(|| fallback.to_owned())
            }),
        }
    }
}

fn edit_message(entry: &LogEntry, _: &Registry) -> String {
    if entry.is_page_entry() {
        "Draft saved"
    } else {
        "Edited"
    }
    .to_owned()
}

/// Names `original.title` (the page copied) when present, else Wagtail's `source.title`.
fn copy_message(entry: &LogEntry, _: &Registry) -> String {
    data_text(&entry.data, "original.title")
        .or_else(|| data_text(&entry.data, "source.title"))
        .map(|title| format!("Copied from {title}"))
        .unwrap_or_else(|| "Copied".to_owned())
}

fn copy_for_translation_message(entry: &LogEntry, registry: &Registry) -> String {
    let message = || {
        let title = data_text(&entry.data, "source.title")?;
        let code = data_text(&entry.data, "source_locale.language_code")?;
        let language = registry.language_name(&code).unwrap_or_default();
        Some(format!("Copied for translation from {title} ({language})"))
    };
    message().unwrap_or_else(|| "Copied for translation".to_owned())
}

/// `wagtail.publish.schedule` and `wagtail.schedule.cancel` (actions.md note 2).
fn schedule_message(entry: &LogEntry, registry: &Registry, verb: &str) -> String {
    let model_name = registry.model_name(entry);
    let offset = registry.display_offset();
    let message = || {
        let revision = entry.data.get("revision")?.as_object()?;
        let go_live_at = human_datetime(revision.get("go_live_at")?.as_str()?, offset)?;
        if revision.get("has_live_version")?.as_bool()? {
            let id = data_text(&entry.data, "revision.id")?;
            let created = human_datetime(&data_text(&entry.data, "revision.created")?, offset)?;
            Some(format!(
                "Revision {id} from {created} {verb} publishing at {go_live_at}."
            ))
        } else {
            Some(format!("{model_name} {verb} publishing at {go_live_at}"))
        }
    };
    message().unwrap_or_else(|| format!("{model_name} {verb} publishing"))
}

fn comment_message(
    entry: &LogEntry,
    registry: &Registry,
    verb: &str,
    text_key: &str,
) -> Option<String> {
    let content_path = data_text(&entry.data, "comment.contentpath")?;
    let field = content_path.split('.').next()?;
    let label = registry.field_label(entry.content_type.as_deref()?, field)?;
    let text = data_text(&entry.data, text_key)?;
    Some(format!("{verb} {}: \"{text}\"", capitalize_first(label)))
}

fn approve_message(entry: &LogEntry, _: &Registry) -> String {
    let message = || {
        let workflow = entry.data.get("workflow")?.as_object()?;
        let next = workflow.get("next")?;
        let task = data_text(&entry.data, "workflow.task.title")?;
        if next.is_null() {
            let title = data_text(&entry.data, "workflow.title")?;
            Some(format!("Approved at '{task}'. '{title}' complete"))
        } else {
            let next_task = data_text(&entry.data, "workflow.next.title")?;
            Some(format!("Approved at '{task}'. Next step '{next_task}'"))
        }
    };
    message().unwrap_or_else(|| "Workflow task approved".to_owned())
}

fn workflow_comment(entry: &LogEntry) -> String {
    match entry.data.get("comment") {
        Some(Value::String(comment)) => comment.clone(),
        _ => String::new(),
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
