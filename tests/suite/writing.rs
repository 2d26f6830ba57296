//! Writing entries with `log()`: defaults, every optional argument, errors that write nothing.

use crate::tables::{loggable_model_log_entries, loggable_page_log_entries};
use chrono::{Duration, TimeZone, Utc};
use diesel::prelude::*;
use loggable::db::BackendKind;
use loggable::db::DbConnection;
use loggable::entries_for_object;
use loggable::entry::{MODEL_LOG, PAGE_LOG};
use loggable::{Error, JsonKind, LogContext, ObjectRef, log};
use serde_json::json;
use uuid::Uuid;

use crate::common::{Statements, TestDb};

use crate::common::page_registry as registry;

fn entry_count(conn: &mut DbConnection) -> i64 {
    let pages: i64 = loggable_page_log_entries::table
        .count()
        .get_result(conn)
        .unwrap();
    let models: i64 = loggable_model_log_entries::table
        .count()
        .get_result(conn)
        .unwrap();
    pages + models
}

#[test]
fn defaults_outside_any_context() {
    let mut db = TestDb::new();
    let sprocket = ObjectRef::new("shop.sprocket", 7).title("Left sprocket");
    let before = Utc::now() - Duration::seconds(1);
    let entry = log(&sprocket, "wagtail.create")
        .write_with(&mut db.conn, &registry())
        .unwrap();
    assert_eq!(entry.log_table, MODEL_LOG.name());
    assert_eq!(entry.object_id, "7");
    assert_eq!(entry.content_type.as_deref(), Some("shop.sprocket"));
    assert_eq!(entry.label, "Left sprocket");
    assert_eq!(entry.user_id, None);
    assert_eq!(entry.uuid, None);
    assert_eq!(entry.revision_id, None);
    assert!(entry.data.is_empty());
    assert!(!entry.content_changed && !entry.deleted);
    assert!(entry.timestamp >= before && entry.timestamp <= Utc::now() + Duration::seconds(1));
    let stored = entries_for_object(&mut db.conn, &registry(), &sprocket).unwrap();
    assert_eq!(stored, vec![entry]);
}

#[test]
fn every_optional_argument_is_stored_and_read_back_exactly() {
    let mut db = TestDb::new();
    let registry = registry();
    let page = ObjectRef::new("cms.simplepage", 42).title("Home");
    let uuid = Uuid::new_v4();
    let at =
        Utc.with_ymd_and_hms(2024, 5, 6, 3, 0, 0).unwrap() + Duration::nanoseconds(123_456_789);
    let entry = LogContext::new(Some(9)).scope(|| log(&page, "wagtail.publish")
        .uuid(uuid)
        .title("Welcome")
        .data(json!({"title": {"old": "Home", "new": "Welcome"}, "emoji": "🦀 \u{202e}'; DROP TABLE x; --"}))
        .revision(77)
        .content_changed(true)
        .deleted(true)
        .timestamp(at)
        .write_with(&mut db.conn, &registry))
        .unwrap();
    assert_eq!(entry.log_table, PAGE_LOG.name());
    assert_eq!(entry.user_id, Some(9.into()));
    assert_eq!(entry.uuid, Some(uuid));
    assert_eq!(entry.label, "Welcome");
    assert_eq!(entry.revision_id, Some(77));
    assert!(entry.content_changed && entry.deleted);
    // Stored at microsecond precision, the same on both backends.
    assert_eq!(
        entry.timestamp,
        Utc.with_ymd_and_hms(2024, 5, 6, 3, 0, 0).unwrap() + Duration::microseconds(123_456)
    );
    let stored = entries_for_object(&mut db.conn, &registry, &page).unwrap();
    assert_eq!(stored, vec![entry]);
}

#[test]
fn context_supplies_user_and_uuid_and_explicit_arguments_win() {
    let mut db = TestDb::new();
    let registry = registry();
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    let context = LogContext::new(Some(5));
    let (from_context, explicit) = context.scope(|| {
        let a = log(&sprocket, "wagtail.edit")
            .write_with(&mut db.conn, &registry)
            .unwrap();
        let own = Uuid::new_v4();
        let b = LogContext::new(Some(6))
            .scope(|| {
                log(&sprocket, "wagtail.edit")
                    .uuid(own)
                    .write_with(&mut db.conn, &registry)
            })
            .unwrap();
        assert_eq!(b.uuid, Some(own));
        (a, b)
    });
    assert_eq!(from_context.user_id, Some(5.into()));
    assert_eq!(from_context.uuid, context.uuid());
    assert_eq!(explicit.user_id, Some(6.into()));
    let no_uuid = LogContext::without_uuid(Some(5)).scope(|| {
        log(&sprocket, "wagtail.edit")
            .write_with(&mut db.conn, &registry)
            .unwrap()
    });
    assert_eq!((no_uuid.user_id, no_uuid.uuid), (Some(5.into()), None));
}

#[test]
fn label_falls_back_to_type_object_and_primary_key() {
    let mut db = TestDb::new();
    let untitled = ObjectRef::new("shop.sprocket", 3);
    let empty_title = ObjectRef::new("shop.sprocket", 4).title("");
    let registry = registry();
    assert_eq!(
        log(&untitled, "wagtail.create")
            .write_with(&mut db.conn, &registry)
            .unwrap()
            .label,
        "Sprocket object (3)"
    );
    assert_eq!(
        log(&empty_title, "wagtail.create")
            .write_with(&mut db.conn, &registry)
            .unwrap()
            .label,
        "Sprocket object (4)"
    );
}

#[test]
fn invalid_entries_are_typed_errors_and_write_nothing() {
    let mut db = TestDb::new();
    let registry = registry();
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    let page = ObjectRef::new("cms.simplepage", "not-a-number").title("P");

    let err = log(&sprocket, "shop.unknown")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "The log action 'shop.unknown' has not been registered."
    );
    assert!(matches!(err, Error::UnregisteredAction(code) if code == "shop.unknown"));

    let err = log(&sprocket, "x".repeat(256))
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ActionTooLong {
                length: 256,
                max: 255
            }
        ),
        "{err}"
    );

    let err = log(&ObjectRef::unsaved("shop.sprocket"), "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingPrimaryKey { content_type } if content_type == "shop.sprocket"),
        "{err}"
    );
    let err = log(&ObjectRef::new("shop.sprocket", ""), "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(matches!(err, Error::MissingPrimaryKey { .. }), "{err}");

    for (data, kind) in [
        (json!(null), JsonKind::Null),
        (json!([1, 2]), JsonKind::Array),
        (json!("text"), JsonKind::String),
        (json!(3), JsonKind::Number),
        (json!(true), JsonKind::Bool),
    ] {
        let err = log(&sprocket, "wagtail.edit")
            .data(data)
            .write_with(&mut db.conn, &registry)
            .unwrap_err();
        assert!(matches!(err, Error::DataNotObject(k) if k == kind), "{err}");
    }

    let err = log(&sprocket, "wagtail.edit")
        .title("")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(matches!(err, Error::EmptyLabel), "{err}");

    let err = log(&page, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidObjectId { table, .. } if *table == PAGE_LOG.name()),
        "{err}"
    );

    assert_eq!(entry_count(&mut db.conn), 0);
}

#[test]
fn writing_an_entry_is_exactly_one_insert() {
    let mut db = TestDb::new();
    let registry = registry();
    let counter = Statements::default();
    db.conn.set_instrumentation(counter.clone());
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    LogContext::new(Some(1)).scope(|| {
        log(&sprocket, "wagtail.edit")
            .data(json!({"a": 1}))
            .write_with(&mut db.conn, &registry)
            .unwrap();
    });
    let queries = counter.seen();
    // SQLite reads the new rowid back (an INSERT ... RETURNING would keep a statement
    // journal), MySQL its LAST_INSERT_ID(); PostgreSQL returns it with the INSERT.
    let expected = match db.conn.backend() {
        BackendKind::Sqlite | BackendKind::Mysql => 2,
        BackendKind::Postgresql => 1,
    };
    assert_eq!(queries.len(), expected, "{queries:?}");
    assert!(
        queries[0].to_uppercase().starts_with("INSERT INTO"),
        "{queries:?}"
    );
    assert_eq!(Statements::reads(&queries), 0, "{queries:?}");
    // A rejected entry costs no query at all.
    let _ = log(&sprocket, "shop.unknown").write_with(&mut db.conn, &registry);
    assert_eq!(counter.seen().len(), expected);
}

#[test]
fn default_timestamps_follow_write_order() {
    let mut db = TestDb::new();
    let registry = registry();
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    let written: Vec<_> = (0..50)
        .map(|_| {
            log(&sprocket, "wagtail.edit")
                .write_with(&mut db.conn, &registry)
                .unwrap()
        })
        .collect();
    for pair in written.windows(2) {
        assert!(pair[0].timestamp < pair[1].timestamp, "strictly increasing");
        assert!(pair[0].id < pair[1].id);
    }
    let mut newest_first = written.clone();
    newest_first.reverse();
    assert_eq!(
        entries_for_object(&mut db.conn, &registry, &sprocket).unwrap(),
        newest_first
    );
}

#[test]
fn write_uses_the_global_registry() {
    let mut db = TestDb::new();
    let code = format!("test.write.{}", Uuid::new_v4().simple());
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    assert!(log(&sprocket, code.as_str()).write(&mut db.conn).is_err());
    loggable::register_action(loggable::registry::Action::new(code.clone(), "Test write").unwrap());
    let entry = log(&sprocket, code.as_str()).write(&mut db.conn).unwrap();
    assert_eq!(entry.action, code);
}

#[test]
fn database_failures_say_what_loggable_was_doing() {
    let mut db = TestDb::unmigrated();
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    let err = log(&sprocket, "wagtail.create")
        .write_with(&mut db.conn, &registry())
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Database {
                context: "writing a log entry",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("database error while writing a log entry: "),
        "{err}"
    );
}

#[test]
fn each_entry_gets_the_id_of_its_own_row_inside_a_transaction() {
    // SQLite reads the id back after the INSERT: interleaved writes to both tables inside one
    // transaction must still pair every returned entry with its own row.
    let mut db = TestDb::new();
    let registry = registry();
    let page = ObjectRef::new("cms.simplepage", 5).title("Home");
    let sprocket = ObjectRef::new("shop.sprocket", 6).title("Sprocket");
    let written = loggable::db::transaction(&mut db.conn, |conn| {
        (0..10)
            .map(|i| {
                let object = if i % 2 == 0 { &page } else { &sprocket };
                log(object, "wagtail.edit")
                    .title(format!("edit {i}"))
                    .write_with(conn, &registry)
            })
            .collect::<loggable::Result<Vec<_>>>()
    })
    .unwrap();
    let mut stored = entries_for_object(&mut db.conn, &registry, &page).unwrap();
    stored.extend(entries_for_object(&mut db.conn, &registry, &sprocket).unwrap());
    assert_eq!(stored.len(), written.len());
    for entry in &written {
        let row = stored.iter().find(|s| s.label == entry.label).unwrap();
        assert_eq!(row, entry);
    }
}
