//! The action registry: built-ins in order, application actions, replacement, validation.

use loggable::entry::{MODEL_LOG, PAGE_LOG};
use loggable::registry::{self, ModelType, Registry};
use loggable::registry::{Action, MAX_ACTION_LENGTH};
use loggable::{Error, ObjectRef, log};

/// docs/actions.md, in order.
pub const BUILTIN: [(&str, &str); 38] = [
    ("wagtail.create", "Create"),
    ("wagtail.edit", "Edit"),
    ("wagtail.delete", "Delete"),
    ("wagtail.apitoken.create", "Create API token"),
    ("wagtail.apitoken.revoke", "Revoke API token"),
    ("wagtail.publish", "Publish"),
    ("wagtail.publish.scheduled", "Publish scheduled draft"),
    ("wagtail.unpublish", "Unpublish"),
    ("wagtail.unpublish.scheduled", "Unpublish scheduled draft"),
    ("wagtail.lock", "Lock"),
    ("wagtail.unlock", "Unlock"),
    ("wagtail.moderation.approve", "Approve"),
    ("wagtail.moderation.reject", "Reject"),
    ("wagtail.rename", "Rename"),
    ("wagtail.revert", "Revert"),
    ("wagtail.copy", "Copy"),
    ("wagtail.copy_for_translation", "Copy for translation"),
    ("wagtail.create_alias", "Create alias"),
    ("wagtail.convert_alias", "Convert alias into ordinary page"),
    ("wagtail.move", "Move"),
    ("wagtail.reorder", "Reorder"),
    ("wagtail.publish.schedule", "Schedule publication"),
    ("wagtail.schedule.cancel", "Unschedule publication"),
    ("wagtail.view_restriction.create", "Add view restrictions"),
    ("wagtail.view_restriction.edit", "Update view restrictions"),
    (
        "wagtail.view_restriction.delete",
        "Remove view restrictions",
    ),
    ("wagtail.comments.create", "Add comment"),
    ("wagtail.comments.edit", "Edit comment"),
    ("wagtail.comments.delete", "Delete comment"),
    ("wagtail.comments.resolve", "Resolve comment"),
    ("wagtail.comments.create_reply", "Reply to comment"),
    ("wagtail.comments.edit_reply", "Edit reply to comment"),
    ("wagtail.comments.delete_reply", "Delete reply to comment"),
    ("wagtail.workflow.start", "Workflow: start"),
    ("wagtail.workflow.approve", "Workflow: approve task"),
    ("wagtail.workflow.reject", "Workflow: reject task"),
    ("wagtail.workflow.resume", "Workflow: resume task"),
    ("wagtail.workflow.cancel", "Workflow: cancel"),
];

fn codes_and_labels(registry: &Registry) -> Vec<(String, String)> {
    registry
        .actions()
        .map(|a| (a.code().to_owned(), a.label().to_owned()))
        .collect()
}

#[test]
fn holds_the_38_builtin_actions_in_spec_order() {
    let expected: Vec<(String, String)> = BUILTIN
        .iter()
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect();
    assert_eq!(codes_and_labels(&Registry::new()), expected);
}

#[test]
fn application_actions_append_and_re_registering_replaces_in_place() {
    let mut registry = Registry::new();
    registry.register_action(Action::new("shop.restock", "Restock").unwrap());
    registry.register_action(
        Action::new("wagtail.publish", "Go live")
            .unwrap()
            .message("Went live"),
    );
    registry.register_action(
        Action::new("shop.restock", "Restock stock")
            .unwrap()
            .message("Restocked"),
    );
    let codes = codes_and_labels(&registry);
    assert_eq!(codes.len(), 39, "no duplicate choice");
    assert_eq!(
        codes[5],
        ("wagtail.publish".to_owned(), "Go live".to_owned())
    );
    assert_eq!(
        codes[38],
        ("shop.restock".to_owned(), "Restock stock".to_owned())
    );
    assert_eq!(codes.iter().filter(|(c, _)| c == "shop.restock").count(), 1);
    let restock = registry.action("shop.restock").unwrap();
    assert_eq!(restock.label(), "Restock stock");
    // An action without a message shows its label.
    let plain = Action::new("shop.audit", "Audit").unwrap();
    registry.register_action(plain);
    assert_eq!(registry.label("shop.audit"), "Audit");
    assert_eq!(registry.label("shop.unknown"), "shop.unknown");
}

#[test]
fn actions_are_validated_when_registered() {
    assert!(matches!(
        Action::new("", "Label"),
        Err(Error::EmptyActionField("code"))
    ));
    assert!(matches!(
        Action::new("x.y", "  "),
        Err(Error::EmptyActionField("label"))
    ));
    let long = "a".repeat(MAX_ACTION_LENGTH + 1);
    assert!(matches!(
        Action::new(long, "Long"),
        Err(Error::ActionTooLong {
            length: 256,
            max: 255
        })
    ));
    assert!(Action::new("é".repeat(MAX_ACTION_LENGTH), "Exactly 255 characters").is_ok());
    let bad_template = Action::new("x.y", "X")
        .unwrap()
        .template("Hello {name", "Hello");
    assert!(matches!(bad_template, Err(Error::InvalidTemplate { .. })));
}

#[test]
fn model_types_choose_their_log_table() {
    let mut registry = Registry::new();
    registry.register_model(ModelType::page("cms.blogpage"));
    assert_eq!(
        registry.log_table_for("cms.blogpage").name(),
        PAGE_LOG.name()
    );
    assert_eq!(
        registry.log_table_for("shop.sprocket").name(),
        MODEL_LOG.name()
    );
    let names: Vec<_> = registry.log_tables().iter().map(|t| t.name()).collect();
    assert_eq!(names, [PAGE_LOG.name(), MODEL_LOG.name()]);
}

#[test]
fn global_registry_is_shared_and_test_registries_are_separate() {
    let code = format!("test.global.{}", uuid::Uuid::new_v4().simple());
    loggable::register_action(Action::new(code.clone(), "Global only").unwrap());
    assert!(registry::global().action(&code).is_some());
    // Visible from another thread: it is one program-wide registry.
    let seen = std::thread::spawn({
        let code = code.clone();
        move || registry::global().action(&code).is_some()
    })
    .join()
    .unwrap();
    assert!(seen);
    let separate = Registry::new();
    assert!(separate.action(&code).is_none());
    let err = log(&ObjectRef::new("shop.sprocket", 1), code.as_str())
        .prepare(&separate)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("The log action '{code}' has not been registered.")
    );
    assert!(
        log(&ObjectRef::new("shop.sprocket", 1), code.as_str())
            .prepare(&registry::global())
            .is_ok()
    );
}
