//! The hash chain (issue #9): an untouched log verifies clean; rows changed, removed, inserted
//! or moved directly in SQL, and edited links, are each reported; concurrent writers keep the
//! chain whole.

use diesel::Connection;
use diesel::connection::SimpleConnection;
use loggable::db::DbConnection;
use loggable::entry::MODEL_LOG;
use loggable::integrity::{self, Problem};
use loggable::model::{log_bulk, prepare_bulk};
use loggable::registry::Registry;
use loggable::{LogContext, ObjectRef, log};

use crate::common::{TestDb, shared_conn};

fn chained() -> Registry {
    let mut registry = Registry::new();
    registry.set_write_hook(
        "loggable_model_log_entries",
        std::sync::Arc::new(loggable::integrity::HashChain::new()),
    );
    registry
}

/// A chained generic log with six entries (ids 1 to 6): three by `log()`, three in bulk.
pub(crate) fn chained_log() -> (TestDb, Registry) {
    let mut db = TestDb::new();
    let registry = chained();
    integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    LogContext::new(Some(7)).scope(|| {
        for n in 1..=3 {
            log(
                &ObjectRef::new("shop.widget", n).title(format!("W{n}")),
                "wagtail.edit",
            )
            .data(serde_json::json!({"changes": {"size": [n, n + 1]}, "a": {"z": 1, "b": 2}}))
            .write_with(&mut db.conn, &registry)
            .unwrap();
        }
        let objects: Vec<ObjectRef> = (4..=6)
            .map(|n| ObjectRef::new("shop.widget", n).title(format!("W{n}")))
            .collect();
        let bulk =
            prepare_bulk(&registry, objects.iter().map(|o| log(o, "wagtail.delete"))).unwrap();
        log_bulk(&mut db.conn, &bulk).unwrap();
    });
    (db, registry)
}

pub(crate) fn problem(conn: &mut DbConnection) -> Option<Problem> {
    integrity::verify(conn, &MODEL_LOG).unwrap().problem
}

#[test]
fn an_untouched_chain_verifies_clean() {
    let (mut db, _) = chained_log();
    let report = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
    assert!(report.chained);
    assert_eq!((report.links, report.problem), (6, None));
    // A table without a chain says so.
    let pages = integrity::verify(&mut db.conn, &loggable::entry::PAGE_LOG).unwrap();
    assert!(!pages.chained);
}

#[test]
fn enabling_chains_the_entries_already_there() {
    let mut db = TestDb::new();
    let plain = Registry::new();
    for n in 0..4 {
        log(&ObjectRef::new("shop.widget", n).title("W"), "wagtail.edit")
            .write_with(&mut db.conn, &plain)
            .unwrap();
    }
    integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    integrity::enable(&mut db.conn, &MODEL_LOG).unwrap(); // idempotent
    log(&ObjectRef::new("shop.widget", 9).title("W"), "wagtail.edit")
        .write_with(&mut db.conn, &chained())
        .unwrap();
    let report = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
    assert_eq!((report.links, report.problem), (5, None));
    // A process that forgot to turn the chain on is caught.
    let forgot = log(
        &ObjectRef::new("shop.widget", 10).title("W"),
        "wagtail.edit",
    )
    .write_with(&mut db.conn, &plain)
    .unwrap();
    assert_eq!(
        problem(&mut db.conn),
        Some(Problem::Inserted {
            entry_id: forgot.id
        })
    );
}

#[test]
fn each_kind_of_tampering_is_reported() {
    let cases: [(&str, Problem); 8] = [
        (
            "UPDATE loggable_model_log_entries SET label = 'W2, quietly' WHERE id = 2",
            Problem::Changed { entry_id: 2 },
        ),
        (
            "UPDATE loggable_model_log_entries SET data = '{\"a\":{\"b\":2,\"z\":1},\"changes\":{\"size\":[1,9]}}' WHERE id = 1",
            Problem::Changed { entry_id: 1 },
        ),
        (
            "DELETE FROM loggable_model_log_entries WHERE id = 3",
            Problem::Removed { entry_id: 3 },
        ),
        (
            "INSERT INTO loggable_model_log_entries (id, content_type, label, action, data, timestamp, \
             content_changed, deleted, object_id) VALUES (100, 'shop.widget', 'Forged', \
             'wagtail.edit', '{}', '2024-01-01 00:00:00', FALSE, FALSE, '1')",
            Problem::Inserted { entry_id: 100 },
        ),
        (
            "UPDATE loggable_model_log_entries SET id = -1 WHERE id = 4; \
             UPDATE loggable_model_log_entries SET id = 4 WHERE id = 5; \
             UPDATE loggable_model_log_entries SET id = 5 WHERE id = -1",
            Problem::Reordered { entry_id: 4 },
        ),
        (
            "DELETE FROM loggable_model_log_entries WHERE id = 6; \
             DELETE FROM loggable_log_chain WHERE log_table = 'loggable_model_log_entries' AND seq = 6",
            Problem::Removed { entry_id: 5 },
        ),
        (
            "UPDATE loggable_log_chain SET content_hash = 'ab' WHERE log_table = 'loggable_model_log_entries' AND seq = 2",
            Problem::BrokenLink { seq: 2 },
        ),
        // An entry linked twice (no unique index forbids it): the walk finds the entry the
        // second link should have covered missing.
        (
            "UPDATE loggable_log_chain SET entry_id = 2 WHERE log_table = 'loggable_model_log_entries' AND seq = 3",
            Problem::Removed { entry_id: 2 },
        ),
    ];
    for (tampering, expected) in cases {
        let (mut db, _) = chained_log();
        assert_eq!(problem(&mut db.conn), None);
        db.conn.batch_execute(tampering).unwrap();
        assert_eq!(problem(&mut db.conn), Some(expected), "{tampering}");
    }
}

#[test]
fn concurrent_writers_keep_one_chain() {
    // Writers need a database several connections share: the test's PostgreSQL schema, or an
    // SQLite file (WAL, busy timeout).
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let (url, mut conn) = shared_conn(&db, &dir, "chain");
    integrity::enable(&mut conn, &MODEL_LOG).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = loggable::db::connect(&url).unwrap();
                let registry = chained();
                for n in 0..40 {
                    let object = ObjectRef::new("shop.widget", t * 1000 + n).title("W");
                    LogContext::new(Some(t))
                        .scope(|| log(&object, "wagtail.edit").write_with(&mut conn, &registry))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let report = integrity::verify(&mut conn, &MODEL_LOG).unwrap();
    assert_eq!((report.links, report.problem), (160, None));
    assert_eq!(
        MODEL_LOG
            .count(
                &mut conn,
                &loggable::entry::EntryQuery::new(loggable::entry::EntryScope::All)
            )
            .unwrap(),
        160
    );
}

#[test]
fn chained_writes_need_the_chain_started_and_ids_are_stored_canonically() {
    let mut db = TestDb::new();
    let mut registry = Registry::new();
    registry.register_model(loggable::registry::ModelType::page("cms.simplepage"));
    registry.set_write_hook(
        "loggable_page_log_entries",
        std::sync::Arc::new(loggable::integrity::HashChain::new()),
    );
    let page = ObjectRef::new("cms.simplepage", "007").title("Seven");
    let err = log(&page, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(err, loggable::Error::ChainNotStarted { table } if table == "loggable_page_log_entries"),
        "{err}"
    );
    let pages = loggable::entry::PAGE_LOG;
    assert_eq!(
        pages
            .count(
                &mut db.conn,
                &loggable::entry::EntryQuery::new(loggable::entry::EntryScope::All)
            )
            .unwrap(),
        0,
        "nothing written"
    );
    integrity::enable(&mut db.conn, &pages).unwrap();
    let written = log(&page, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    // "007" is stored as 7, and hashed as stored, so it verifies.
    assert_eq!(written.object_id, "7");
    let report = integrity::verify(&mut db.conn, &pages).unwrap();
    assert_eq!((report.links, report.problem), (1, None));
}

#[test]
fn verify_reads_one_snapshot_while_others_write() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let (url, mut conn) = shared_conn(&db, &dir, "snapshot");
    integrity::enable(&mut conn, &MODEL_LOG).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (url, stop) = (url.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut conn = loggable::db::connect(&url).unwrap();
            let registry = chained();
            let mut written = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                log(
                    &ObjectRef::new("shop.widget", written).title("W"),
                    "wagtail.edit",
                )
                .write_with(&mut conn, &registry)
                .unwrap();
                written += 1;
            }
            written
        })
    };
    for _ in 0..30 {
        let report = integrity::verify(&mut conn, &MODEL_LOG).unwrap();
        assert_eq!(report.problem, None, "after {} links", report.links);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.join().unwrap();
    let report = integrity::verify(&mut conn, &MODEL_LOG).unwrap();
    assert_eq!((report.links, report.problem), (written as u64, None));
}

#[test]
fn stored_text_that_reads_back_the_same_is_still_caught() {
    // An upper-cased uuid parses to the same value, but no longer groups with its user action.
    let (mut db, _) = chained_log();
    db.conn
        .batch_execute(
            "UPDATE loggable_model_log_entries SET uuid = UPPER(uuid) WHERE id = 2 AND uuid IS NOT NULL",
        )
        .unwrap();
    let changed: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT COUNT(*) FROM loggable_model_log_entries WHERE uuid <> LOWER(uuid)",
        ),
        &mut db.conn,
    )
    .unwrap();
    assert_eq!(changed, 1, "the tampering applied");
    assert_eq!(
        problem(&mut db.conn),
        Some(Problem::Changed { entry_id: 2 })
    );

    // SQLite keeps timestamps as text: `...T...Z` reads back as the same instant but sorts
    // differently. (PostgreSQL stores a timestamp, not its text.)
    let (mut db, _) = chained_log();
    if let DbConnection::Sqlite(_) = db.conn {
        db.conn
            .batch_execute(
                "UPDATE loggable_model_log_entries \
                 SET timestamp = REPLACE(timestamp, ' ', 'T') || 'Z' WHERE id = 3",
            )
            .unwrap();
        assert_eq!(
            problem(&mut db.conn),
            Some(Problem::Changed { entry_id: 3 })
        );
    }
}

/// A chained generic log whose connection reports to `watcher` from then on, after three
/// chained entries have gone in.
/// Three chained writes, watched from the first of them (or, with `watch_enable`, from the
/// chain's start, which prepares statements the writes then use).
fn three_chained_writes(
    watcher: impl diesel::connection::Instrumentation,
    watch_enable: bool,
) -> TestDb {
    let mut db = TestDb::new();
    let registry = chained();
    if watch_enable {
        db.conn.set_instrumentation(watcher);
        integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    } else {
        integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
        db.conn.set_instrumentation(watcher);
    }
    for n in 1..=3 {
        log(&ObjectRef::new("shop.widget", n).title("W"), "wagtail.edit")
            .data(serde_json::json!({"b": [1, "é"], "a": null}))
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    db
}

#[test]
fn a_chained_entry_costs_one_statement_on_postgresql_and_links_as_the_library_hashes() {
    let statements = crate::common::Statements::default();
    let mut db = three_chained_writes(statements.clone(), false);
    let run = statements.take();
    if db.backend() == loggable::db::BackendKind::Postgresql {
        // The head's lock, the entry, the link (hashed by the server) and the head's move:
        // one statement per entry, no transaction around it.
        assert_eq!(run.len(), 3, "{run:#?}");
    }
    // The links the server hashed are the ones verify recomputes.
    let report = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
    assert_eq!((report.links, report.problem), (3, None));
}

#[test]
fn a_chained_entrys_statements_are_prepared_once() {
    let statements = crate::visibility_sql::CachedStatements::default();
    three_chained_writes(statements.clone(), true);
    let (run, cached) = statements.0.lock().unwrap().clone();
    // Diesel calls every UPDATE and multi-row INSERT uncacheable; the head's move and the
    // link have one text each and are cached, so neither is planned again. (SQLite's lock of
    // the head, an UPDATE with RETURNING, is not cached yet.)
    let planned_each_time: Vec<&String> = run
        .iter()
        .filter(|sql| {
            ["SELECT", "INSERT", "UPDATE", "WITH"]
                .iter()
                .any(|s| sql.starts_with(s))
        })
        .filter(|sql| !(sql.starts_with("UPDATE") && sql.contains(" RETURNING ")))
        .filter(|sql| !cached.contains(*sql))
        .collect();
    assert!(
        planned_each_time.is_empty(),
        "{planned_each_time:#?} {cached:#?}"
    );
    assert!(
        run.iter()
            .filter(|sql| sql.contains("loggable_log_chain"))
            .count()
            >= 3,
        "{run:#?}"
    );
}
