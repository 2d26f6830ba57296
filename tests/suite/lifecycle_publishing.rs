//! Lifecycle operations of a derived model with draft state: publishing, schedules, and the
//! per-call options and rollback.

use crate::common::{actions, history, user};
use crate::lifecycle::{Sprocket, later, new_sprocket, setup, sprockets};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use loggable::model::LogOptions;
use loggable::prelude::*;
use loggable::{Error, LogContext, registry};
use serde_json::json;
use uuid::Uuid;

#[test]
fn publishing_follows_the_rename_rule() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("First"), &Default::default()).unwrap();
    // The creation revision is the earliest: publishing it is not a rename.
    let first_revision = history(&mut db.conn, &sprocket)[0].revision_id.unwrap();
    let live = sprocket
        .publish(&mut db.conn, first_revision, &Default::default())
        .unwrap();
    assert!(live.live && live.first_published_at.is_some());
    assert_eq!(live.live_revision_id, Some(first_revision));

    let mut draft = live.clone();
    draft.name = "Second".into();
    let revision = draft.save_draft(&mut db.conn, &Default::default()).unwrap();
    let stored = Sprocket::find(&mut db.conn, &sprocket.id).unwrap();
    assert_eq!(
        stored.name, "First",
        "a live row keeps its published content"
    );
    assert!(stored.has_unpublished_changes);
    assert_eq!(stored.latest_revision_id, Some(revision.id));

    let republished = LogContext::new(Some(4))
        .scope(|| draft.publish(&mut db.conn, revision.id, &Default::default()))
        .unwrap();
    assert_eq!(republished.name, "Second");
    assert!(!republished.has_unpublished_changes);

    // Publishing the same title again is no rename.
    let same = republished
        .save_and_publish(&mut db.conn, &Default::default())
        .unwrap();
    assert_eq!(same.name, "Second");

    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.publish",
            "wagtail.edit",
            "wagtail.rename",
            "wagtail.publish",
            "wagtail.edit",
            "wagtail.publish",
        ]
    );
    let (rename, publish) = (&entries[3], &entries[4]);
    let title = json!({"old": "First", "new": "Second"});
    assert_eq!(rename.data["title"], title);
    assert_eq!(publish.data["title"], title);
    assert_eq!(
        (rename.revision_id, publish.revision_id),
        (Some(revision.id), Some(revision.id))
    );
    assert_eq!(rename.uuid, publish.uuid);
    assert!(publish.content_changed);
    assert_eq!(entries[2].revision_id, Some(revision.id));
    assert!(!entries[6].data.contains_key("title"));

    let unpublished = sprocket
        .unpublish(&mut db.conn, &Default::default())
        .unwrap();
    assert!(!unpublished.live);
    sprocket
        .unpublish(&mut db.conn, &Default::default())
        .unwrap();
    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(entries.last().unwrap().action, "wagtail.unpublish");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "wagtail.unpublish")
            .count(),
        1
    );
}

#[test]
fn schedule_cancel_and_run_due() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Timed"), &Default::default()).unwrap();
    let mut draft = sprocket.clone();
    draft.go_live_at = Some(later(2));
    let revision = draft.save_draft(&mut db.conn, &Default::default()).unwrap();
    let scheduled = draft
        .publish(&mut db.conn, revision.id, &Default::default())
        .unwrap();
    assert!(!scheduled.live, "a page that was not live stays not live");
    assert_eq!(scheduled.go_live_at, draft.go_live_at);

    let cancelled = sprocket
        .cancel_schedule(&mut db.conn, &Default::default())
        .unwrap()
        .unwrap();
    assert_eq!(cancelled.id, revision.id);
    assert!(
        sprocket
            .cancel_schedule(&mut db.conn, &Default::default())
            .unwrap()
            .is_none(),
        "nothing left to cancel"
    );

    let revision = draft.save_draft(&mut db.conn, &Default::default()).unwrap();
    draft
        .publish(&mut db.conn, revision.id, &Default::default())
        .unwrap();
    // Not due yet:
    let run = Sprocket::run_scheduled(&mut db.conn, Utc::now(), &Default::default()).unwrap();
    assert_eq!(run, loggable::publishing::ScheduledRun::default());
    let run = LogContext::new(Some(9))
        .scope(|| {
            Sprocket::run_scheduled(
                &mut db.conn,
                Utc::now() + Duration::days(3),
                &Default::default(),
            )
        })
        .unwrap();
    assert_eq!(run.published, 1);
    let published = Sprocket::find(&mut db.conn, &sprocket.id).unwrap();
    assert!(published.live);

    // Expiry: a live row past its expire_at is withdrawn by the run.
    let mut expiring = published.clone();
    expiring.expire_at = Some(later(1));
    expiring.go_live_at = None;
    expiring
        .save_and_publish(&mut db.conn, &Default::default())
        .unwrap();
    let run = Sprocket::run_scheduled(
        &mut db.conn,
        Utc::now() + Duration::days(2),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(run.expired, 1);
    let expired = Sprocket::find(&mut db.conn, &sprocket.id).unwrap();
    assert!(!expired.live && expired.expired);

    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.edit",
            "wagtail.publish.schedule",
            "wagtail.schedule.cancel",
            "wagtail.edit",
            "wagtail.publish.schedule",
            "wagtail.publish.scheduled",
            "wagtail.edit",
            "wagtail.publish",
            "wagtail.unpublish.scheduled",
        ]
    );
    let schedule = &entries[2];
    assert!(schedule.content_changed);
    let data = &schedule.data["revision"];
    assert_eq!(data["id"], json!(entries[1].revision_id.unwrap()));
    assert_eq!(data["has_live_version"], json!(false));
    let go_live = data["go_live_at"].as_str().unwrap();
    assert!(go_live.ends_with('Z') && go_live.len() == 24, "{go_live}");
    assert_eq!(
        entries[3].data["revision"]["go_live_at"],
        data["go_live_at"]
    );
    for system in [&entries[6], &entries[9]] {
        assert_eq!(
            (system.user_id.clone(), system.uuid),
            (None, None),
            "{}",
            system.action
        );
    }
    let message = registry::global().message(schedule);
    assert!(
        message.starts_with("Sprocket scheduled for publishing at "),
        "{message}"
    );
}

#[test]
fn a_call_can_suppress_rename_or_attribute_its_entry() {
    let mut db = setup();
    let copier = user(&mut db.conn, "copier");
    let copy = Sprocket::create(
        &mut db.conn,
        &new_sprocket("Copy"),
        &LogOptions::new()
            .action("wagtail.copy")
            .user(copier)
            .data(json!({"source": {"id": 1, "title": "Original"}})),
    )
    .unwrap();
    let mut quiet = copy.clone();
    quiet.teeth = 1;
    quiet
        .update(&mut db.conn, &LogOptions::new().suppress())
        .unwrap();
    assert_eq!(
        Sprocket::find(&mut db.conn, &copy.id).unwrap().teeth,
        1,
        "the change still happens"
    );
    let uuid = Uuid::new_v4();
    LogContext::new(Some(2))
        .scope(|| copy.lock(&mut db.conn, 12, &LogOptions::new().uuid(uuid)))
        .unwrap();
    let entries = history(&mut db.conn, &copy);
    assert_eq!(actions(&entries), ["wagtail.copy", "wagtail.lock"]);
    assert_eq!(entries[0].user_id, Some(copier.into()));
    assert!(entries[0].content_changed);
    assert_eq!(entries[0].data["source"]["title"], "Original");
    assert_eq!(
        registry::global().message(&entries[0]),
        "Copied from Original"
    );
    assert_eq!(
        (entries[1].user_id.clone(), entries[1].uuid),
        (Some(12.into()), Some(uuid))
    );
}

#[test]
fn a_failed_entry_rolls_the_change_back() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Safe"), &Default::default()).unwrap();
    let mut edited = sprocket.clone();
    edited.name = "Changed".into();
    // An unregistered action is refused before anything is written.
    let err = edited
        .update(
            &mut db.conn,
            &LogOptions::new().action("factory.unregistered"),
        )
        .unwrap_err();
    assert!(matches!(err, Error::UnregisteredAction(_)), "{err}");
    assert_eq!(
        Sprocket::find(&mut db.conn, &sprocket.id).unwrap(),
        sprocket
    );
    // The database refusing the entry rolls back the update that ran before it.
    diesel::sql_query("DROP TABLE sprocket_log_entries")
        .execute(&mut db.conn)
        .unwrap();
    let err = edited
        .update(&mut db.conn, &Default::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Database {
                context: "writing a log entry",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        Sprocket::find(&mut db.conn, &sprocket.id).unwrap(),
        sprocket
    );
    assert!(Sprocket::create(&mut db.conn, &new_sprocket("Never"), &Default::default()).is_err());
    let names: Vec<String> = sprockets::table
        .select(sprockets::name)
        .load(&mut db.conn)
        .unwrap();
    assert_eq!(names, ["Safe"]);
    assert!(sprocket.lock(&mut db.conn, 1, &Default::default()).is_err());
    assert!(!Sprocket::find(&mut db.conn, &sprocket.id).unwrap().locked);
}
