//! Rendered messages and comments of every built-in action (docs/actions.md).

use chrono::{FixedOffset, TimeZone, Utc};
use loggable::entry::{LogEntry, MODEL_LOG, PAGE_LOG};
use loggable::registry::Action;
use loggable::registry::{ModelType, Registry};
use serde_json::{Value, json};

fn entry(table: &'static str, content_type: &str, action: &str, data: Value) -> LogEntry {
    let Value::Object(data) = data else {
        panic!("data must be an object")
    };
    LogEntry {
        id: 1,
        log_table: table,
        object_id: "5".to_owned(),
        content_type: Some(content_type.to_owned()),
        label: "Home".to_owned(),
        action: action.to_owned(),
        data,
        timestamp: Utc.with_ymd_and_hms(2024, 5, 6, 3, 0, 0).unwrap(),
        uuid: None,
        user_id: None,
        revision_id: None,
        content_changed: false,
        deleted: false,
        unreadable: None,
    }
}

fn page(action: &str, data: Value) -> LogEntry {
    entry(PAGE_LOG.name(), "cms.simplepage", action, data)
}

fn model(action: &str, data: Value) -> LogEntry {
    entry(MODEL_LOG.name(), "shop.sprocket", action, data)
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .register_model(
            ModelType::page("cms.simplepage")
                .field("title", "title")
                .field("body", "body text"),
        )
        .register_model(ModelType::new("shop.sprocket").verbose_name("sprocket"))
        .register_language("fr", "French");
    registry
}

const CREATED: &str = "2024-05-06T03:00:00.123Z";
const GO_LIVE: &str = "2024-06-01T09:30:00.000Z";

#[test]
fn every_builtin_action_renders_its_message_from_full_data() {
    let registry = registry();
    let revision_live = json!({"revision": {"id": 12, "created": CREATED, "go_live_at": GO_LIVE, "has_live_version": true}});
    let revision_draft = json!({"revision": {"id": 12, "created": CREATED, "go_live_at": GO_LIVE, "has_live_version": false}});
    let comment = json!({"comment": {"id": 1, "contentpath": "body.0.text", "text": "Typo here"}});
    let reply = json!({"comment": {"id": 1, "contentpath": "title", "text": "x"}, "reply": {"id": 2, "text": "Fixed"}});
    let cases: Vec<(&str, Value, &str)> = vec![
        ("wagtail.create", json!({}), "Created"),
        ("wagtail.edit", json!({}), "Draft saved"),
        ("wagtail.delete", json!({}), "Deleted"),
        ("wagtail.apitoken.create", json!({}), "API token created"),
        ("wagtail.apitoken.revoke", json!({}), "API token revoked"),
        ("wagtail.publish", json!({}), "Published"),
        (
            "wagtail.publish.scheduled",
            json!({}),
            "Published scheduled draft",
        ),
        ("wagtail.unpublish", json!({}), "Unpublished"),
        (
            "wagtail.unpublish.scheduled",
            json!({}),
            "Unpublished scheduled draft",
        ),
        ("wagtail.lock", json!({}), "Locked"),
        ("wagtail.unlock", json!({}), "Unlocked"),
        ("wagtail.moderation.approve", json!({}), "Approved"),
        ("wagtail.moderation.reject", json!({}), "Rejected"),
        (
            "wagtail.rename",
            json!({"title": {"old": "Home", "new": "Welcome"}}),
            "Renamed from 'Home' to 'Welcome'",
        ),
        (
            "wagtail.revert",
            json!({"revision": {"id": 4, "created": CREATED}}),
            "Reverted to previous revision with id 4 from 6 May 2024, 03:00",
        ),
        (
            "wagtail.copy",
            json!({"source": {"id": 1, "title": "Root"}, "original": {"id": 5, "title": "Home"}}),
            "Copied from Home",
        ),
        (
            "wagtail.copy_for_translation",
            json!({"source": {"id": 5, "title": "Home"}, "source_locale": {"language_code": "fr"}}),
            "Copied for translation from Home (French)",
        ),
        (
            "wagtail.create_alias",
            json!({"source": {"id": 5, "title": "Home"}}),
            "Created an alias of Home",
        ),
        (
            "wagtail.convert_alias",
            json!({"page": {"id": 6, "title": "Home alias"}}),
            "Converted the alias 'Home alias' into an ordinary page",
        ),
        (
            "wagtail.move",
            json!({"source": {"id": 1, "title": "Root"}, "destination": {"id": 2, "title": "Blog"}}),
            "Moved from 'Root' to 'Blog'",
        ),
        (
            "wagtail.reorder",
            json!({"source": {"id": 2, "title": "Blog"}, "destination": {"id": 2, "title": "Blog"}}),
            "Reordered under 'Blog'",
        ),
        (
            "wagtail.publish.schedule",
            revision_live.clone(),
            "Revision 12 from 6 May 2024, 03:00 scheduled for publishing at 1 June 2024, 09:30.",
        ),
        (
            "wagtail.publish.schedule",
            revision_draft.clone(),
            "Page scheduled for publishing at 1 June 2024, 09:30",
        ),
        (
            "wagtail.schedule.cancel",
            revision_live,
            "Revision 12 from 6 May 2024, 03:00 unscheduled from publishing at 1 June 2024, 09:30.",
        ),
        (
            "wagtail.schedule.cancel",
            revision_draft,
            "Page unscheduled from publishing at 1 June 2024, 09:30",
        ),
        (
            "wagtail.view_restriction.create",
            json!({"restriction": {"type": "login", "title": "Private, accessible to any logged-in users"}}),
            "Added the 'Private, accessible to any logged-in users' view restriction",
        ),
        (
            "wagtail.view_restriction.edit",
            json!({"restriction": {"type": "password", "title": "Private, accessible with a shared password"}}),
            "Updated the view restriction to 'Private, accessible with a shared password'",
        ),
        (
            "wagtail.view_restriction.delete",
            json!({"restriction": {"type": "none", "title": "Public"}}),
            "Removed the 'Public' view restriction. The page is public.",
        ),
        (
            "wagtail.comments.create",
            comment.clone(),
            "Added a comment on field Body text: \"Typo here\"",
        ),
        (
            "wagtail.comments.edit",
            comment.clone(),
            "Edited a comment on field Body text: \"Typo here\"",
        ),
        (
            "wagtail.comments.delete",
            comment.clone(),
            "Deleted a comment on field Body text: \"Typo here\"",
        ),
        (
            "wagtail.comments.resolve",
            comment,
            "Resolved a comment on field Body text: \"Typo here\"",
        ),
        (
            "wagtail.comments.create_reply",
            reply.clone(),
            "Replied to comment on field Title: \"Fixed\"",
        ),
        (
            "wagtail.comments.edit_reply",
            reply.clone(),
            "Edited a reply to a comment on field Title: \"Fixed\"",
        ),
        (
            "wagtail.comments.delete_reply",
            reply,
            "Deleted a reply to a comment on field Title: \"Fixed\"",
        ),
        (
            "wagtail.workflow.start",
            json!({"workflow": {"id": 1, "title": "Moderation", "status": "in_progress", "next": {"id": 3, "title": "Review"}, "task_state_id": 8}}),
            "'Moderation' started. Next step 'Review'",
        ),
        (
            "wagtail.workflow.approve",
            json!({"workflow": {"id": 1, "title": "Moderation", "task": {"id": 3, "title": "Review"}, "next": {"id": 4, "title": "Legal"}}, "comment": ""}),
            "Approved at 'Review'. Next step 'Legal'",
        ),
        (
            "wagtail.workflow.approve",
            json!({"workflow": {"id": 1, "title": "Moderation", "task": {"id": 4, "title": "Legal"}, "next": null}, "comment": "ok"}),
            "Approved at 'Legal'. 'Moderation' complete",
        ),
        (
            "wagtail.workflow.reject",
            json!({"workflow": {"task": {"id": 3, "title": "Review"}}, "comment": "no"}),
            "Rejected at 'Review'. Changes requested",
        ),
        (
            "wagtail.workflow.resume",
            json!({"workflow": {"task": {"id": 3, "title": "Review"}}}),
            "Resubmitted 'Review'. Workflow resumed",
        ),
        (
            "wagtail.workflow.cancel",
            json!({"workflow": {"title": "Moderation", "task": {"id": 3, "title": "Review"}}}),
            "Cancelled 'Moderation' at 'Review'",
        ),
    ];
    let mut seen: Vec<&str> = cases.iter().map(|(code, _, _)| *code).collect();
    seen.dedup();
    assert_eq!(seen.len(), 38, "every built-in action has a case");
    for (code, data, expected) in cases {
        assert_eq!(registry.message(&page(code, data)), expected, "{code}");
    }
}

#[test]
fn every_builtin_action_falls_back_when_data_is_missing() {
    let registry = registry();
    let expected = [
        ("wagtail.rename", "Renamed"),
        ("wagtail.revert", "Reverted to previous revision"),
        ("wagtail.copy", "Copied"),
        ("wagtail.copy_for_translation", "Copied for translation"),
        ("wagtail.create_alias", "Created an alias"),
        (
            "wagtail.convert_alias",
            "Converted an alias into an ordinary page",
        ),
        ("wagtail.move", "Moved"),
        ("wagtail.reorder", "Reordered"),
        ("wagtail.publish.schedule", "Page scheduled for publishing"),
        (
            "wagtail.schedule.cancel",
            "Page unscheduled from publishing",
        ),
        ("wagtail.view_restriction.create", "Added view restriction"),
        ("wagtail.view_restriction.edit", "Updated view restriction"),
        (
            "wagtail.view_restriction.delete",
            "Removed view restriction",
        ),
        ("wagtail.comments.create", "Added a comment"),
        ("wagtail.comments.edit", "Edited a comment"),
        ("wagtail.comments.delete", "Deleted a comment"),
        ("wagtail.comments.resolve", "Resolved a comment"),
        ("wagtail.comments.create_reply", "Replied to a comment"),
        ("wagtail.comments.edit_reply", "Edited a reply"),
        ("wagtail.comments.delete_reply", "Deleted a reply"),
        ("wagtail.workflow.start", "Workflow started"),
        ("wagtail.workflow.approve", "Workflow task approved"),
        (
            "wagtail.workflow.reject",
            "Workflow task rejected. Workflow complete",
        ),
        (
            "wagtail.workflow.resume",
            "Workflow task resubmitted. Workflow resumed",
        ),
        ("wagtail.workflow.cancel", "Workflow cancelled"),
    ];
    for (code, fallback) in expected {
        assert_eq!(
            registry.message(&page(code, json!({}))),
            fallback,
            "{code} with {{}}"
        );
    }
    // Wrong shapes fall back too instead of failing.
    for data in [
        json!({"title": "x"}),
        json!({"title": {"old": null, "new": "y"}}),
        json!({"title": {"old": [1], "new": "y"}}),
    ] {
        assert_eq!(registry.message(&page("wagtail.rename", data)), "Renamed");
    }
    let start_without_next = json!({"workflow": {"title": "Moderation", "next": null}});
    assert_eq!(
        registry.message(&page("wagtail.workflow.start", start_without_next)),
        "Workflow started"
    );
    let approve_without_next_key = json!({"workflow": {"title": "M", "task": {"title": "T"}}});
    assert_eq!(
        registry.message(&page("wagtail.workflow.approve", approve_without_next_key)),
        "Workflow task approved"
    );
    let bad_datetime = json!({"revision": {"id": 4, "created": "yesterday"}});
    assert_eq!(
        registry.message(&page("wagtail.revert", bad_datetime)),
        "Reverted to previous revision"
    );
}

#[test]
fn edit_reads_draft_saved_only_on_page_entries() {
    let registry = registry();
    assert_eq!(
        registry.message(&page("wagtail.edit", json!({}))),
        "Draft saved"
    );
    assert_eq!(
        registry.message(&model("wagtail.edit", json!({}))),
        "Edited"
    );
}

#[test]
fn schedule_messages_name_the_model_and_capitalise_it() {
    let registry = registry();
    let draft = json!({"revision": {"id": 3, "created": CREATED, "go_live_at": GO_LIVE, "has_live_version": false}});
    assert_eq!(
        registry.message(&model("wagtail.publish.schedule", draft.clone())),
        "Sprocket scheduled for publishing at 1 June 2024, 09:30"
    );
    assert_eq!(
        registry.message(&model("wagtail.schedule.cancel", draft)),
        "Sprocket unscheduled from publishing at 1 June 2024, 09:30"
    );
    assert_eq!(
        registry.message(&model("wagtail.schedule.cancel", json!({}))),
        "Sprocket unscheduled from publishing"
    );
    // Cancel with no go_live_at left: the fallback, not "at None".
    let cancelled = json!({"revision": {"id": 3, "created": CREATED, "go_live_at": null, "has_live_version": true}});
    assert_eq!(
        registry.message(&page("wagtail.schedule.cancel", cancelled)),
        "Page unscheduled from publishing"
    );
    // An unregistered type uses the part of its name after the dot.
    let unknown = entry(
        MODEL_LOG.name(),
        "shop.gear_wheel",
        "wagtail.publish.schedule",
        json!({}),
    );
    assert_eq!(
        registry.message(&unknown),
        "Gear wheel scheduled for publishing"
    );
}

#[test]
fn datetimes_render_in_the_display_timezone() {
    let mut registry = registry();
    registry.set_display_offset(FixedOffset::east_opt(2 * 3600).unwrap());
    let data = json!({"revision": {"id": 4, "created": "2024-05-06T23:30:00.000Z"}});
    assert_eq!(
        registry.message(&page("wagtail.revert", data)),
        "Reverted to previous revision with id 4 from 7 May 2024, 01:30"
    );
}

#[test]
fn copy_names_the_original_else_wagtails_source() {
    let registry = registry();
    let wagtail_shape = json!({"source": {"id": 1, "title": "Root"}});
    assert_eq!(
        registry.message(&page("wagtail.copy", wagtail_shape)),
        "Copied from Root"
    );
}

#[test]
fn comment_on_an_unknown_field_or_type_falls_back() {
    let registry = registry();
    let data = json!({"comment": {"id": 1, "contentpath": "sidebar", "text": "x"}});
    assert_eq!(
        registry.message(&page("wagtail.comments.create", data.clone())),
        "Added a comment"
    );
    let gone = entry(
        PAGE_LOG.name(),
        "cms.removedpage",
        "wagtail.comments.create",
        data,
    );
    assert_eq!(registry.message(&gone), "Added a comment");
}

#[test]
fn workflow_entries_carry_their_comment_and_others_none() {
    let registry = registry();
    let approve = page("wagtail.workflow.approve", json!({"comment": "Looks good"}));
    assert_eq!(registry.comment(&approve), "Looks good");
    let reject = page("wagtail.workflow.reject", json!({}));
    assert_eq!(registry.comment(&reject), "");
    let publish = page("wagtail.publish", json!({"comment": "ignored"}));
    assert_eq!(registry.comment(&publish), "");
}

#[test]
fn unregistered_action_on_an_existing_row_shows_unknown() {
    let registry = registry();
    assert_eq!(
        registry.message(&page("shop.vanished", json!({}))),
        "Unknown shop.vanished"
    );
    assert_eq!(registry.comment(&page("shop.vanished", json!({}))), "");
}

#[test]
fn application_messages_are_capitalised_by_the_first_character_rule() {
    let mut registry = registry();
    registry
        .register_action(
            Action::new("shop.restock", "Restock")
                .unwrap()
                .message("restocked by the warehouse"),
        )
        .register_action(
            Action::new("shop.price", "Change price")
                .unwrap()
                .template(
                    "price changed from {price.old} to {price.new} at {at|datetime}",
                    "price changed",
                )
                .unwrap(),
        )
        .register_action(
            Action::new("shop.count", "Count")
                .unwrap()
                .formatter(|entry, _| {
                    format!(
                        "counted {} ({})",
                        entry.data.len(),
                        entry.content_type.as_deref().unwrap_or("?")
                    )
                })
                .comment(|entry| entry.label.clone()),
        );
    assert_eq!(
        registry.message(&model("shop.restock", json!({}))),
        "Restocked by the warehouse"
    );
    let price = json!({"price": {"old": 3, "new": 4.5}, "at": CREATED});
    assert_eq!(
        registry.message(&model("shop.price", price)),
        "Price changed from 3 to 4.5 at 6 May 2024, 03:00"
    );
    assert_eq!(
        registry.message(&model("shop.price", json!({"price": {}}))),
        "Price changed"
    );
    assert_eq!(
        registry.message(&model("shop.count", json!({"a": 1}))),
        "Counted 1 (shop.sprocket)"
    );
    assert_eq!(registry.comment(&model("shop.count", json!({}))), "Home");
}
