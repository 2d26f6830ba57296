//! Retention (issue #9): purge archives then deletes old entries in batches; a hash chain
//! keeps verifying after it; a purge killed mid-way loses nothing and finishes when rerun.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use loggable::db::DbConnection;
use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG};
use loggable::model::{log_bulk, prepare_bulk};
use loggable::registry::Registry;
use loggable::{ObjectRef, integrity, log, retention};

use crate::common::{TestDb, shared_conn};

/// `old` entries in 2020 and `new` ones in 2030 in the generic table, chained if asked.
fn seed(conn: &mut DbConnection, old: usize, new: usize, chained: bool) -> Registry {
    let mut registry = Registry::new();
    if chained {
        registry.set_write_hook(
            "loggable_model_log_entries",
            std::sync::Arc::new(loggable::integrity::HashChain::new()),
        );
        integrity::enable(conn, &MODEL_LOG).unwrap();
    }
    let objects: Vec<ObjectRef> = (0..old + new)
        .map(|n| ObjectRef::new("shop.widget", n).title(format!("W{n}")))
        .collect();
    let at = |n: usize| {
        if n < old {
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(n as i64)
        } else {
            Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(n as i64)
        }
    };
    let bulk = prepare_bulk(
        &registry,
        objects
            .iter()
            .enumerate()
            .map(|(n, o)| log(o, "wagtail.edit").timestamp(at(n))),
    )
    .unwrap();
    log_bulk(conn, &bulk).unwrap();
    registry
}

fn ids(conn: &mut DbConnection) -> BTreeSet<i64> {
    MODEL_LOG
        .query(conn, &EntryQuery::new(EntryScope::All))
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

fn archived(path: &std::path::Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[test]
fn purge_archives_then_deletes_old_entries_and_the_chain_still_verifies() {
    for chained in [false, true] {
        let mut db = TestDb::new();
        let registry = seed(&mut db.conn, 25, 5, chained);
        let before = ids(&mut db.conn);
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive.jsonl");
        let cutoff = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let mut seen = Vec::new();
        let purged = retention::purge(&mut db.conn, &registry, cutoff, Some(&archive), 10, |n| {
            seen.push(n)
        })
        .unwrap();
        let generic = purged
            .iter()
            .find(|p| p.table == "loggable_model_log_entries")
            .unwrap();
        assert_eq!(
            (generic.archived, generic.deleted),
            (25, 25),
            "chained: {chained}"
        );
        assert_eq!(seen, [10, 20, 25]);
        let left = ids(&mut db.conn);
        assert_eq!(left.len(), 5);
        let gone: BTreeSet<i64> = archived(&archive).into_iter().collect();
        assert_eq!(gone.len(), 25);
        assert!(gone.is_disjoint(&left));
        assert_eq!(&gone | &left, before);
        let report = integrity::verify(&mut db.conn, &MODEL_LOG).unwrap();
        assert_eq!(report.problem, None, "chained: {chained}");
        assert_eq!(report.links, if chained { 5 } else { 0 });
        // Nothing older is left: a second purge does nothing.
        let again = retention::purge(&mut db.conn, &registry, cutoff, None, 10, |_| ()).unwrap();
        assert!(again.iter().all(|p| p.deleted == 0));
        if chained {
            // New entries extend the chain past the checkpoint.
            log(
                &ObjectRef::new("shop.widget", 99).title("W"),
                "wagtail.edit",
            )
            .write_with(&mut db.conn, &registry)
            .unwrap();
            assert_eq!(
                integrity::verify(&mut db.conn, &MODEL_LOG).unwrap().problem,
                None
            );
        }
    }
}

#[test]
fn a_purge_killed_mid_way_loses_nothing_and_a_rerun_finishes_it() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let (url, mut conn) = shared_conn(&db, &dir, "purge");
    seed(&mut conn, 3_000, 10, true);
    let everything = ids(&mut conn);
    let archive = dir.path().join("archive.jsonl");
    let purge = |archive: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_loggable"))
            .args([
                "--database",
                &url,
                "purge",
                "--before",
                "2025-01-01",
                "--batch",
                "50",
            ])
            .arg("--archive")
            .arg(archive)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut kills = 0;
    for delay in [40, 80, 120] {
        let mut child = purge(&archive);
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        // Every entry is still in the table or already in the archive.
        let left = ids(&mut conn);
        let gone: BTreeSet<i64> = archived(&archive).into_iter().collect();
        assert_eq!(&left | &gone, everything, "after a kill at {delay} ms");
        eprintln!(
            "killed at {delay} ms: {} entries left, {} archived",
            left.len(),
            gone.len()
        );
        assert_eq!(
            integrity::verify(&mut conn, &MODEL_LOG).unwrap().problem,
            None
        );
    }
    assert!(kills > 0, "no purge was interrupted; make the log bigger");
    let finished = purge(&archive).wait().unwrap();
    assert!(finished.success());
    let left = ids(&mut conn);
    assert_eq!(left.len(), 10);
    let gone: BTreeSet<i64> = archived(&archive).into_iter().collect();
    assert_eq!(&left | &gone, everything);
    assert_eq!(
        integrity::verify(&mut conn, &MODEL_LOG).unwrap().problem,
        None
    );
}

#[test]
fn a_half_written_archive_line_is_cut_before_the_next_batch() {
    let mut db = TestDb::new();
    let registry = seed(&mut db.conn, 5, 0, false);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.jsonl");
    // What a crash or a full disk during an earlier purge leaves: a line without its end.
    std::fs::write(&archive, "{\"id\":1,\"log_table\":\"model_log_en").unwrap();
    let cutoff = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    retention::purge(&mut db.conn, &registry, cutoff, Some(&archive), 2, |_| ()).unwrap();
    let text = std::fs::read_to_string(&archive).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(archived(&archive).len(), 5, "every line parses: {text}");
}

#[test]
fn an_unrelated_file_is_never_cut_or_appended_to() {
    let mut db = TestDb::new();
    let registry = seed(&mut db.conn, 0, 3, false);
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    let content = "first line\nno newline at the end";
    std::fs::write(&notes, content).unwrap();
    let cutoff = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    // Nothing to purge: the file is not even opened.
    retention::purge(&mut db.conn, &registry, cutoff, Some(&notes), 2, |_| ()).unwrap();
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), content);

    // Entries to purge: refused, the file and the entries as they were.
    let mut db = TestDb::new();
    let registry = seed(&mut db.conn, 4, 0, false);
    let before = ids(&mut db.conn);
    let err =
        retention::purge(&mut db.conn, &registry, cutoff, Some(&notes), 2, |_| ()).unwrap_err();
    assert!(err.to_string().contains("refusing to append"), "{err}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), content);
    assert_eq!(ids(&mut db.conn), before);
}

#[test]
fn a_second_purge_on_a_locked_archive_is_refused() {
    let mut db = TestDb::new();
    let registry = seed(&mut db.conn, 4, 0, false);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.jsonl");
    let holder = std::fs::File::create(&archive).unwrap();
    holder.lock().unwrap();
    let cutoff = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let before = ids(&mut db.conn);
    let err =
        retention::purge(&mut db.conn, &registry, cutoff, Some(&archive), 2, |_| ()).unwrap_err();
    assert!(matches!(err, loggable::Error::ArchiveBusy(_)), "{err}");
    assert_eq!(ids(&mut db.conn), before, "nothing was deleted");
    holder.unlock().unwrap();
    let purged =
        retention::purge(&mut db.conn, &registry, cutoff, Some(&archive), 2, |_| ()).unwrap();
    assert_eq!(purged.iter().map(|p| p.deleted).sum::<u64>(), 4);
    assert_eq!(archived(&archive).len(), 4);
}
