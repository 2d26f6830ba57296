//! Lifecycle operations of a derived model (docs/operations.md, "Other models" and
//! "Atomicity"): the exact entries each writes, on both backends.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use loggable::model::LogOptions;
use loggable::prelude::*;
use loggable::{Error, LogContext};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::common::{Statements, TestDb, actions, history, user};
use crate::custom_table::{SPROCKET_LOG, app_db};

diesel::table! {
    sprockets (id) {
        id -> BigInt,
        name -> Text,
        teeth -> Integer,
        secret -> Text,
        notes -> Text,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
        live -> Bool,
        has_unpublished_changes -> Bool,
        first_published_at -> Nullable<Timestamp>,
        last_published_at -> Nullable<Timestamp>,
        live_revision_id -> Nullable<BigInt>,
        latest_revision_id -> Nullable<BigInt>,
        go_live_at -> Nullable<Timestamp>,
        expire_at -> Nullable<Timestamp>,
        expired -> Bool,
    }
}

diesel::table! {
    gears (id) {
        id -> BigInt,
        name -> Text,
        size -> Integer,
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, loggable::Loggable)]
#[diesel(table_name = sprockets)]
#[loggable(
    content_type = "factory.sprocket",
    title = name,
    new = NewSprocket<'_>,
    log_table = SPROCKET_LOG,
    lockable,
    scheduling,
    privacy
)]
pub struct Sprocket {
    pub id: i64,
    pub name: String,
    pub teeth: i32,
    #[loggable(redact)]
    pub secret: String,
    #[loggable(skip)]
    pub notes: String,
    pub locked: bool,
    pub locked_at: Option<NaiveDateTime>,
    pub locked_by: Option<i64>,
    pub live: bool,
    pub has_unpublished_changes: bool,
    pub first_published_at: Option<NaiveDateTime>,
    pub last_published_at: Option<NaiveDateTime>,
    pub live_revision_id: Option<i64>,
    pub latest_revision_id: Option<i64>,
    pub go_live_at: Option<NaiveDateTime>,
    pub expire_at: Option<NaiveDateTime>,
    pub expired: bool,
}

#[derive(Insertable)]
#[diesel(table_name = sprockets)]
pub struct NewSprocket<'a> {
    pub name: &'a str,
    pub teeth: i32,
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Serialize, loggable::Loggable)]
#[diesel(table_name = gears)]
#[loggable(content_type = "factory.gear", title = name, new = NewGear)]
pub struct Gear {
    pub id: i64,
    pub name: String,
    pub size: i32,
}

#[derive(Insertable)]
#[diesel(table_name = gears)]
pub struct NewGear {
    pub name: String,
    pub size: i32,
}

pub(crate) fn setup() -> TestDb {
    loggable::register_model(Sprocket::model_type());
    loggable::register_model(Gear::model_type());
    app_db()
}

/// A gear named "Cog" of size 4, created (and logged) as usual.
pub(crate) fn cog(db: &mut TestDb) -> Gear {
    Gear::create(
        &mut db.conn,
        &NewGear {
            name: "Cog".into(),
            size: 4,
        },
        &Default::default(),
    )
    .unwrap()
}

/// A cog (see [`cog`]), a copy of it grown to size 6 not yet saved, and the statements the
/// connection runs from now on.
pub(crate) fn cog_to_grow(db: &mut TestDb) -> (Gear, Gear, Statements) {
    let gear = cog(db);
    let statements = Statements::default();
    db.conn.set_instrumentation(statements.clone());
    let mut bigger = gear.clone();
    bigger.size = 6;
    (gear, bigger, statements)
}

pub(crate) fn new_sprocket(name: &str) -> NewSprocket<'_> {
    NewSprocket {
        name,
        teeth: 12,
        live: false,
    }
}

/// `days` from now, at the microsecond precision both backends store.
pub(crate) fn later(days: i64) -> NaiveDateTime {
    let at = Utc::now() + Duration::days(days);
    chrono::DateTime::from_timestamp_micros(at.timestamp_micros())
        .unwrap()
        .naive_utc()
}

#[test]
fn create_logs_create_with_content_changed_and_its_revision() {
    let mut db = setup();
    let editor = user(&mut db.conn, "editor");
    let ctx = LogContext::new(Some(editor));
    let sprocket = ctx
        .scope(|| Sprocket::create(&mut db.conn, &new_sprocket("Left"), &Default::default()))
        .unwrap();
    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(actions(&entries), ["wagtail.create"]);
    let create = &entries[0];
    assert!(create.content_changed && !create.deleted);
    assert_eq!(
        (create.user_id.clone(), create.uuid),
        (Some(editor.into()), ctx.uuid())
    );
    assert_eq!(create.label, "Left");
    assert_eq!(create.log_table, "sprocket_log_entries");
    let revision = loggable::revision::find(&mut db.conn, create.revision_id.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(revision.content_json().unwrap()["name"], "Left");
    assert_eq!(revision.user_id, Some(editor.into()));
}

#[test]
fn create_published_logs_create_then_publish() {
    let mut db = setup();
    let live = NewSprocket {
        name: "Live",
        teeth: 3,
        live: true,
    };
    let sprocket = Sprocket::create(&mut db.conn, &live, &Default::default()).unwrap();
    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(actions(&entries), ["wagtail.create", "wagtail.publish"]);
    assert_eq!(entries[0].revision_id, entries[1].revision_id);
    assert!(entries[1].content_changed);
}

#[test]
fn plain_models_log_to_the_generic_table() {
    let mut db = setup();
    let gear = cog(&mut db);
    let mut bigger = gear.clone();
    bigger.size = 5;
    bigger.update(&mut db.conn, &Default::default()).unwrap();
    let entries = history(&mut db.conn, &gear);
    assert_eq!(actions(&entries), ["wagtail.create", "wagtail.edit"]);
    assert!(
        entries
            .iter()
            .all(|e| e.log_table == "loggable_model_log_entries" && e.revision_id.is_none())
    );
    assert_eq!(entries[1].data["changes"], json!({"size": [4, 5]}));
}

#[test]
fn update_records_changed_fields_with_skip_and_redact() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Left"), &Default::default()).unwrap();
    let mut edited = sprocket.clone();
    edited.name = "Right".into();
    edited.teeth = 14;
    edited.secret = "hunter2".into();
    edited.notes = "internal".into();
    edited.update(&mut db.conn, &Default::default()).unwrap();
    let stored = Sprocket::find(&mut db.conn, &sprocket.id).unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.notes.as_str()),
        ("Right", "internal")
    );

    let unchanged = stored.clone();
    unchanged.update(&mut db.conn, &Default::default()).unwrap();

    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.edit", "wagtail.edit"]
    );
    let edit = &entries[1];
    assert!(edit.content_changed);
    assert_eq!(edit.label, "Right");
    assert_eq!(
        edit.data["changes"],
        json!({"name": ["Left", "Right"], "teeth": [12, 14], "secret": ["[redacted]", "[redacted]"]})
    );
    assert!(
        !serde_json::Value::Object(edit.data.clone())
            .to_string()
            .contains("hunter2")
    );
    assert!(edit.revision_id.is_some());
    let no_change = &entries[2];
    assert!(!no_change.content_changed);
    assert!(!no_change.data.contains_key("changes"));
}

#[test]
fn update_over_a_held_row_reads_nothing() {
    let mut db = setup();
    let (gear, bigger, statements) = cog_to_grow(&mut db);
    bigger
        .update_over(&mut db.conn, &gear, &LogOptions::new())
        .unwrap();
    let run = statements.take();
    assert_eq!(Statements::reads(&run), 0, "{run:#?}");
    assert_eq!(Statements::row_updates(&run), 1, "{run:#?}");
    assert_eq!(Statements::entry_writes(&run), 1, "{run:#?}");
}

#[test]
fn an_update_in_the_callers_transaction_checks_first_and_needs_no_savepoint_on_postgresql() {
    let mut db = setup();
    let (gear, bigger, statements) = cog_to_grow(&mut db);
    loggable::db::transaction(&mut db.conn, |conn| {
        bigger.update_over(conn, &gear, &LogOptions::new())
    })
    .unwrap();
    let run = statements.take();
    // On PostgreSQL a failed statement aborts the caller's whole transaction, so the update
    // and its entry need no savepoint of their own; SQLite keeps one.
    let savepoints = match db.backend() {
        loggable::db::BackendKind::Postgresql => 0,
        _ => 1,
    };
    assert_eq!(Statements::count(&run, "SAVEPOINT"), savepoints, "{run:#?}");
    assert_eq!(Statements::entry_writes(&run), 1, "{run:#?}");

    // What loggable checks itself (here: data over the registry's limit) fails before the
    // row is written, so the caller's transaction goes on and commits without the change.
    let mut registry = loggable::registry::Registry::new();
    registry.register_model(Gear::model_type());
    registry.set_max_data_bytes(10);
    let options = LogOptions::new()
        .registry(std::sync::Arc::new(registry))
        .data(json!({"reason": "a reason longer than ten bytes"}));
    let mut biggest = bigger.clone();
    biggest.size = 8;
    let committed = loggable::db::transaction(&mut db.conn, |conn| {
        let refused = biggest.update_over(conn, &bigger, &options);
        assert!(
            matches!(refused, Err(Error::DataTooLarge { .. })),
            "{refused:?}"
        );
        Gear::find(conn, &gear.id)
    })
    .unwrap();
    assert_eq!(committed.size, 6);
    let logged = history(&mut db.conn, &gear);
    assert_eq!(actions(&logged), ["wagtail.create", "wagtail.edit"]);
}

#[test]
fn an_update_whose_entry_a_write_hook_refuses_leaves_the_row_unchanged_in_the_callers_transaction()
{
    let mut db = setup();
    let gear = cog(&mut db);
    // The generic table has a chain hook but its chain was never started: the hook refuses
    // the entry after the UPDATE ran, so that UPDATE must not outlive the refusal.
    let mut registry = loggable::registry::Registry::new();
    registry.register_model(Gear::model_type());
    registry.set_write_hook(
        loggable::entry::MODEL_LOG.name(),
        std::sync::Arc::new(loggable::integrity::HashChain::new()),
    );
    let options = LogOptions::new().registry(std::sync::Arc::new(registry));
    let mut bigger = gear.clone();
    bigger.size = 6;
    let stored = loggable::db::transaction(&mut db.conn, |conn| {
        let refused = bigger.update_over(conn, &gear, &options);
        assert!(
            matches!(refused, Err(Error::ChainNotStarted { .. })),
            "{refused:?}"
        );
        Gear::find(conn, &gear.id)
    })
    .unwrap();
    assert_eq!(stored.size, 4);
}

#[test]
fn delete_is_logged_before_the_row_goes() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Doomed"), &Default::default()).unwrap();
    sprocket.delete(&mut db.conn, &Default::default()).unwrap();
    assert!(matches!(
        Sprocket::find(&mut db.conn, &sprocket.id),
        Err(Error::NotFound { .. })
    ));
    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(actions(&entries), ["wagtail.create", "wagtail.delete"]);
    assert!(entries[1].deleted && !entries[1].content_changed);
    // Deleting again fails and logs nothing: no entry for a change that did not happen.
    assert!(matches!(
        sprocket.delete(&mut db.conn, &Default::default()),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        sprocket.update(&mut db.conn, &Default::default()),
        Err(Error::NotFound { .. })
    ));
    assert_eq!(history(&mut db.conn, &sprocket).len(), 2);
}

#[test]
fn lock_and_unlock_log_only_state_changes() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Lockable"), &Default::default()).unwrap();
    let locked = sprocket.lock(&mut db.conn, 3, &Default::default()).unwrap();
    assert!(locked.locked && locked.locked_at.is_some());
    assert_eq!(locked.locked_by, Some(3));
    let again = sprocket.lock(&mut db.conn, 3, &Default::default()).unwrap();
    assert_eq!(again, locked, "locking a locked row changes nothing");
    let unlocked = sprocket
        .unlock(&mut db.conn, 3, &Default::default())
        .unwrap();
    assert!(!unlocked.locked && unlocked.locked_by.is_none() && unlocked.locked_at.is_none());
    sprocket
        .unlock(&mut db.conn, 3, &Default::default())
        .unwrap();
    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.lock", "wagtail.unlock"]
    );
    assert_eq!(
        entries[1].user_id,
        Some(3.into()),
        "logged as the locking user"
    );
    // An update by the holder with a stale value never overwrites the lock.
    let relocked = sprocket.lock(&mut db.conn, 3, &Default::default()).unwrap();
    let mut stale = sprocket.clone();
    stale.teeth = 40;
    stale
        .update(&mut db.conn, &LogOptions::new().user(3))
        .unwrap();
    let stored = Sprocket::find(&mut db.conn, &sprocket.id).unwrap();
    assert!(stored.locked);
    assert_eq!(stored.locked_at, relocked.locked_at);
    let last = history(&mut db.conn, &sprocket).pop().unwrap();
    assert_eq!(last.data["changes"], json!({"teeth": [12, 40]}));
}

/// A lock holds: only its holder, named explicitly, changes the row; anyone else (and the
/// log context's user, which never counts) gets `Error::Locked` naming the holder, and
/// nothing is written; an override succeeds and is logged.
#[test]
fn a_lock_holds_against_everyone_but_its_holder() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Held"), &Default::default()).unwrap();
    let locked = sprocket.lock(&mut db.conn, 7, &Default::default()).unwrap();
    let entries_before = history(&mut db.conn, &sprocket).len();
    let mut edit = locked.clone();
    edit.teeth = 99;
    let as_user = |user: i64| LogOptions::new().user(user);
    let refused = [
        edit.update(&mut db.conn, &as_user(9)).unwrap_err(),
        // The context names the holder, but authority is never ambient.
        LogContext::new(Some(7))
            .scope(|| edit.update(&mut db.conn, &Default::default()))
            .unwrap_err(),
        locked.delete(&mut db.conn, &as_user(9)).unwrap_err(),
        locked
            .unlock(&mut db.conn, 9, &Default::default())
            .unwrap_err(),
        locked
            .publish(
                &mut db.conn,
                locked.latest_revision_id.unwrap(),
                &as_user(9),
            )
            .unwrap_err(),
        edit.save_draft(&mut db.conn, &as_user(9)).unwrap_err(),
        Sprocket::update_where(
            &mut db.conn,
            sprockets::id.eq(locked.id),
            sprockets::teeth.eq(1),
            &as_user(9),
        )
        .unwrap_err(),
    ];
    for error in &refused {
        match error {
            Error::Locked {
                holder, object_id, ..
            } => {
                assert_eq!(holder.as_ref(), Some(&7.into()));
                assert_eq!(object_id, &locked.id.to_string());
            }
            other => panic!("expected Error::Locked, got {other:?}"),
        }
    }
    assert_eq!(
        refused[0].to_string(),
        format!("factory.sprocket {} is locked by user 7", locked.id)
    );
    let stored = Sprocket::find(&mut db.conn, &locked.id).unwrap();
    assert_eq!(
        (stored.teeth, stored.locked),
        (locked.teeth, true),
        "nothing was written"
    );
    assert_eq!(
        history(&mut db.conn, &sprocket).len(),
        entries_before,
        "nothing was logged"
    );

    // The holder edits.
    edit.update(&mut db.conn, &as_user(7)).unwrap();
    assert_eq!(Sprocket::find(&mut db.conn, &locked.id).unwrap().teeth, 99);
    // An administrator overrides the lock: the edit happens and is logged as theirs.
    let mut admin_edit = edit.clone();
    admin_edit.teeth = 100;
    admin_edit
        .update(&mut db.conn, &as_user(1).override_lock())
        .unwrap();
    let unlocked = locked
        .unlock(&mut db.conn, 1, &LogOptions::new().override_lock())
        .unwrap();
    assert!(!unlocked.locked);
    let entries = history(&mut db.conn, &sprocket);
    let tail: Vec<_> = entries[entries_before..]
        .iter()
        .map(|e| (e.action.as_str(), e.user_id.clone()))
        .collect();
    assert_eq!(
        tail,
        [
            ("wagtail.edit", Some(7.into())),
            ("wagtail.edit", Some(1.into())),
            ("wagtail.unlock", Some(1.into())),
        ]
    );
}
