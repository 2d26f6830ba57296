//! Entries sent together: `entry::buffered_transaction` on both backends (entries wait on
//! PostgreSQL, go in at once on SQLite), what reads inside it see, rollback, and chained
//! tables written at once.

use std::sync::Arc;

use diesel::prelude::*;
use loggable::db::BackendKind;
use loggable::entry::MODEL_LOG;
use loggable::entry::buffered_transaction;
use loggable::integrity::{self, HashChain};
use loggable::registry::Registry;
use loggable::{Error, ObjectRef, log};

use crate::common::{Statements, TestDb, page_registry};

fn page(n: i64) -> ObjectRef {
    ObjectRef::new("cms.simplepage", n).title("Page")
}

#[test]
fn entries_go_in_together_with_the_ids_each_log_returned() {
    let mut db = TestDb::new();
    let registry = page_registry();
    let statements = Statements::default();
    db.conn.set_instrumentation(statements.clone());
    let written = buffered_transaction(&mut db.conn, |conn| {
        (0..500)
            .map(|n| log(&page(n % 7), "wagtail.edit").write_with(conn, &registry))
            .collect::<loggable::Result<Vec<_>>>()
    })
    .unwrap();
    let run = statements.take();
    let inserts = Statements::entry_writes(&run);
    let id_batches = run.iter().filter(|s| s.contains("nextval")).count();
    match db.backend() {
        // One INSERT for all 500; ids taken 16, 32, ... 256 at a time, then 512.
        BackendKind::Postgresql => assert_eq!((inserts, id_batches), (1, 6), "{run:#?}"),
        BackendKind::Sqlite | BackendKind::Mysql => assert_eq!((inserts, id_batches), (500, 0)),
    }
    let ids: Vec<i64> = written.iter().map(|entry| entry.id).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");

    // What each call returned is what is stored.
    let stored = loggable::entries_for_object(&mut db.conn, &registry, &page(3)).unwrap();
    let mut expected: Vec<_> = written
        .into_iter()
        .filter(|entry| entry.object_id == "3")
        .collect();
    expected.reverse();
    assert_eq!(stored, expected);
}

#[test]
fn a_read_inside_the_transaction_sees_the_waiting_entries() {
    let mut db = TestDb::new();
    let registry = page_registry();
    buffered_transaction(&mut db.conn, |conn| {
        for action in ["wagtail.create", "wagtail.edit"] {
            log(&page(1), action).write_with(conn, &registry)?;
        }
        let seen = loggable::entries_for_object(conn, &registry, &page(1))?;
        assert_eq!(seen.len(), 2);
        log(&page(1), "wagtail.publish").write_with(conn, &registry)?;
        // Your own queries, on the connection it gives back, see them too.
        let counted: i64 = crate::tables::loggable_page_log_entries::table
            .count()
            .get_result(conn.connection()?)
            .map_err(|source| Error::Database {
                context: "counting",
                source,
            })?;
        assert_eq!(counted, 3);
        Ok(())
    })
    .unwrap();
}

#[test]
fn an_error_in_the_body_rolls_back_every_entry() {
    let mut db = TestDb::new();
    let registry = page_registry();
    let failed = buffered_transaction(&mut db.conn, |conn| {
        for n in 0..3 {
            log(&page(n), "wagtail.edit").write_with(conn, &registry)?;
        }
        log(&page(9), "shop.not_registered").write_with(conn, &registry)
    });
    assert!(
        matches!(failed, Err(Error::UnregisteredAction(_))),
        "{failed:?}"
    );
    for n in 0..3 {
        let stored = loggable::entries_for_object(&mut db.conn, &registry, &page(n)).unwrap();
        assert!(stored.is_empty(), "{stored:?}");
    }
}

#[test]
fn a_chained_table_is_written_at_once_and_its_chain_verifies() {
    let mut db = TestDb::new();
    let mut registry: Registry = page_registry();
    registry.set_write_hook(MODEL_LOG.name(), Arc::new(HashChain::new()));
    integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    let widget = ObjectRef::new("shop.widget", 1).title("Widget");
    buffered_transaction(&mut db.conn, |conn| {
        for n in 0..5 {
            log(&page(n), "wagtail.edit").write_with(conn, &registry)?;
            log(&widget, "wagtail.edit").write_with(conn, &registry)?;
        }
        Ok(())
    })
    .unwrap();
    let report = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
    assert_eq!((report.links, report.problem), (5, None));
    let pages: usize = (0..5)
        .map(|n| {
            loggable::entries_for_object(&mut db.conn, &registry, &page(n))
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(pages, 5);
}

#[test]
fn a_send_that_fails_fails_the_transaction_even_when_the_body_goes_on() {
    let mut db = crate::custom_table::app_db();
    if db.backend() != BackendKind::Postgresql {
        return; // SQLite writes each entry at once: nothing waits to be sent.
    }
    use diesel::connection::SimpleConnection;
    db.conn
        .batch_execute(
            "ALTER TABLE sprocket_log_entries \
             ADD CONSTRAINT refuses_unlock CHECK (action <> 'wagtail.unlock')",
        )
        .unwrap();
    let mut registry = page_registry();
    registry.register_model(
        loggable::registry::ModelType::new("shop.sprocket")
            .log_table(crate::custom_table::SPROCKET_LOG),
    );
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("Sprocket");
    let outcome = buffered_transaction(&mut db.conn, |conn| {
        log(&page(1), "wagtail.edit").write_with(conn, &registry)?;
        log(&sprocket, "wagtail.unlock").write_with(conn, &registry)?;
        // The waiting entries go in here, and the database refuses one of them.
        assert!(conn.connection().is_err());
        // The body goes on as if nothing had happened.
        Ok(())
    });
    assert!(
        matches!(outcome, Err(Error::BufferedEntriesLost)),
        "{outcome:?}"
    );
    let stored = loggable::entries_for_object(&mut db.conn, &registry, &page(1)).unwrap();
    assert!(stored.is_empty(), "{stored:?}");
}
