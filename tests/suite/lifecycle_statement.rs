//! A logged update of a model without revisions is one statement on PostgreSQL (the UPDATE
//! and the entry's INSERT together, docs/operations.md "Atomicity"): what it writes, and that
//! it writes both or neither.

use diesel::Connection;
use loggable::db::BackendKind;
use loggable::model::LogOptions;
use loggable::prelude::*;
use loggable::{Error, LogContext};
use serde_json::json;

use crate::common::{Statements, actions, history};
use crate::lifecycle::{Gear, cog, cog_to_grow, setup};

#[test]
fn an_update_outside_a_transaction_is_one_statement_on_postgresql() {
    let mut db = setup();
    let (gear, bigger, statements) = cog_to_grow(&mut db);
    bigger
        .update_over(&mut db.conn, &gear, &LogOptions::new().user(7))
        .unwrap();
    let run = statements.take();
    match db.backend() {
        BackendKind::Postgresql => {
            // No BEGIN or COMMIT: one statement is atomic by itself.
            assert_eq!(run.len(), 1, "{run:#?}");
            assert_eq!(Statements::count_with(&run, "loggable_saved AS (UPDATE"), 1);
        }
        _ => {
            assert_eq!(Statements::count(&run, "BEGIN"), 1, "{run:#?}");
            assert_eq!(Statements::count(&run, "COMMIT"), 1, "{run:#?}");
        }
    }
    assert_eq!(Statements::row_updates(&run), 1, "{run:#?}");
    assert_eq!(Statements::entry_writes(&run), 1, "{run:#?}");

    // `update` reads the stored row, then writes the same one statement, in a transaction
    // of its own: the read and the write see one snapshot where the isolation level says so.
    let mut biggest = bigger.clone();
    biggest.size = 8;
    biggest.update(&mut db.conn, &LogOptions::new()).unwrap();
    let run = statements.take();
    if db.backend() == BackendKind::Postgresql {
        assert_eq!(run.len(), 4, "{run:#?}");
        assert_eq!(Statements::count(&run, "BEGIN"), 1, "{run:#?}");
        assert_eq!(Statements::count_with(&run, "loggable_saved AS (UPDATE"), 1);
    }
    assert_eq!(Statements::reads(&run), 1, "{run:#?}");
    assert_eq!(Statements::row_updates(&run), 1, "{run:#?}");

    assert_eq!(Gear::find(&mut db.conn, &gear.id).unwrap().size, 8);
    let entries = history(&mut db.conn, &gear);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.edit", "wagtail.edit"]
    );
    let edit = &entries[1];
    assert_eq!(edit.data["changes"], json!({"size": [4, 6]}));
    assert_eq!(edit.user_id, Some(7.into()));
    assert_eq!((edit.label.as_str(), edit.content_changed), ("Cog", true));
    assert_eq!(edit.revision_id, None);
    assert_eq!(entries[2].data["changes"], json!({"size": [6, 8]}));
}

#[test]
fn an_update_in_one_statement_keeps_the_log_context() {
    let mut db = setup();
    let gear = cog(&mut db);
    let context = LogContext::new(Some(3));
    let mut renamed = gear.clone();
    renamed.name = "Sprocket wheel".into();
    context
        .scope(|| renamed.update_over(&mut db.conn, &gear, &LogOptions::new()))
        .unwrap();
    let entries = history(&mut db.conn, &gear);
    let edit = entries.last().unwrap();
    assert_eq!(
        (edit.user_id.clone(), edit.uuid, edit.label.as_str()),
        (Some(3.into()), context.uuid(), "Sprocket wheel")
    );
}

#[test]
fn an_update_of_a_row_that_is_gone_writes_no_entry() {
    let mut db = setup();
    let gear = cog(&mut db);
    let mut ghost = gear.clone();
    ghost.id = gear.id + 1_000;
    ghost.size = 9;
    let missing = ghost.update_over(&mut db.conn, &gear, &LogOptions::new());
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
    assert!(history(&mut db.conn, &ghost).is_empty());
    assert_eq!(actions(&history(&mut db.conn, &gear)), ["wagtail.create"]);
}

#[test]
fn an_update_in_one_statement_rolls_back_with_the_callers_transaction() {
    let mut db = setup();
    let gear = cog(&mut db);
    let mut bigger = gear.clone();
    bigger.size = 6;
    let rolled_back: Result<(), Error> = loggable::db::transaction(&mut db.conn, |conn| {
        bigger.update_over(conn, &gear, &LogOptions::new())?;
        assert_eq!(Gear::find(conn, &gear.id)?.size, 6);
        assert_eq!(actions(&history(conn, &gear)).len(), 2);
        Err(Error::EmptyLabel)
    });
    assert!(matches!(rolled_back, Err(Error::EmptyLabel)));
    assert_eq!(Gear::find(&mut db.conn, &gear.id).unwrap().size, 4);
    assert_eq!(actions(&history(&mut db.conn, &gear)), ["wagtail.create"]);
}

#[test]
fn a_suppressed_update_writes_the_row_alone() {
    let mut db = setup();
    let (gear, bigger, statements) = cog_to_grow(&mut db);
    bigger
        .update_over(&mut db.conn, &gear, &LogOptions::new().suppress())
        .unwrap();
    let run = statements.take();
    assert_eq!(Statements::count(&run, "UPDATE"), 1, "{run:#?}");
    assert_eq!(Statements::entry_writes(&run), 0, "{run:#?}");
    assert_eq!(Gear::find(&mut db.conn, &gear.id).unwrap().size, 6);
    assert_eq!(actions(&history(&mut db.conn, &gear)), ["wagtail.create"]);
}

diesel::table! {
    /// A table of SQLite's own column type: its UPDATE compiles for SQLite only.
    stamps (id) {
        id -> BigInt,
        at -> TimestamptzSqlite,
    }
}

#[derive(Debug, Clone, diesel::Queryable, serde::Serialize, loggable::Loggable)]
#[diesel(table_name = stamps)]
#[loggable(content_type = "clock.stamp")]
struct Stamp {
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
}

#[test]
fn a_model_whose_update_does_not_compile_for_postgresql_offers_no_statement() {
    use loggable::model::ModelStore;
    let stamp = Stamp {
        id: 1,
        at: chrono::Utc::now(),
    };
    let statement = <Stamp as ModelStore<diesel::SqliteConnection>>::postgres_save(&stamp);
    assert!(statement.is_none());
    let gear = Gear {
        id: 1,
        name: "Cog".into(),
        size: 4,
    };
    let statement = <Gear as ModelStore<diesel::PgConnection>>::postgres_save(&gear);
    let sql = diesel::debug_query::<diesel::pg::Pg, _>(&statement.unwrap()).to_string();
    assert!(
        sql.starts_with(r#"UPDATE "gears" SET "name" = $1, "size" = $2 WHERE ("gears"."id" = $3) RETURNING "gears"."id""#),
        "{sql}"
    );
}

#[test]
fn the_one_statement_is_prepared_once_per_model() {
    let mut db = setup();
    if db.backend() != BackendKind::Postgresql {
        return;
    }
    let gear = cog(&mut db);
    let statements = crate::visibility_sql::CachedStatements::default();
    db.conn.set_instrumentation(statements.clone());
    let mut old = gear.clone();
    for size in 5..8 {
        let mut new = old.clone();
        new.size = size;
        new.update_over(&mut db.conn, &old, &LogOptions::new())
            .unwrap();
        old = new;
    }
    let (run, cached) = statements.0.lock().unwrap().clone();
    assert_eq!(run.len(), 3, "{run:#?}");
    assert!(run.iter().all(|sql| *sql == run[0]), "{run:#?}");
    assert!(run[0].starts_with("WITH loggable_saved"), "{}", run[0]);
    // Diesel's own UPDATE is never cached; the logged update is, by its text, once.
    assert_eq!(cached.len(), 1, "{cached:#?}");
    assert!(cached.contains(&run[0]), "{cached:#?}");
}

diesel::table! {
    latches (id) {
        id -> BigInt,
        name -> Text,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
    }
}

/// Lockable, without revisions, logged to the application's own table.
#[derive(Debug, Clone, diesel::Queryable, serde::Serialize, loggable::Loggable)]
#[diesel(table_name = latches)]
#[loggable(
    content_type = "factory.latch",
    title = name,
    log_table = crate::custom_table::SPROCKET_LOG,
    lockable
)]
struct Latch {
    id: i64,
    name: String,
    locked: bool,
    locked_at: Option<chrono::NaiveDateTime>,
    locked_by: Option<i64>,
}

#[test]
fn a_lock_holds_against_the_one_statement_and_the_entry_goes_to_the_models_own_table() {
    use diesel::prelude::*;
    let mut db = setup();
    loggable::register_model(Latch::model_type());
    let (id, timestamp) = crate::common::id_and_timestamp(db.backend());
    diesel::sql_query(format!(
        "CREATE TABLE latches (id {id}, name TEXT NOT NULL, locked BOOLEAN NOT NULL DEFAULT FALSE, \
         locked_at {timestamp}, locked_by BIGINT)"
    ))
    .execute(&mut db.conn)
    .unwrap();
    diesel::insert_into(latches::table)
        .values(latches::name.eq("Gate"))
        .execute(&mut db.conn)
        .unwrap();
    let latch: Latch = latches::table.first(&mut db.conn).unwrap();
    let locked = latch.lock(&mut db.conn, 4, &LogOptions::new()).unwrap();

    let mut renamed = locked.clone();
    renamed.name = "Side gate".into();
    let refused = renamed.update_over(&mut db.conn, &locked, &LogOptions::new().user(5));
    assert!(matches!(refused, Err(Error::Locked { .. })), "{refused:?}");
    let stored: Latch = latches::table.find(latch.id).first(&mut db.conn).unwrap();
    assert_eq!(stored.name, "Gate");
    assert_eq!(actions(&history(&mut db.conn, &latch)), ["wagtail.lock"]);

    let statements = Statements::default();
    db.conn.set_instrumentation(statements.clone());
    renamed
        .update_over(&mut db.conn, &locked, &LogOptions::new().user(4))
        .unwrap();
    let run = statements.take();
    assert_eq!(Statements::row_updates(&run), 1, "{run:#?}");
    assert_eq!(Statements::entry_writes(&run), 1, "{run:#?}");
    if db.backend() == BackendKind::Postgresql {
        // The lock is read first, so the read and the one statement share a transaction;
        // the statement also records the application's table in the list of log tables.
        assert_eq!(Statements::count(&run, "BEGIN"), 1, "{run:#?}");
        assert_eq!(
            Statements::count_with(&run, "loggable_recorded AS (INSERT"),
            1,
            "{run:#?}"
        );
    }
    let stored: Latch = latches::table.find(latch.id).first(&mut db.conn).unwrap();
    assert_eq!(stored.name, "Side gate");
    let entries = history(&mut db.conn, &latch);
    assert_eq!(actions(&entries), ["wagtail.lock", "wagtail.edit"]);
    assert_eq!(
        entries[1].data["changes"],
        json!({"name": ["Gate", "Side gate"]})
    );
    let in_own_table = crate::custom_table::SPROCKET_LOG
        .query(
            &mut db.conn,
            &loggable::entry::EntryQuery::new(loggable::entry::EntryScope::All),
        )
        .unwrap();
    assert_eq!(in_own_table.len(), 2);
}
