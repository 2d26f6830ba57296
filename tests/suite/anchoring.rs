//! External anchoring of the hash chain (issue #18): a head recorded outside the database
//! catches what the database alone cannot, a chain cut back or rebuilt over changed entries
//! with consistent hashes, or removed altogether.

use diesel::connection::SimpleConnection;
use loggable::entry::MODEL_LOG;
use loggable::integrity::{self, Anchor, Problem};
use loggable::{LogContext, ObjectRef, log};

use crate::integrity::{chained_log, problem};

fn head(conn: &mut loggable::db::DbConnection) -> Anchor {
    integrity::verify(conn, &MODEL_LOG).unwrap().head.unwrap()
}

fn against(conn: &mut loggable::db::DbConnection, anchor: &Anchor) -> Option<Problem> {
    integrity::verify_against(conn, &MODEL_LOG, anchor)
        .unwrap()
        .problem
}

#[test]
fn verify_reports_the_head_to_record() {
    let (mut db, _) = chained_log();
    let anchor = head(&mut db.conn);
    assert_eq!((anchor.seq, anchor.last_entry_id), (6, Some(6)));
    assert_eq!(anchor.chain_hash.len(), 64);
    assert_eq!(against(&mut db.conn, &anchor), None);
}

#[test]
fn a_chain_that_grew_still_passes_its_recorded_head() {
    let (mut db, registry) = chained_log();
    let anchor = head(&mut db.conn);
    LogContext::new(Some(1))
        .scope(|| {
            log(
                &ObjectRef::new("shop.widget", 9).title("W9"),
                "wagtail.edit",
            )
            .write_with(&mut db.conn, &registry)
        })
        .unwrap();
    let report = integrity::verify_against(&mut db.conn, &MODEL_LOG, &anchor).unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(report.head.map(|h| h.seq), Some(7));
}

#[test]
fn cutting_the_newest_entries_and_moving_the_head_back_is_caught() {
    let (mut db, _) = chained_log();
    let anchor = head(&mut db.conn);
    db.conn
        .batch_execute(
            "DELETE FROM loggable_model_log_entries WHERE id >= 5; \
             DELETE FROM loggable_log_chain WHERE log_table = 'loggable_model_log_entries' AND seq >= 5; \
             UPDATE loggable_log_chain_heads SET seq = 4, chain_hash = (SELECT chain_hash FROM \
             loggable_log_chain WHERE log_table = 'loggable_model_log_entries' AND seq = 4) \
             WHERE log_table = 'loggable_model_log_entries'",
        )
        .unwrap();
    // The database alone cannot tell: what is left is a whole chain.
    assert_eq!(problem(&mut db.conn), None);
    assert_eq!(
        against(&mut db.conn, &anchor),
        Some(Problem::Truncated { seq: 6 })
    );
}

#[test]
fn a_chain_rebuilt_over_a_changed_entry_is_caught() {
    let (mut db, _) = chained_log();
    let anchor = head(&mut db.conn);
    db.conn
        .batch_execute(
            "UPDATE loggable_model_log_entries SET label = 'W2, quietly' WHERE id = 2; \
             DELETE FROM loggable_log_chain WHERE log_table = 'loggable_model_log_entries'; \
             DELETE FROM loggable_log_chain_heads WHERE log_table = 'loggable_model_log_entries'",
        )
        .unwrap();
    integrity::enable(&mut db.conn, &MODEL_LOG).unwrap();
    assert_eq!(
        problem(&mut db.conn),
        None,
        "recomputed links are consistent"
    );
    assert_eq!(
        against(&mut db.conn, &anchor),
        Some(Problem::Rewritten { seq: 6 })
    );
}

#[test]
fn a_removed_chain_is_caught() {
    let (mut db, _) = chained_log();
    let anchor = head(&mut db.conn);
    db.conn
        .batch_execute(
            "DELETE FROM loggable_log_chain WHERE log_table = 'loggable_model_log_entries'; \
             DELETE FROM loggable_log_chain_heads WHERE log_table = 'loggable_model_log_entries'; \
             UPDATE loggable_model_log_entries SET label = 'Forged' WHERE id = 1",
        )
        .unwrap();
    let plain = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
    assert!(!plain.chained && plain.problem.is_none());
    assert_eq!(against(&mut db.conn, &anchor), Some(Problem::ChainMissing));
}
