//! The 38 built-in `wagtail.*` actions and how each words its message.

use std::sync::Arc;

use serde_json::Value;

use super::Registry;
use super::action::{Action, CommentFn, FormatFn, Template, data_text, human_datetime};
use crate::entry::LogEntry;
use crate::object::capitalize_first;

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
        Function(alias_message),
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

/// The aliased page (`original`), else Wagtail's `source` (the original's parent).
fn alias_message(entry: &LogEntry, _: &Registry) -> String {
    data_text(&entry.data, "original.title")
        .or_else(|| data_text(&entry.data, "source.title"))
        .map(|title| format!("Created an alias of {title}"))
        .unwrap_or_else(|| "Created an alias".to_owned())
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
