//! A model's own log table (the `BaseLogEntry` equivalent): entries land there and nowhere else.

use crate::tables::{loggable_model_log_entries, loggable_page_log_entries};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use loggable::registry::{ModelType, Registry};
use loggable::{Error, LogContext, ObjectRef, log};
use loggable::{entries_for_object, history_for_object};

use crate::common::TestDb;

diesel::table! {
    sprocket_log_entries (id) {
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

loggable::log_table! {
    /// Log entries of sprockets.
    pub const SPROCKET_LOG = sprocket_log_entries(sprocket_id: i64);
}

const SQLITE: EmbeddedMigrations = embed_migrations!("tests/migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("tests/migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("tests/migrations/mysql");

/// Adds the test application's tables to a migrated database.
pub fn migrate_app(conn: &mut loggable::db::DbConnection) {
    run_app_migrations(conn);
}

/// The application's own migrations, through Diesel's harness on the backend's connection.
fn run_app_migrations(conn: &mut loggable::db::DbConnection) -> Vec<String> {
    use diesel_migrations::MigrationHarness;
    let applied = match conn {
        loggable::db::DbConnection::Postgresql(pg) => pg.run_pending_migrations(POSTGRES),
        loggable::db::DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE),
        #[cfg(feature = "mysql")]
        loggable::db::DbConnection::Mysql(mysql) => mysql.run_pending_migrations(MYSQL),
    };
    applied.unwrap().iter().map(ToString::to_string).collect()
}

/// A migrated test database with the test application's tables too.
pub fn app_db() -> TestDb {
    let mut db = TestDb::new();
    let applied = run_app_migrations(&mut db.conn);
    assert_eq!(applied, ["20990101000001", "20990101000002"]);
    db
}

fn setup() -> (TestDb, Registry) {
    let db = app_db();
    let mut registry = Registry::new();
    registry.register_model(ModelType::new("shop.sprocket").log_table(SPROCKET_LOG));
    (db, registry)
}

#[test]
fn sprocket_entries_land_in_their_own_table_only() {
    let (mut db, registry) = setup();
    let sprocket = ObjectRef::new("shop.sprocket", 12).title("Left sprocket");
    let gear = ObjectRef::new("shop.gear", 12).title("Gear");
    let entry = LogContext::new(Some(2)).scope(|| {
        log(&sprocket, "wagtail.edit")
            .content_changed(true)
            .write_with(&mut db.conn, &registry)
            .unwrap()
    });
    log(&gear, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert_eq!(entry.log_table, "sprocket_log_entries");
    let in_own: i64 = sprocket_log_entries::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    let in_generic: Vec<String> = loggable_model_log_entries::table
        .select(loggable_model_log_entries::content_type.assume_not_null())
        .load(&mut db.conn)
        .unwrap();
    let in_pages: i64 = loggable_page_log_entries::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    assert_eq!(
        (in_own, in_generic, in_pages),
        (1, vec!["shop.gear".to_owned()], 0)
    );
    let stored_object: i64 = sprocket_log_entries::table
        .select(sprocket_log_entries::sprocket_id)
        .first(&mut db.conn)
        .unwrap();
    assert_eq!(stored_object, 12);
    assert_eq!(
        entries_for_object(&mut db.conn, &registry, &sprocket).unwrap(),
        vec![entry.clone()]
    );
    assert_eq!(
        history_for_object(&mut db.conn, &registry, &sprocket).unwrap(),
        vec![entry]
    );
    let tables: Vec<_> = registry.log_tables().iter().map(|t| t.name()).collect();
    assert_eq!(
        tables,
        [
            "loggable_page_log_entries",
            "loggable_model_log_entries",
            "sprocket_log_entries"
        ]
    );
}

#[test]
fn the_object_column_type_is_enforced_before_writing() {
    let (mut db, registry) = setup();
    let bad = ObjectRef::new("shop.sprocket", "left").title("Left");
    let err = log(&bad, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidObjectId {
                table: "sprocket_log_entries",
                ..
            }
        ),
        "{err}"
    );
    assert!(SPROCKET_LOG.check_object_id("12").is_ok());
    let count: i64 = sprocket_log_entries::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    assert_eq!(count, 0);
}
