//! One damaged row (issue #18): its data or uuid edited into something unreadable. Reads,
//! reports, exports and histories show it as unreadable, with its id, and go on; verification
//! reports it; walks that must have every row as written refuse it by id.

use diesel::connection::SimpleConnection;
use loggable::entry::MODEL_LOG;
use loggable::export::ExportFormat;
use loggable::report::{Filters, site_history_page};
use loggable::{Error, ObjectRef, log};

use crate::common::TestDb;
use crate::common::widget_registry as registry;

/// Five entries of widget 1; entry 2's data and entry 4's uuid are then damaged.
fn damaged_log() -> TestDb {
    let mut db = TestDb::new();
    let registry = registry();
    for n in 1..=5 {
        log(
            &ObjectRef::new("shop.widget", 1).title(format!("W{n}")),
            "wagtail.edit",
        )
        .data(serde_json::json!({"n": n}))
        .write_with(&mut db.conn, &registry)
        .unwrap();
    }
    db.conn
        .batch_execute(
            "UPDATE loggable_model_log_entries SET data = '{\"n\": 2' WHERE id = 2; \
             UPDATE loggable_model_log_entries SET uuid = 'not-a-uuid' WHERE id = 4",
        )
        .unwrap();
    db
}

#[test]
fn a_report_shows_the_damaged_rows_as_unreadable_and_goes_on() {
    let mut db = damaged_log();
    let registry = registry();
    let page =
        site_history_page(&mut db.conn, &registry, None, &Filters::default(), None, 10).unwrap();
    let ids: Vec<i64> = page.entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, [5, 4, 3, 2, 1]);
    let unreadable: Vec<(i64, String)> = page
        .entries
        .iter()
        .filter(|e| e.unreadable.is_some())
        .map(|e| (e.id, registry.message(e)))
        .collect();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(
        unreadable[0]
            .1
            .starts_with("Unreadable entry 4 in loggable_model_log_entries: uuid"),
        "{unreadable:?}"
    );
    assert!(
        unreadable[1]
            .1
            .starts_with("Unreadable entry 2 in loggable_model_log_entries: data"),
        "{unreadable:?}"
    );
    // The others read as written.
    let third = page.entries.iter().find(|e| e.id == 3).unwrap();
    assert_eq!(
        (third.unreadable.as_deref(), &third.data["n"]),
        (None, &serde_json::json!(3))
    );

    let history =
        loggable::entries_for_object(&mut db.conn, &registry, &ObjectRef::new("shop.widget", 1))
            .unwrap();
    assert_eq!(history.len(), 5);
}

#[test]
fn an_export_writes_every_row_the_damaged_ones_marked() {
    let mut db = damaged_log();
    let registry = registry();
    let (rows, lines) = crate::common::export_json_lines(&mut db.conn, &registry);
    assert_eq!(rows, 5);
    let marked: Vec<i64> = lines
        .iter()
        .filter(|row| row["entry"].get("unreadable").is_some())
        .map(|row| row["entry"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(marked, [4, 2]);
}

#[test]
fn verification_reports_a_damaged_row_and_chaining_refuses_it_by_id() {
    let mut db = damaged_log();
    // Chaining the table as it is now would hash the damage: refused, naming the row.
    let refused = loggable::integrity::enable(&mut db.conn, &MODEL_LOG).unwrap_err();
    assert!(
        matches!(refused, Error::CorruptEntry { id: 2, .. }),
        "{refused}"
    );

    // A chain made before the damage reports the first damaged row.
    let mut db = TestDb::new();
    loggable::integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    let mut chained = registry();
    chained.set_write_hook(
        MODEL_LOG.name(),
        std::sync::Arc::new(loggable::integrity::HashChain::new()),
    );
    for n in 1..=3 {
        log(&ObjectRef::new("shop.widget", n).title("W"), "wagtail.edit")
            .write_with(&mut db.conn, &chained)
            .unwrap();
    }
    db.conn
        .batch_execute("UPDATE loggable_model_log_entries SET data = '[1]' WHERE id = 2")
        .unwrap();
    assert_eq!(
        loggable::integrity::verify(&mut db.conn, &MODEL_LOG)
            .unwrap()
            .problem,
        Some(loggable::integrity::Problem::Changed { entry_id: 2 })
    );
}

/// Every entry id of the site history, reading it `per_page` at a time by cursor.
fn paged_ids(db: &mut TestDb, per_page: i64) -> Vec<i64> {
    let registry = registry();
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = site_history_page(
            &mut db.conn,
            &registry,
            None,
            &Filters::default(),
            after,
            per_page,
        )
        .unwrap();
        ids.extend(page.entries.iter().map(|e| e.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return ids,
        }
    }
}

#[test]
fn a_timestamp_that_is_no_date_is_shown_where_its_text_sorts() {
    let mut db = damaged_log();
    if db.backend() != loggable::db::BackendKind::Sqlite {
        return; // PostgreSQL's timestamp column holds nothing but dates.
    }
    // Text after every date: it sorts first, newest-first.
    db.conn
        .batch_execute("UPDATE loggable_model_log_entries SET timestamp = 'soon' WHERE id = 3")
        .unwrap();
    for per_page in [1, 2, 10] {
        assert_eq!(
            paged_ids(&mut db, per_page),
            [3, 5, 4, 2, 1],
            "{per_page} a page"
        );
    }
    let page = site_history_page(
        &mut db.conn,
        &registry(),
        None,
        &Filters::default(),
        None,
        10,
    )
    .unwrap();
    let soon = &page.entries[0];
    assert!(
        registry()
            .message(soon)
            .starts_with("Unreadable entry 3 in loggable_model_log_entries: timestamp 'soon'"),
        "{}",
        registry().message(soon)
    );

    // Text just after entry 1's: it sits between entries 1 and 2.
    db.conn
        .batch_execute(
            "UPDATE loggable_model_log_entries SET timestamp = \
             (SELECT timestamp FROM loggable_model_log_entries WHERE id = 1) || 'x' WHERE id = 5",
        )
        .unwrap();
    for per_page in [1, 2, 10] {
        assert_eq!(
            paged_ids(&mut db, per_page),
            [3, 4, 2, 5, 1],
            "{per_page} a page"
        );
    }
    let mut out = Vec::new();
    let rows = loggable::export::site_history(
        &mut db.conn,
        &registry(),
        None,
        &Filters::default(),
        ExportFormat::Csv,
        &mut out,
        |_| {},
    )
    .unwrap();
    assert_eq!(rows, 5);
}
