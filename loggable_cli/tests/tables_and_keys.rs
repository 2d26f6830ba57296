//! The binary and the log tables it was never told about (issue #18): a chain that must be
//! there, a keyed chain, and an application's own table found in the database.

use std::path::Path;
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use loggable::entry::{LogTable, MODEL_LOG, ObjectKeyKind};
use loggable::integrity::{ChainKey, HashChain};
use loggable::registry::{ModelType, Registry};

mod support;

use crate::support::{loggable, stderr, stdout};

const KEY: &str = "0123456789abcdef0123456789abcdef-cli";

/// A database whose generic log is chained by `chain`, with two entries.
fn chained_database(dir: &Path, chain: HashChain) -> String {
    let url = dir.join("chained.sqlite3").to_string_lossy().into_owned();
    let mut conn = loggable::db::connect(&url).unwrap();
    loggable::db::run_migrations(&mut conn).unwrap();
    chain.enable(&mut conn, &MODEL_LOG).unwrap();
    let mut registry = Registry::new();
    registry.set_write_hook(MODEL_LOG.name(), Arc::new(chain));
    for id in 1..=2 {
        loggable::log(
            &loggable::ObjectRef::new("shop.sprocket", id).title(format!("S{id}")),
            "wagtail.edit",
        )
        .write_with(&mut conn, &registry)
        .unwrap();
    }
    url
}

fn execute(url: &str, sql: &str) {
    let mut conn = loggable::db::connect(url).unwrap();
    conn.batch_execute(sql).unwrap();
}

#[test]
fn a_table_said_to_be_chained_fails_verification_without_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = chained_database(dir.path(), HashChain::new());
    let chained = ["verify", "--database", &url, "--chained", MODEL_LOG.name()];
    let clean = loggable(&chained, dir.path());
    assert!(clean.status.success(), "{}", stderr(&clean));

    execute(
        &url,
        "DELETE FROM loggable_log_chain; DELETE FROM loggable_log_chain_heads; \
         UPDATE loggable_model_log_entries SET label = 'Forged' WHERE id = 1",
    );
    let unsaid = loggable(&["verify", "--database", &url], dir.path());
    assert!(
        unsaid.status.success(),
        "without --chained the database alone cannot tell"
    );
    let caught = loggable(&chained, dir.path());
    assert!(!caught.status.success());
    let message = stderr(&caught);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("loggable_model_log_entries: the table has no hash chain"),
        "{message}"
    );
    // `all`: the page log has never had a chain either.
    let all = loggable(
        &["verify", "--database", &url, "--chained", "all"],
        dir.path(),
    );
    assert!(!all.status.success());
    let typo = loggable(
        &["verify", "--database", &url, "--chained", "nope"],
        dir.path(),
    );
    assert!(
        stderr(&typo).contains("--chained nope: no log table"),
        "{}",
        stderr(&typo)
    );
}

#[test]
fn a_keyed_chain_verifies_only_with_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("chain.key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let url = chained_database(
        dir.path(),
        HashChain::keyed(ChainKey::from_file(&key_file).unwrap()),
    );
    let with_key = [
        "verify",
        "--database",
        &url,
        "--key-file",
        key_file.to_str().unwrap(),
    ];
    let ok = loggable(&with_key, dir.path());
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("ok, 2 entries chained"),
        "{}",
        stdout(&ok)
    );
    let keyless = loggable(&["verify", "--database", &url], dir.path());
    assert!(!keyless.status.success());
    assert!(
        stderr(&keyless).contains("is keyed"),
        "{}",
        stderr(&keyless)
    );

    // Rebuilt over a forged entry by someone without the key.
    execute(
        &url,
        "UPDATE loggable_model_log_entries SET label = 'Forged' WHERE id = 1; \
         DELETE FROM loggable_log_chain; DELETE FROM loggable_log_chain_heads",
    );
    let mut conn = loggable::db::connect(&url).unwrap();
    loggable::integrity::enable(&mut conn, &MODEL_LOG).unwrap();
    drop(conn);
    let forged = loggable(&with_key, dir.path());
    assert!(!forged.status.success());
    assert!(
        stderr(&forged).contains("not made with the expected key"),
        "{}",
        stderr(&forged)
    );
}

#[test]
fn an_applications_own_table_is_reported_and_purged_by_a_binary_that_never_heard_of_it() {
    const GEAR_LOG: LogTable = LogTable::new("gear_log", "gear_id", ObjectKeyKind::Integer);
    let dir = tempfile::tempdir().unwrap();
    let url = dir
        .path()
        .join("app.sqlite3")
        .to_string_lossy()
        .into_owned();
    let mut conn = loggable::db::connect(&url).unwrap();
    loggable::db::run_migrations(&mut conn).unwrap();
    conn.batch_execute(
        "CREATE TABLE gear_log (id INTEGER PRIMARY KEY AUTOINCREMENT, content_type TEXT, \
         label TEXT NOT NULL, action VARCHAR(255) NOT NULL, data TEXT NOT NULL, \
         timestamp TIMESTAMP NOT NULL, uuid VARCHAR(36), user_id TEXT, revision_id BIGINT, \
         content_changed BOOLEAN NOT NULL, deleted BOOLEAN NOT NULL, gear_id BIGINT NOT NULL)",
    )
    .unwrap();
    let mut registry = Registry::new();
    registry.register_model(ModelType::new("shop.gear").log_table(GEAR_LOG));
    loggable::log(
        &loggable::ObjectRef::new("shop.gear", 3).title("Big gear"),
        "wagtail.edit",
    )
    .write_with(&mut conn, &registry)
    .unwrap();
    drop(conn);

    let report = loggable(&["report", "--database", &url], dir.path());
    assert!(stdout(&report).contains("Big gear"), "{}", stdout(&report));
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    let purge = loggable(
        &["purge", "--database", &url, "--before", &tomorrow],
        dir.path(),
    );
    assert!(purge.status.success(), "{}", stderr(&purge));
    assert!(
        stdout(&purge).contains("gear_log: 1 entries purged"),
        "{}",
        stdout(&purge)
    );
}
