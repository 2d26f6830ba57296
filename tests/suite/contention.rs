//! Contention and size limits on MySQL/MariaDB (issue #21): a deadlock in loggable's own
//! transaction is run again, a lock wait that times out and a statement larger than the
//! server's packet are typed errors, and bulk writes are cut to the packet size. The other
//! backends have their own tests of these paths; these do nothing there.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use loggable::db::{BackendKind, DbConnection};
use loggable::entry::{LogEntry, LogTable, MODEL_LOG, WriteHook};
use loggable::registry::Registry;
use loggable::{Contention, Error, ObjectRef, log};
use serde_json::json;

use crate::common::{Statements, TestDb};

fn mysql_db() -> Option<TestDb> {
    let db = TestDb::new();
    (db.backend() == BackendKind::Mysql).then_some(db)
}

fn entry_count(conn: &mut DbConnection) -> i64 {
    crate::tables::loggable_model_log_entries::table
        .count()
        .get_result(conn)
        .unwrap()
}

/// On its first call, makes the write's transaction the victim of a deadlock: it locks row 1
/// of `deadlock_rows`, lets another connection (heavier: it has written rows) lock row 2 and
/// wait for row 1, then asks for row 2. Later calls just write.
#[derive(Debug)]
struct DeadlockOnce {
    url: String,
    calls: AtomicUsize,
    other: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl WriteHook for DeadlockOnce {
    fn around_write(
        &self,
        conn: &mut DbConnection,
        _table: &LogTable,
        write: &mut dyn FnMut(&mut DbConnection) -> loggable::Result<Vec<LogEntry>>,
    ) -> loggable::Result<Vec<LogEntry>> {
        if self.calls.fetch_add(1, Ordering::SeqCst) > 0 {
            return write(conn);
        }
        conn.batch_execute("SELECT n FROM deadlock_rows WHERE id = 1 FOR UPDATE")?;
        let (holds_row_2, wait) = mpsc::channel();
        let url = self.url.clone();
        let other = std::thread::spawn(move || {
            let mut other = loggable::db::connect(&url).unwrap();
            other
                .batch_execute(
                    "BEGIN; INSERT INTO deadlock_weight (n) VALUES (1), (2), (3), (4), (5), \
                     (6), (7), (8); SELECT n FROM deadlock_rows WHERE id = 2 FOR UPDATE;",
                )
                .unwrap();
            holds_row_2.send(()).unwrap();
            // Waits for row 1 until the write's transaction is rolled back.
            other
                .batch_execute("SELECT n FROM deadlock_rows WHERE id = 1 FOR UPDATE; COMMIT;")
                .unwrap();
        });
        *self.other.lock().unwrap() = Some(other);
        wait.recv().unwrap();
        // Long enough for the other connection to be waiting on row 1.
        std::thread::sleep(Duration::from_millis(300));
        conn.batch_execute("SELECT n FROM deadlock_rows WHERE id = 2 FOR UPDATE")?;
        write(conn)
    }
}

/// The tables [`DeadlockOnce`] locks, and a registry that runs it around the model log's
/// writes.
fn deadlock_once(db: &mut TestDb) -> (Arc<DeadlockOnce>, Registry) {
    db.conn
        .batch_execute(
            "CREATE TABLE deadlock_rows (id INT PRIMARY KEY, n INT NOT NULL); \
             INSERT INTO deadlock_rows VALUES (1, 0), (2, 0); \
             CREATE TABLE deadlock_weight (n INT NOT NULL);",
        )
        .unwrap();
    let hook = Arc::new(DeadlockOnce {
        url: db.url().to_owned(),
        calls: AtomicUsize::new(0),
        other: Mutex::new(None),
    });
    let mut registry = Registry::new();
    registry.set_write_hook(MODEL_LOG.name(), hook.clone());
    (hook, registry)
}

#[test]
fn a_deadlock_in_loggables_own_transaction_is_run_again() {
    let Some(mut db) = mysql_db() else { return };
    let (hook, registry) = deadlock_once(&mut db);

    let written = log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit")
        .write_with(&mut db.conn, &registry);
    hook.other.lock().unwrap().take().unwrap().join().unwrap();

    let written = written.expect("the deadlocked transaction ran again and succeeded");
    assert_eq!(hook.calls.load(Ordering::SeqCst), 2, "one retry");
    assert_eq!(entry_count(&mut db.conn), 1, "written once");
    assert_eq!(written.label, "W");
}

#[test]
fn inside_the_callers_transaction_a_deadlock_goes_to_the_caller() {
    let Some(mut db) = mysql_db() else { return };
    let (hook, registry) = deadlock_once(&mut db);

    let outcome = loggable::db::transaction(&mut db.conn, |conn| {
        log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit")
            .write_with(conn, &registry)
    });
    hook.other.lock().unwrap().take().unwrap().join().unwrap();

    let error = outcome.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Contention {
                kind: Contention::Deadlock,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(hook.calls.load(Ordering::SeqCst), 1, "not run again");
    assert_eq!(entry_count(&mut db.conn), 0);
}

#[test]
fn a_lock_wait_that_times_out_is_a_typed_error_and_writes_nothing() {
    let Some(mut db) = mysql_db() else { return };
    loggable::integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    let mut registry = Registry::new();
    registry.set_write_hook(
        MODEL_LOG.name(),
        Arc::new(loggable::integrity::HashChain::new()),
    );
    // Another connection holds the chain's head.
    let mut holder = loggable::db::connect(db.url()).unwrap();
    holder
        .batch_execute("BEGIN; SELECT seq FROM loggable_log_chain_heads FOR UPDATE;")
        .unwrap();
    db.conn
        .batch_execute("SET SESSION innodb_lock_wait_timeout = 1")
        .unwrap();

    let error = log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    holder.batch_execute("ROLLBACK").unwrap();

    assert!(
        matches!(
            error,
            Error::Contention {
                kind: Contention::LockWaitTimeout,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(entry_count(&mut db.conn), 0);
    // Once the head is free the same write goes through and the chain verifies.
    log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let report = loggable::integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
    assert_eq!((report.links, report.problem), (1, None));
}

/// The server's `max_allowed_packet`, in bytes.
fn packet_limit(conn: &mut DbConnection) -> usize {
    #[derive(QueryableByName)]
    struct Packet {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        bytes: i64,
    }
    diesel::sql_query("SELECT CAST(@@max_allowed_packet AS SIGNED) AS bytes")
        .get_result::<Packet>(conn)
        .unwrap()
        .bytes as usize
}

/// An entry's data is capped at 1 MiB by default, below MySQL's default packet (16 MiB); a
/// registry that allows more meets the server's packet, and the refusal is typed.
#[test]
fn an_entry_larger_than_the_servers_packet_is_a_typed_error() {
    let Some(mut db) = mysql_db() else { return };
    let limit = packet_limit(&mut db.conn);
    let mut registry = Registry::new();
    registry.set_max_data_bytes(2 * limit);
    let error = log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit")
        .data(json!({ "body": "x".repeat(limit + 1024) }))
        .write_with(&mut db.conn, &registry)
        .unwrap_err();
    assert!(
        matches!(error, Error::StatementTooLarge { .. }),
        "{error:?}"
    );
    // The server may close a connection that sent too large a packet: count on a new one.
    let mut fresh = loggable::db::connect(db.url()).unwrap();
    assert_eq!(entry_count(&mut fresh), 0);
}

#[test]
fn bulk_writes_are_cut_into_inserts_that_fit_the_servers_packet() {
    let Some(mut db) = mysql_db() else { return };
    let limit = packet_limit(&mut db.conn);
    // Forty entries of a twentieth of the packet each: two packets' worth in all (MySQL 8's
    // default packet of 64 MiB makes them larger than the default data cap, so it is raised).
    let body = "y".repeat(limit / 20);
    let mut registry = Registry::new();
    registry.set_max_data_bytes(limit);
    let objects: Vec<_> = (0..40)
        .map(|n| ObjectRef::new("shop.widget", n).title("W"))
        .collect();
    let entries = loggable::model::prepare_bulk(
        &registry,
        objects
            .iter()
            .map(|object| log(object, "wagtail.edit").data(json!({ "body": body }))),
    )
    .unwrap();
    let statements = Statements::default();
    db.conn.set_instrumentation(statements.clone());
    let written = loggable::model::log_bulk(&mut db.conn, &entries).unwrap();
    db.conn.set_instrumentation(None::<Statements>);

    assert_eq!(written, 40);
    assert_eq!(entry_count(&mut db.conn), 40);
    let inserts = Statements::entry_writes(&statements.take());
    // At most half a packet each: ten entries a statement.
    assert!((4..=5).contains(&inserts), "{inserts} INSERTs");
}

diesel::table! {
    gauges (id) {
        id -> BigInt,
        name -> Text,
    }
}

/// A model whose integer key its insertable sets: no id is generated for it.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, serde::Serialize, loggable::Loggable)]
#[diesel(table_name = gauges)]
#[loggable(content_type = "shop.gauge", title = name, new = Self)]
struct Gauge {
    id: i64,
    name: String,
}

/// MySQL keeps the last generated id across INSERTs that generate none: `create` must not
/// read another row back by it, nor log that row as created.
#[test]
fn creating_a_row_whose_key_is_set_never_reads_back_or_logs_another_row() {
    use loggable::prelude::*;
    let Some(mut db) = mysql_db() else { return };
    db.conn
        .batch_execute(
            "CREATE TABLE gauges (id BIGINT PRIMARY KEY, name TEXT NOT NULL); \
             INSERT INTO gauges VALUES (1, 'Old gauge');",
        )
        .unwrap();
    // An INSERT on this connection generates id 1: the first log entry's.
    let first = log(&ObjectRef::new("shop.widget", 1).title("W"), "wagtail.edit")
        .write(&mut db.conn)
        .unwrap();
    assert_eq!(first.id, 1);
    let new = Gauge {
        id: 5,
        name: "New gauge".into(),
    };
    let refused = Gauge::create(&mut db.conn, &new, &Default::default()).unwrap_err();
    assert!(
        refused.to_string().contains("AUTO_INCREMENT"),
        "a clear error, got {refused}"
    );
    // Nothing of the attempt stays: gauge 5 is not there, and no entry names a gauge.
    let ids: Vec<i64> = gauges::table.select(gauges::id).load(&mut db.conn).unwrap();
    assert_eq!(ids, [1]);
    assert_eq!(entry_count(&mut db.conn), 1, "only the first entry");
}
