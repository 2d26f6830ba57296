//! The migrated schema: the same tables, columns, null rules and indexes on both backends.

use std::collections::BTreeSet;

use crate::tables::loggable_page_log_entries;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use loggable::db::BackendKind;
use loggable::db::DbConnection;

use crate::common::TestDb;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

// Catalog queries are backend-specific SQL by nature; the table name is a constant.
fn indexes(conn: &mut DbConnection, table: &str) -> BTreeSet<String> {
    let sql = match conn.backend() {
        BackendKind::Sqlite => {
            format!("SELECT name FROM pragma_index_list('{table}') WHERE origin = 'c'")
        }
        BackendKind::Postgresql => format!(
            "SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename = '{table}' AND indexname NOT LIKE '%_pkey'"
        ),
        BackendKind::Mysql => format!(
            "SELECT DISTINCT index_name AS name FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND table_name = '{table}' AND index_name <> 'PRIMARY'"
        ),
    };
    diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
}

fn columns(conn: &mut DbConnection, table: &str) -> Vec<Column> {
    let sql = match conn.backend() {
        BackendKind::Sqlite => format!(
            "SELECT name, \"notnull\" AS not_null FROM pragma_table_info('{table}') ORDER BY cid"
        ),
        BackendKind::Postgresql => format!(
            "SELECT column_name::text AS name, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '{table}' \
             ORDER BY ordinal_position"
        ),
        BackendKind::Mysql => format!(
            "SELECT column_name AS name, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
             FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}' \
             ORDER BY ordinal_position"
        ),
    };
    diesel::sql_query(sql).load::<Column>(conn).unwrap()
}

fn foreign_keys(conn: &mut DbConnection, table: &str) -> usize {
    let sql = match conn.backend() {
        BackendKind::Sqlite => {
            format!("SELECT \"table\" AS name FROM pragma_foreign_key_list('{table}')")
        }
        BackendKind::Postgresql => format!(
            "SELECT constraint_name::text AS name FROM information_schema.table_constraints \
             WHERE table_schema = current_schema() AND table_name = '{table}' AND constraint_type = 'FOREIGN KEY'"
        ),
        BackendKind::Mysql => format!(
            "SELECT constraint_name AS name FROM information_schema.table_constraints \
             WHERE table_schema = DATABASE() AND table_name = '{table}' AND constraint_type = 'FOREIGN KEY'"
        ),
    };
    diesel::sql_query(sql).load::<Name>(conn).unwrap().len()
}

fn expected_columns(object_column: &str) -> Vec<Column> {
    [
        ("id", 1),
        ("content_type", 0),
        ("label", 1),
        ("action", 1),
        ("data", 1),
        ("timestamp", 1),
        ("uuid", 0),
        ("user_id", 0),
        ("revision_id", 0),
        ("content_changed", 1),
        ("deleted", 1),
        (object_column, 1),
    ]
    .into_iter()
    .map(|(name, not_null)| Column {
        name: name.to_owned(),
        not_null,
    })
    .collect()
}

#[test]
fn log_tables_have_the_spec_columns_null_rules_and_no_foreign_keys() {
    let mut db = TestDb::new();
    for (table, object_column) in [
        ("loggable_page_log_entries", "page_id"),
        ("loggable_model_log_entries", "object_id"),
    ] {
        let mut found = columns(&mut db.conn, table);
        if db.backend() == BackendKind::Sqlite {
            // SQLite reports an INTEGER PRIMARY KEY as nullable; it is the rowid and never null.
            found[0].not_null = 1;
        }
        assert_eq!(found, expected_columns(object_column), "{table}");
        assert_eq!(foreign_keys(&mut db.conn, table), 0, "{table}");
    }
}

#[test]
fn log_tables_have_an_index_for_each_read_path_on_both_backends() {
    let mut db = TestDb::new();
    for (table, object_column) in [
        ("loggable_page_log_entries", "page_id"),
        ("loggable_model_log_entries", "object_id"),
    ] {
        let expected: BTreeSet<String> = [
            "action",
            "timestamp",
            "content_type",
            "user_id",
            object_column,
            "uuid_action_timestamp",
        ]
        .iter()
        .map(|suffix| format!("{table}_{suffix}"))
        .collect();
        assert_eq!(indexes(&mut db.conn, table), expected);
    }
}

#[test]
fn composite_history_index_is_uuid_action_timestamp_desc() {
    let mut db = TestDb::new();
    let sql = match db.backend() {
        BackendKind::Sqlite => {
            "SELECT sql AS name FROM sqlite_master WHERE name = 'loggable_page_log_entries_uuid_action_timestamp'"
        }
        BackendKind::Postgresql => {
            "SELECT indexdef AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'loggable_page_log_entries_uuid_action_timestamp'"
        }
        // The definition assembled from the catalog's rows, one per indexed column.
        BackendKind::Mysql => {
            "SELECT CONCAT('(', GROUP_CONCAT(CONCAT(column_name, IF(collation = 'D', ' DESC', '')) \
             ORDER BY seq_in_index SEPARATOR ', '), ')') AS name FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND index_name = 'loggable_page_log_entries_uuid_action_timestamp'"
        }
    };
    let definition = diesel::sql_query(sql)
        .get_result::<Name>(&mut db.conn)
        .unwrap()
        .name;
    let normalised = definition.replace('"', "").to_lowercase();
    assert!(
        normalised.contains("(uuid, action, timestamp desc)"),
        "{definition}"
    );
}

#[test]
fn the_other_tables_exist() {
    let mut db = TestDb::new();
    for table in [
        "loggable_users",
        "loggable_groups",
        "loggable_user_groups",
        "loggable_model_permissions",
        "loggable_pages",
        "loggable_revisions",
        "loggable_group_page_permissions",
        "loggable_view_restrictions",
        "loggable_view_restriction_groups",
    ] {
        assert!(!columns(&mut db.conn, table).is_empty(), "{table}");
    }
    let page_columns: Vec<String> = columns(&mut db.conn, "loggable_pages")
        .into_iter()
        .map(|c| c.name)
        .collect();
    for column in [
        "path",
        "depth",
        "numchild",
        "title",
        "draft_title",
        "slug",
        "content_type",
        "live",
        "has_unpublished_changes",
        "first_published_at",
        "last_published_at",
        "latest_revision_id",
        "live_revision_id",
        "go_live_at",
        "expire_at",
        "expired",
        "locked",
        "locked_at",
        "locked_by",
        "owner",
        "alias_of",
    ] {
        assert!(page_columns.iter().any(|c| c == column), "pages.{column}");
    }
}

#[test]
fn the_database_itself_refuses_an_empty_label() {
    let mut db = TestDb::new();
    let result = diesel::insert_into(loggable_page_log_entries::table)
        .values((
            loggable_page_log_entries::label.eq(""),
            loggable_page_log_entries::action.eq("wagtail.edit"),
            loggable_page_log_entries::timestamp.eq(chrono::Utc::now().naive_utc()),
            loggable_page_log_entries::page_id.eq(1_i64),
        ))
        .execute(&mut db.conn);
    assert!(result.is_err());
}

#[test]
fn migrations_are_idempotent() {
    let mut db = TestDb::new();
    assert!(
        loggable::db::run_migrations(&mut db.conn)
            .unwrap()
            .is_empty()
    );
}
