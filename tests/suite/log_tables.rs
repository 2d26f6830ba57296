//! Which log tables there are (issue #18): a table a derive names is found without
//! `register_model`, by every process, and tables are known by their qualified name.

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use loggable::db::BackendKind;
use loggable::integrity::{self, HashChain};
use loggable::registry::{ModelType, Registry};
use loggable::report::Filters;
use loggable::{Loggable, ObjectRef, log};

use crate::custom_table::{SPROCKET_LOG, app_db};

#[derive(Loggable)]
#[loggable(content_type = "shop.sprocket", title = name, log_table = SPROCKET_LOG)]
struct Sprocket {
    id: i64,
    name: String,
}

fn names(tables: &[loggable::entry::LogTable]) -> Vec<&'static str> {
    tables.iter().map(|table| table.name()).collect()
}

#[test]
fn a_table_named_by_a_derive_is_read_verified_exported_and_purged_unregistered() {
    let mut db = app_db();
    // A registry that never heard of sprockets: the program forgot `register_model`.
    let registry = Registry::new();
    let sprocket = Sprocket {
        id: 4,
        name: "Left".into(),
    };
    log(&sprocket, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert!(!names(&registry.log_tables()).contains(&"sprocket_log_entries"));
    assert!(
        names(&registry.all_log_tables(&mut db.conn).unwrap()).contains(&"sprocket_log_entries")
    );

    let page = loggable::report::site_history_page(
        &mut db.conn,
        &registry,
        None,
        &Filters::default(),
        None,
        10,
    )
    .unwrap();
    assert_eq!(
        page.entries
            .iter()
            .map(|e| (e.log_table, e.label.as_str()))
            .collect::<Vec<_>>(),
        [("sprocket_log_entries", "Left")]
    );
    let (rows, _) = crate::common::export_json_lines(&mut db.conn, &registry);
    assert_eq!(rows, 1);
    let reports = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert!(reports.iter().any(|r| r.table == "sprocket_log_entries"));

    let later = chrono::Utc::now() + chrono::Duration::days(1);
    let purged =
        loggable::retention::purge(&mut db.conn, &registry, later, None, 100, |_| {}).unwrap();
    let sprockets = purged
        .iter()
        .find(|p| p.table == "sprocket_log_entries")
        .expect("the sprocket table is purged");
    assert_eq!(sprockets.deleted, 1);
}

#[test]
fn a_table_is_recorded_once_by_whichever_write_comes_first() {
    let mut db = app_db();
    let registry = Registry::new();
    for id in 1..=3 {
        let sprocket = Sprocket {
            id,
            name: format!("S{id}"),
        };
        log(&sprocket, "wagtail.create")
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    let recorded: i64 = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM loggable_log_tables WHERE name = 'sprocket_log_entries'",
    )
    .get_result::<crate::migrations::Count>(&mut db.conn)
    .unwrap()
    .n;
    assert_eq!(recorded, 1);
    // The built-in tables are never listed there: every registry knows them.
    log(&ObjectRef::new("shop.gear", 1).title("G"), "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let all: i64 = diesel::sql_query("SELECT COUNT(*) AS n FROM loggable_log_tables")
        .get_result::<crate::migrations::Count>(&mut db.conn)
        .unwrap()
        .n;
    assert_eq!(all, 1);
}

/// A second schema: an attached database on SQLite, a schema on PostgreSQL (shared by every
/// run against that database, so its table is made anew by the one test that uses it).
const AUDIT_SCHEMA: &str = "loggable_suite_audit";

mod audit {
    diesel::table! {
        #[sql_name = "sprocket_log_entries"]
        loggable_suite_audit.audited_sprocket_log (id) {
            id -> BigInt,
            content_type -> Nullable<Text>,
            label -> Text,
            action -> Text,
            data -> Text,
            timestamp -> Timestamp,
            uuid -> Nullable<Text>,
            user_id -> Nullable<Text>,
            revision_id -> Nullable<BigInt>,
            content_changed -> Bool,
            deleted -> Bool,
            sprocket_id -> BigInt,
        }
    }
}
use audit::audited_sprocket_log;

loggable::log_table! {
    /// The same bare name as the default schema's `sprocket_log_entries`, in another schema.
    #[sql_name = "sprocket_log_entries"]
    const AUDIT_LOG = loggable_suite_audit.audited_sprocket_log(sprocket_id: i64);
}

fn create_audit_table(db: &mut crate::common::TestDb) {
    let (setup, id) = match db.backend() {
        BackendKind::Sqlite => (
            format!("ATTACH DATABASE ':memory:' AS {AUDIT_SCHEMA};"),
            "INTEGER PRIMARY KEY AUTOINCREMENT",
        ),
        BackendKind::Postgresql => (
            format!("DROP SCHEMA IF EXISTS {AUDIT_SCHEMA} CASCADE; CREATE SCHEMA {AUDIT_SCHEMA};"),
            "BIGSERIAL PRIMARY KEY",
        ),
        // A schema is a database on MySQL.
        BackendKind::Mysql => (
            format!(
                "DROP DATABASE IF EXISTS {AUDIT_SCHEMA}; CREATE DATABASE {AUDIT_SCHEMA} \
                 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;"
            ),
            "BIGINT AUTO_INCREMENT PRIMARY KEY",
        ),
    };
    let timestamp = crate::common::id_and_timestamp(db.backend()).1;
    db.conn
        .batch_execute(&format!(
            "{setup} CREATE TABLE {AUDIT_SCHEMA}.sprocket_log_entries (id {id}, \
             content_type TEXT, label TEXT NOT NULL, action VARCHAR(255) NOT NULL, \
             data TEXT NOT NULL, timestamp {timestamp} NOT NULL, uuid VARCHAR(36), user_id TEXT, \
             revision_id BIGINT, content_changed BOOLEAN NOT NULL, deleted BOOLEAN NOT NULL, \
             sprocket_id BIGINT NOT NULL)"
        ))
        .unwrap();
}

#[test]
fn a_table_in_another_schema_is_known_by_its_qualified_name() {
    let mut db = app_db();
    create_audit_table(&mut db);
    assert_eq!(
        AUDIT_LOG.name(),
        "loggable_suite_audit.sprocket_log_entries"
    );
    let mut registry = Registry::new();
    registry.register_model(ModelType::new("shop.audited").log_table(AUDIT_LOG));
    registry.set_write_hook(AUDIT_LOG.name(), Arc::new(HashChain::new()));
    integrity::enable(&mut db.conn, &AUDIT_LOG).unwrap();
    let audited = ObjectRef::new("shop.audited", 5).title("Audited");
    for action in ["wagtail.create", "wagtail.edit"] {
        log(&audited, action)
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }

    // The entries are in the other schema's table, not in the same-named default one.
    let in_audit: i64 = audited_sprocket_log::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    let in_default: i64 = crate::custom_table::sprocket_log_entries::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    assert_eq!((in_audit, in_default), (2, 0));
    let history = loggable::entries_for_object(&mut db.conn, &registry, &audited).unwrap();
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|e| e.log_table == AUDIT_LOG.name()));

    // The chain is kept under the qualified name and verifies; a purge empties that table.
    let reports = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    let audit_report = reports
        .iter()
        .find(|r| r.table == AUDIT_LOG.name())
        .expect("the qualified table is verified");
    assert_eq!((audit_report.links, &audit_report.problem), (2, &None));
    let later = chrono::Utc::now() + chrono::Duration::days(1);
    loggable::retention::purge(&mut db.conn, &registry, later, None, 100, |_| {}).unwrap();
    let left: i64 = audited_sprocket_log::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        integrity::verify(&mut db.conn, &AUDIT_LOG).unwrap().problem,
        None
    );
}
