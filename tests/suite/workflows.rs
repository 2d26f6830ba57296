//! Moderation workflows (docs/operations.md "Workflows"): the entries each step writes, who
//! may act, and how publishing ends moderation.

use loggable::db::DbConnection;
use loggable::entries_for_object;
use loggable::entry::LogEntry;
use loggable::model::LogOptions;
use loggable::page::{self, NewPage, Page};
use loggable::permission::{add_to_group, create_group};
use loggable::prelude::*;
use loggable::registry::{self, ModelType};
use loggable::workflow::{self, Workflow};
use loggable::{Error, LogContext, Loggable};
use serde_json::json;

use crate::common::{TestDb, actions, history, user};

struct Site {
    db: TestDb,
    editor: i64,
    reviewer: i64,
    lawyer: i64,
    outsider: i64,
    workflow: Workflow,
    review: i64,
    legal: i64,
    root: Page,
}

fn site() -> Site {
    loggable::register_model(ModelType::page("cms.simplepage"));
    let mut db = TestDb::new();
    let conn = &mut db.conn;
    let (editor, reviewer, lawyer, outsider) = (
        user(conn, "editor"),
        user(conn, "reviewer"),
        user(conn, "lawyer"),
        user(conn, "outsider"),
    );
    let reviewers = create_group(conn, "Reviewers").unwrap();
    let lawyers = create_group(conn, "Lawyers").unwrap();
    add_to_group(conn, reviewer, reviewers.id).unwrap();
    add_to_group(conn, lawyer, lawyers.id).unwrap();
    let review = workflow::create_group_approval_task(conn, "Review", &[reviewers.id]).unwrap();
    let legal = workflow::create_group_approval_task(conn, "Legal", &[lawyers.id]).unwrap();
    let moderation = workflow::create_workflow(conn, "Moderation", &[review.id, legal.id]).unwrap();
    let root = page::add_root(
        conn,
        &NewPage::new("cms.simplepage", "Root"),
        &LogOptions::new(),
    )
    .unwrap();
    workflow::assign_to_page(conn, moderation.id, root.id).unwrap();
    Site {
        db,
        editor,
        reviewer,
        lawyer,
        outsider,
        workflow: moderation,
        review: review.id,
        legal: legal.id,
        root,
    }
}

/// `editor` submits `page` to `workflow`.
fn submit(conn: &mut DbConnection, editor: i64, workflow: i64, page: &Page) {
    as_user(editor, || {
        workflow::start(conn, page, workflow, &LogOptions::new())
    })
    .unwrap();
}

fn as_user<T>(user: i64, action: impl FnOnce() -> loggable::Result<T>) -> loggable::Result<T> {
    LogContext::new(Some(user)).scope(action)
}

/// A published page with a renamed draft waiting: what moderation is for.
fn renamed_draft(site: &mut Site) -> Page {
    let conn = &mut site.db.conn;
    as_user(site.editor, || {
        let home = page::add_child(
            conn,
            site.root.id,
            &NewPage::new("cms.simplepage", "Home"),
            &LogOptions::new(),
        )?;
        let published = home.save_and_publish(conn, &Default::default())?;
        let mut draft = published.clone();
        draft.title = "Welcome".into();
        draft.draft_title = "Welcome".into();
        page::save_draft(conn, &draft, &LogOptions::new())?;
        page::find(conn, home.id)
    })
    .unwrap()
}

fn workflow_entries(conn: &mut DbConnection, page: &Page) -> Vec<LogEntry> {
    let mut entries = history(conn, page);
    entries.retain(|e| {
        e.action.starts_with("wagtail.workflow")
            || ["wagtail.rename", "wagtail.publish"].contains(&e.action.as_str())
    });
    entries
}

#[test]
fn a_two_task_workflow_approved_to_completion_publishes_as_the_approver() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let before = workflow_entries(&mut site.db.conn, &home).len();
    let conn = &mut site.db.conn;
    let found = workflow::workflow_for_page(conn, &home).unwrap().unwrap();
    assert_eq!(
        found, site.workflow,
        "the nearest assigned ancestor's workflow applies"
    );

    submit(conn, site.editor, site.workflow.id, &home);
    as_user(site.reviewer, || {
        workflow::approve(conn, &home, site.reviewer, "Reads well", &LogOptions::new())
    })
    .unwrap();
    let done = as_user(site.lawyer, || {
        workflow::approve(conn, &home, site.lawyer, "", &LogOptions::new())
    })
    .unwrap();
    assert_eq!(done.status, "approved");
    let published = page::find(conn, home.id).unwrap();
    assert_eq!(
        (published.title.as_str(), published.live),
        ("Welcome", true)
    );

    let entries = workflow_entries(conn, &home)[before..].to_vec();
    assert_eq!(
        actions(&entries),
        [
            "wagtail.workflow.start",
            "wagtail.workflow.approve",
            "wagtail.workflow.approve",
            "wagtail.rename",
            "wagtail.publish"
        ]
    );
    let latest = home.latest_revision_id;
    assert!(
        entries.iter().all(|e| e.revision_id == latest),
        "every step is about the latest revision"
    );
    let start = &entries[0].data["workflow"];
    assert_eq!(start["title"], "Moderation");
    assert_eq!(start["status"], "in_progress");
    assert_eq!(start["next"], json!({"id": site.review, "title": "Review"}));
    assert!(start["task_state_id"].is_i64());
    let first = &entries[1];
    assert_eq!(first.user_id, Some(site.reviewer.into()));
    assert_eq!(
        first.data["workflow"]["task"],
        json!({"id": site.review, "title": "Review"})
    );
    assert_eq!(
        first.data["workflow"]["next"],
        json!({"id": site.legal, "title": "Legal"})
    );
    assert_eq!(first.data["workflow"]["status"], "approved");
    assert_eq!(first.data["comment"], "Reads well");
    assert_eq!(entries[2].data["workflow"]["next"], json!(null));
    for publish_step in &entries[3..] {
        assert_eq!(
            publish_step.user_id,
            Some(site.lawyer.into()),
            "published by the approver"
        );
        assert_eq!(publish_step.uuid, entries[2].uuid);
    }
    let registry = registry::global();
    let messages: Vec<String> = entries.iter().map(|e| registry.message(e)).collect();
    assert_eq!(
        messages,
        [
            "'Moderation' started. Next step 'Review'",
            "Approved at 'Review'. Next step 'Legal'",
            "Approved at 'Legal'. 'Moderation' complete",
            "Renamed from 'Home' to 'Welcome'",
            "Published",
        ]
    );
    assert_eq!(registry.comment(first), "Reads well");
    assert_eq!(registry.comment(&entries[3]), "");
}

#[test]
fn a_draft_saved_under_review_is_what_the_next_task_reviews() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let under_review = home.latest_revision_id;
    let before = workflow_entries(&mut site.db.conn, &home).len();
    let conn = &mut site.db.conn;
    submit(conn, site.editor, site.workflow.id, &home);
    // While the first task is under review, the editor saves another draft.
    let mut newer = page::find(conn, home.id).unwrap();
    newer.draft_title = "Welcome, again".into();
    newer.title = "Welcome, again".into();
    let newer_revision = as_user(site.editor, || {
        page::save_draft(conn, &newer, &LogOptions::new())
    })
    .unwrap();
    as_user(site.reviewer, || {
        workflow::approve(conn, &home, site.reviewer, "", &LogOptions::new())
    })
    .unwrap();
    as_user(site.lawyer, || {
        workflow::approve(conn, &home, site.lawyer, "", &LogOptions::new())
    })
    .unwrap();
    let entries = workflow_entries(conn, &home)[before..].to_vec();
    let approvals: Vec<(Option<i64>, &str)> = entries
        .iter()
        .filter(|e| e.action == "wagtail.workflow.approve")
        .map(|e| (e.revision_id, e.label.as_str()))
        .collect();
    // The first approval is about the revision it reviewed, under that revision's title; the
    // next task started on the latest revision, the draft saved meanwhile.
    assert_eq!(
        approvals,
        [
            (under_review, "Welcome"),
            (Some(newer_revision.id), "Welcome, again")
        ]
    );
}

#[test]
fn reject_resume_then_approve() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let before = workflow_entries(&mut site.db.conn, &home).len();
    let conn = &mut site.db.conn;
    submit(conn, site.editor, site.workflow.id, &home);
    let rejected = as_user(site.reviewer, || {
        workflow::reject(
            conn,
            &home,
            site.reviewer,
            "Needs a photo",
            &LogOptions::new(),
        )
    })
    .unwrap();
    assert_eq!(rejected.status, "needs_changes");
    assert!(
        as_user(site.reviewer, || workflow::approve(
            conn,
            &home,
            site.reviewer,
            "",
            &LogOptions::new()
        ))
        .is_err()
    );
    as_user(site.editor, || {
        workflow::resume(conn, &home, site.editor, &LogOptions::new())
    })
    .unwrap();
    as_user(site.reviewer, || {
        workflow::approve(conn, &home, site.reviewer, "Better", &LogOptions::new())
    })
    .unwrap();
    let entries = workflow_entries(conn, &home)[before..].to_vec();
    assert_eq!(
        actions(&entries),
        [
            "wagtail.workflow.start",
            "wagtail.workflow.reject",
            "wagtail.workflow.resume",
            "wagtail.workflow.approve"
        ]
    );
    let registry = registry::global();
    assert_eq!(
        registry.message(&entries[1]),
        "Rejected at 'Review'. Changes requested"
    );
    assert_eq!(registry.comment(&entries[1]), "Needs a photo");
    assert_eq!(entries[1].data["workflow"]["status"], "rejected");
    assert_eq!(
        registry.message(&entries[2]),
        "Resubmitted 'Review'. Workflow resumed"
    );
    assert_eq!(
        entries[2].data["workflow"]["task"],
        json!({"id": site.review, "title": "Review"})
    );
    assert_eq!(
        registry.message(&entries[3]),
        "Approved at 'Review'. Next step 'Legal'"
    );
}

#[test]
fn cancel_ends_moderation_without_publishing() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let conn = &mut site.db.conn;
    submit(conn, site.editor, site.workflow.id, &home);
    let cancelled = as_user(site.editor, || {
        workflow::cancel(conn, &home, site.editor, &LogOptions::new())
    })
    .unwrap()
    .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert!(
        workflow::cancel(conn, &home, site.editor, &LogOptions::new())
            .unwrap()
            .is_none()
    );
    let last = workflow_entries(conn, &home).pop().unwrap();
    assert_eq!(last.action, "wagtail.workflow.cancel");
    assert_eq!(
        last.data["workflow"]["task"],
        json!({"id": site.review, "title": "Review"})
    );
    assert_eq!(
        registry::global().message(&last),
        "Cancelled 'Moderation' at 'Review'"
    );
    assert_eq!(
        page::find(conn, home.id).unwrap().title,
        "Home",
        "nothing was published"
    );
}

#[test]
fn publishing_while_in_moderation_cancels_first() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let before = workflow_entries(&mut site.db.conn, &home).len();
    let conn = &mut site.db.conn;
    submit(conn, site.editor, site.workflow.id, &home);
    as_user(site.editor, || {
        page::find(conn, home.id)?.publish(
            conn,
            home.latest_revision_id.unwrap_or_default(),
            &Default::default(),
        )
    })
    .unwrap();
    let entries = workflow_entries(conn, &home)[before..].to_vec();
    assert_eq!(
        actions(&entries),
        [
            "wagtail.workflow.start",
            "wagtail.workflow.cancel",
            "wagtail.rename",
            "wagtail.publish"
        ]
    );
    assert!(
        workflow::active_state(conn, "loggable.page", &home.id.to_string())
            .unwrap()
            .is_none()
    );
}

#[test]
fn an_unauthorised_approver_is_refused_and_nothing_is_written() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let conn = &mut site.db.conn;
    submit(conn, site.editor, site.workflow.id, &home);
    let before = entries_for_object(conn, &registry::global(), &home).unwrap();
    for user in [site.outsider, site.lawyer] {
        for decision in ["approve", "reject"] {
            let result = as_user(user, || match decision {
                "approve" => workflow::approve(conn, &home, user, "", &LogOptions::new()),
                _ => workflow::reject(conn, &home, user, "", &LogOptions::new()),
            });
            match result {
                Err(Error::PermissionDenied {
                    user: refused,
                    action,
                }) => {
                    assert_eq!(refused, Some(user));
                    assert!(action.contains("'Review'"), "{action}");
                }
                other => panic!("expected a permission error, got {other:?}"),
            }
        }
    }
    assert_eq!(
        entries_for_object(conn, &registry::global(), &home).unwrap(),
        before
    );
    let state = workflow::active_state(conn, "loggable.page", &home.id.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(state.status, "in_progress");
}

#[test]
fn derived_models_go_through_the_workflow_assigned_to_their_type() {
    use crate::lifecycle::{NewSprocket, Sprocket};
    loggable::register_model(Sprocket::model_type());
    let mut app = crate::custom_table::app_db();
    let conn = &mut app.conn;
    let reviewer = user(conn, "reviewer");
    let reviewers = create_group(conn, "Reviewers").unwrap();
    add_to_group(conn, reviewer, reviewers.id).unwrap();
    let review = workflow::create_group_approval_task(conn, "Review", &[reviewers.id]).unwrap();
    let flow = workflow::create_workflow(conn, "Sprocket review", &[review.id]).unwrap();
    workflow::assign_to_type(conn, flow.id, "factory.sprocket").unwrap();
    let sprocket = Sprocket::create(
        conn,
        &NewSprocket {
            name: "Gear",
            teeth: 4,
            live: false,
        },
        &Default::default(),
    )
    .unwrap();
    let assigned = workflow::workflow_for_type(conn, sprocket.content_type().as_ref())
        .unwrap()
        .unwrap();
    workflow::start(conn, &sprocket, assigned.id, &LogOptions::new()).unwrap();
    as_user(reviewer, || {
        workflow::approve(conn, &sprocket, reviewer, "ok", &LogOptions::new())
    })
    .unwrap();
    assert!(Sprocket::find(conn, &sprocket.id).unwrap().live);
    let entries = history(conn, &sprocket);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.workflow.start",
            "wagtail.workflow.approve",
            "wagtail.publish"
        ]
    );
    assert_eq!(entries[1].log_table, "sprocket_log_entries");
    assert_eq!(
        registry::global().message(&entries[2]),
        "Approved at 'Review'. 'Sprocket review' complete"
    );
}

/// An application's own task kind: only the user it names may act.
struct NamedApprover(i64);

impl workflow::TaskKind for NamedApprover {
    fn user_may_act(
        &self,
        _: &mut DbConnection,
        _: &workflow::Task,
        user: Option<i64>,
    ) -> loggable::Result<bool> {
        Ok(user == Some(self.0))
    }
}

#[test]
fn applications_define_their_own_task_kinds() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let conn = &mut site.db.conn;
    let kind = format!("named_approver_{}", site.editor);
    workflow::register_task_kind(&kind, NamedApprover(site.lawyer));
    let sign_off = workflow::create_task(conn, "Sign-off", &kind).unwrap();
    let flow = workflow::create_workflow(conn, "Sign-off flow", &[sign_off.id]).unwrap();
    assert!(matches!(
        workflow::create_task(conn, "Nobody", "no_such_kind"),
        Err(loggable::Error::UnknownTaskKind(kind)) if kind == "no_such_kind"
    ));
    workflow::start(conn, &home, flow.id, &LogOptions::new()).unwrap();
    let refused = as_user(site.reviewer, || {
        workflow::approve(conn, &home, site.reviewer, "", &LogOptions::new())
    });
    assert!(matches!(refused, Err(Error::PermissionDenied { .. })));
    let done = as_user(site.lawyer, || {
        workflow::approve(conn, &home, site.lawyer, "", &LogOptions::new())
    })
    .unwrap();
    assert_eq!(done.status, "approved");
}

/// The leftover-context exploit: the log context still names the reviewer (who may approve),
/// but the call acts for someone else. Authority is the explicit user's alone: the approval
/// is refused, nothing is written, nothing is published.
#[test]
fn a_context_naming_an_approver_grants_nothing() {
    let mut site = site();
    let home = renamed_draft(&mut site);
    let conn = &mut site.db.conn;
    submit(conn, site.editor, site.workflow.id, &home);
    let before = entries_for_object(conn, &registry::global(), &home).unwrap();
    let refused = as_user(site.reviewer, || {
        workflow::approve(conn, &home, site.outsider, "", &LogOptions::new())
    });
    assert!(
        matches!(refused, Err(Error::PermissionDenied { user: Some(u), .. }) if u == site.outsider),
        "{refused:?}"
    );
    let after = entries_for_object(conn, &registry::global(), &home).unwrap();
    assert_eq!(after, before, "nothing was logged");
    let state = workflow::active_state(conn, "loggable.page", &home.id.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(state.status, "in_progress");
    assert!(
        page::find(conn, home.id).unwrap().has_unpublished_changes,
        "nothing was published"
    );
}
