//! Crashes (issue #9): a writer process killed with SIGKILL at random points, several times
//! over one database; afterwards every committed change has exactly its entries, no entry
//! speaks of a change that was not committed, and the hash chain is whole.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG};

use crate::common::TestDb;

diesel::table! {
    demo_products (id) {
        id -> BigInt,
        price_cents -> Integer,
    }
}

/// xorshift64: a small, seedable generator for the kill delays.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn writers_killed_mid_stream_lose_nothing_committed_and_leave_nothing_half_done() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::shared_url(&db, &dir, "crash");
    // CRASH_SEED=<printed seed> repeats a run's kill delays.
    let mut seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
        | 1;
    eprintln!("crash test seed: {seed}");
    let mut killed_at = Vec::new();
    for _ in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_loggable"))
            .args(["--database", &url, "stress"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until it is writing, then let it run a random while.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next();
        assert!(
            matches!(first, Some(Ok(_))),
            "the writer did not start: {first:?}"
        );
        std::thread::sleep(Duration::from_millis(20 + next(&mut seed) % 300));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed_at.push(lines.map_while(Result::ok).last().unwrap_or_default());
    }
    eprintln!("operations reported before each kill: {killed_at:?}");

    let mut conn = loggable::db::connect(&url).unwrap();
    // One snapshot for rows, entries and the chain walk: a killed client's last COMMIT may
    // still land on the server after the kill, and must not fall between the reads.
    let (products, entries, report) = loggable::db::read_snapshot(&mut conn, |conn| {
        let products: Vec<(i64, i32)> = demo_products::table
            .select((demo_products::id, demo_products::price_cents))
            .load(conn)
            .unwrap();
        let entries = MODEL_LOG.query(
            conn,
            &EntryQuery::new(EntryScope::ContentType("demo.product".into())),
        )?;
        let report = loggable::integrity::verify(conn, &MODEL_LOG)?;
        Ok((products, entries, report))
    })
    .unwrap();
    assert!(
        products.len() >= 5,
        "the writers barely ran: {}",
        products.len()
    );
    let mut per_product: HashMap<String, (i32, i32)> = HashMap::new();
    for entry in &entries {
        let counts = per_product.entry(entry.object_id.clone()).or_default();
        match entry.action.as_str() {
            "wagtail.create" => counts.0 += 1,
            "wagtail.edit" => counts.1 += 1,
            other => panic!("unexpected action {other}"),
        }
    }
    for (id, price) in &products {
        let (creates, edits) = per_product.remove(&id.to_string()).unwrap_or_default();
        assert_eq!(creates, 1, "product {id}: creates");
        assert_eq!(
            edits,
            price - 100,
            "product {id}: one edit per committed price change"
        );
    }
    assert!(
        per_product.is_empty(),
        "entries for products that were never committed: {per_product:?}"
    );
    assert_eq!(report.problem, None);
    assert_eq!(report.links as usize, entries.len());
}
