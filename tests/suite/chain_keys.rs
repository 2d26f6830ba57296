//! What the hash chain's own rows can no longer hide (issue #18): a chain deleted whole, a head
//! deleted or moved back, and, with a keyed chain, a chain rebuilt by someone without the key.

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use loggable::entry::MODEL_LOG;
use loggable::integrity::{self, ChainKey, HashChain, Problem, VerifyOptions};
use loggable::registry::Registry;
use loggable::{Error, ObjectRef, log};

use crate::common::TestDb;
use crate::integrity::chained_log;

const KEY: &str = "a key the database never sees, 32+ bytes";
const OTHER_KEY: &str = "someone else's key, also 32+ bytes long";

fn model_log_problem(reports: &[integrity::Report]) -> Option<Problem> {
    reports
        .iter()
        .find(|r| r.table == MODEL_LOG.name())
        .and_then(|r| r.problem.clone())
}

fn keyed(key: &str) -> HashChain {
    HashChain::keyed(ChainKey::new(key).unwrap())
}

fn registry_with(chain: HashChain) -> Registry {
    let mut registry = Registry::new();
    registry.set_write_hook(MODEL_LOG.name(), Arc::new(chain));
    registry
}

fn write(db: &mut TestDb, registry: &Registry, n: i64) -> Result<(), Error> {
    log(
        &ObjectRef::new("shop.widget", n).title(format!("W{n}")),
        "wagtail.edit",
    )
    .write_with(&mut db.conn, registry)
    .map(|_| ())
}

/// Recomputes `MODEL_LOG`'s chain from scratch over whatever the table holds now, as anyone
/// with write access to the database can: drop the chain, then start a new one.
fn rebuild_chain(db: &mut TestDb, chain: &HashChain) {
    db.conn
        .batch_execute(
            "DELETE FROM loggable_log_chain WHERE log_table = 'loggable_model_log_entries'; \
             DELETE FROM loggable_log_chain_heads WHERE log_table = 'loggable_model_log_entries'",
        )
        .unwrap();
    chain.enable(&mut db.conn, &MODEL_LOG).unwrap();
}

#[test]
fn a_table_the_registry_chains_fails_when_its_chain_is_deleted_whole() {
    let (mut db, registry) = chained_log();
    assert_eq!(
        model_log_problem(&integrity::verify_registry(&mut db.conn, &registry).unwrap()),
        None
    );
    db.conn
        .batch_execute(
            "DELETE FROM loggable_log_chain; DELETE FROM loggable_log_chain_heads; \
             UPDATE loggable_model_log_entries SET label = 'forged' WHERE id = 2",
        )
        .unwrap();
    // On its own the table just looks unchained...
    assert_eq!(
        integrity::verify(&mut db.conn, &MODEL_LOG).unwrap().problem,
        None
    );
    // ...but the registry says it is chained, and so can the one verifying.
    let reports = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert_eq!(model_log_problem(&reports), Some(Problem::ChainMissing));
    let plain = HashChain::new();
    let expected = VerifyOptions::new().expect_chain(&plain);
    assert_eq!(
        integrity::verify_with(&mut db.conn, &MODEL_LOG, expected)
            .unwrap()
            .problem,
        Some(Problem::ChainMissing)
    );
}

#[test]
fn a_deleted_or_moved_back_head_is_caught_without_a_recorded_anchor() {
    let (mut db, _) = chained_log();
    db.conn
        .batch_execute(
            "UPDATE loggable_log_chain_heads SET seq = 4, chain_hash = (SELECT chain_hash FROM \
             loggable_log_chain WHERE log_table = 'loggable_model_log_entries' AND seq = 4) \
             WHERE log_table = 'loggable_model_log_entries'",
        )
        .unwrap();
    assert_eq!(
        integrity::verify(&mut db.conn, &MODEL_LOG).unwrap().problem,
        Some(Problem::HeadMoved { seq: 4 })
    );
    db.conn
        .batch_execute("DELETE FROM loggable_log_chain_heads")
        .unwrap();
    assert_eq!(
        integrity::verify(&mut db.conn, &MODEL_LOG).unwrap().problem,
        Some(Problem::HeadMissing)
    );
}

#[test]
fn a_keyed_chain_verifies_with_its_key_and_nothing_else() {
    let mut db = TestDb::new();
    let chain = keyed(KEY);
    chain.enable(&mut db.conn, &MODEL_LOG).unwrap();
    let registry = registry_with(chain);
    for n in 1..=4 {
        write(&mut db, &registry, n).unwrap();
    }
    let reports = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    let report = reports
        .iter()
        .find(|r| r.table == MODEL_LOG.name())
        .unwrap();
    assert_eq!((report.links, &report.problem), (4, &None));

    // Without the key there is nothing to check the links with: an error, not a pass.
    let unkeyed = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap_err();
    assert!(
        matches!(unkeyed, Error::ChainKeyMismatch { .. }),
        "{unkeyed}"
    );
    // With the wrong key, the chain is not the one expected.
    let wrong = keyed(OTHER_KEY);
    let options = VerifyOptions::new().expect_chain(&wrong);
    assert_eq!(
        integrity::verify_with(&mut db.conn, &MODEL_LOG, options)
            .unwrap()
            .problem,
        Some(Problem::KeyMismatch)
    );
}

#[test]
fn writers_with_another_key_or_none_are_refused() {
    let mut db = TestDb::new();
    keyed(KEY).enable(&mut db.conn, &MODEL_LOG).unwrap();
    for chain in [keyed(OTHER_KEY), HashChain::new()] {
        let refused = write(&mut db, &registry_with(chain), 1).unwrap_err();
        assert!(
            matches!(refused, Error::ChainKeyMismatch { .. }),
            "{refused}"
        );
    }
    // Nothing was written: the refusal came before the entry.
    let registry = registry_with(keyed(KEY));
    let report = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert_eq!(
        report
            .iter()
            .find(|r| r.table == MODEL_LOG.name())
            .map(|r| r.links),
        Some(0)
    );
    assert_eq!(
        model_log_problem(&integrity::verify_registry(&mut db.conn, &registry).unwrap()),
        None
    );
    // Starting the chain again with another key is refused too.
    let again = keyed(OTHER_KEY)
        .enable(&mut db.conn, &MODEL_LOG)
        .unwrap_err();
    assert!(matches!(again, Error::ChainKeyMismatch { .. }), "{again}");
}

#[test]
fn a_keyed_chain_rebuilt_without_the_key_over_a_changed_entry_is_caught() {
    let mut db = TestDb::new();
    let chain = keyed(KEY);
    chain.enable(&mut db.conn, &MODEL_LOG).unwrap();
    let registry = registry_with(keyed(KEY));
    for n in 1..=4 {
        write(&mut db, &registry, n).unwrap();
    }
    db.conn
        .batch_execute("UPDATE loggable_model_log_entries SET label = 'forged' WHERE id = 2")
        .unwrap();
    let changed = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert_eq!(
        model_log_problem(&changed),
        Some(Problem::Changed { entry_id: 2 })
    );

    // A plain chain recomputed over the forged entry: consistent, but not keyed.
    rebuild_chain(&mut db, &HashChain::new());
    let plain = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert_eq!(model_log_problem(&plain), Some(Problem::KeyMismatch));

    // A chain keyed with the forger's own key: another key.
    rebuild_chain(&mut db, &keyed(OTHER_KEY));
    let other = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert_eq!(model_log_problem(&other), Some(Problem::KeyMismatch));

    // ...even with the real key's id copied over: the links do not hold under the real key.
    let real_id: String = {
        let mut probe = TestDb::new();
        keyed(KEY).enable(&mut probe.conn, &MODEL_LOG).unwrap();
        use diesel::prelude::*;
        crate::tables::log_chain_heads::table
            .select(crate::tables::log_chain_heads::key_id)
            .first::<Option<String>>(&mut probe.conn)
            .unwrap()
            .unwrap()
    };
    assert!(!real_id.is_empty() && !KEY.contains(&real_id));
    db.conn
        .batch_execute(&format!(
            "UPDATE loggable_log_chain_heads SET key_id = '{real_id}'"
        ))
        .unwrap();
    let copied = integrity::verify_registry(&mut db.conn, &registry).unwrap();
    assert_eq!(
        model_log_problem(&copied),
        Some(Problem::BrokenLink { seq: 1 })
    );
}

#[test]
fn a_key_is_long_enough_and_read_from_where_it_is_kept() {
    assert!(matches!(
        ChainKey::new("short"),
        Err(Error::ChainKeyTooShort { len: 5, min: 32 })
    ));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chain.key");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    let from_file = HashChain::keyed(ChainKey::from_file(&file).unwrap());
    // The trailing line break is not part of the key: it is the same key as `KEY`.
    let mut db = TestDb::new();
    from_file.enable(&mut db.conn, &MODEL_LOG).unwrap();
    write(&mut db, &registry_with(keyed(KEY)), 1).unwrap();
    let missing = ChainKey::from_file(&dir.path().join("nope")).unwrap_err();
    assert!(
        matches!(missing, Error::ChainKeyUnreadable { .. }),
        "{missing}"
    );
    let unset = ChainKey::from_env("LOGGABLE_SUITE_NO_SUCH_VARIABLE").unwrap_err();
    assert!(matches!(unset, Error::ChainKeyUnreadable { .. }), "{unset}");
}
