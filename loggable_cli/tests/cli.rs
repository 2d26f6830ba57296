//! The `loggable` binary: migrate, actions, and its errors.

// The library suite's test databases and its list of built-in actions.
#[allow(dead_code)]
#[path = "../../tests/suite/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../../tests/suite/registry.rs"]
mod registry;

mod support;

use std::process::Output;

use crate::common::TestDb;
use crate::registry::BUILTIN;
use crate::support::{loggable, stderr, stdout};

#[test]
fn actions_json_lists_the_38_codes_and_labels_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let output = loggable(&["actions", "--format", "json"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let listed: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let expected: Vec<serde_json::Value> = BUILTIN
        .iter()
        .map(|(code, label)| serde_json::json!({"code": code, "label": label}))
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn actions_table_shows_codes_and_labels() {
    let dir = tempfile::tempdir().unwrap();
    let output = loggable(&["actions"], dir.path());
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("Code") && text.contains("Label"), "{text}");
    assert!(
        text.contains("wagtail.workflow.cancel") && text.contains("Workflow: cancel"),
        "{text}"
    );
}

#[test]
fn migrate_creates_the_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::unmigrated();
    let url = crate::common::shared_url(&db, &dir, "site");
    let first = loggable(&["migrate", "--database", &url], dir.path());
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("Applied migration 20261201000001"),
        "{}",
        stdout(&first)
    );
    let second = loggable(&["migrate", "--database", &url], dir.path());
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(stdout(&second).trim(), "Schema is up to date.");
}

#[test]
fn default_database_is_a_sqlite_file_in_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let output = loggable(&["migrate"], dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join(loggable::db::DEFAULT_DATABASE_URL).exists());
}

#[test]
fn bad_and_unreachable_urls_fail_with_a_message_naming_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let bad = loggable(&["migrate", "--database", "ftp://example/db"], dir.path());
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("invalid database URL 'ftp://example/db': unknown scheme 'ftp'"),
        "{}",
        stderr(&bad)
    );
    let down = loggable(
        &[
            "migrate",
            "--database",
            "postgres://postgres:secret@127.0.0.1:1/none",
        ],
        dir.path(),
    );
    assert_eq!(down.status.code(), Some(1));
    let message = stderr(&down);
    assert!(
        message.contains("cannot connect to database 'postgres://postgres:***@127.0.0.1:1/none'"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn demo_report_and_history_run_on_the_default_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let demo = loggable(&["demo"], dir.path());
    assert!(demo.status.success(), "{}", stderr(&demo));
    let table = stdout(&demo);
    for expected in [
        "Ada Lovelace",
        "Grace Hopper",
        "Linus Torvalds",
        "Blog page",
        "Moderation",
        "Renamed from",
        "system",
    ] {
        assert!(
            table.contains(expected),
            "{expected} missing from:\n{table}"
        );
    }
    let report = loggable(&["report", "--format", "json", "--limit", "5"], dir.path());
    assert!(report.status.success(), "{}", stderr(&report));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&report)).unwrap();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter()
            .all(|r| r["message"].is_string() && r["entry"]["action"].is_string())
    );
    let grace_view = loggable(
        &["report", "--as", "2", "--format", "json", "--limit", "1000"],
        dir.path(),
    );
    let visible: Vec<serde_json::Value> = serde_json::from_str(&stdout(&grace_view)).unwrap();
    assert!(
        !visible.is_empty() && visible.len() < 29,
        "an editor sees part of the log: {}",
        visible.len()
    );
    let history = loggable(&["history", "--object", "demo.product:1"], dir.path());
    assert!(
        stdout(&history).contains("Rubber duck") && stdout(&history).contains("Product"),
        "{}",
        stdout(&history)
    );
    let bad = loggable(&["history", "--object", "nonsense"], dir.path());
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("--object takes TYPE:ID"),
        "{}",
        stderr(&bad)
    );
    let nobody = loggable(&["report", "--as", "999999"], dir.path());
    assert!(
        stderr(&nobody).contains("no user with id 999999"),
        "{}",
        stderr(&nobody)
    );
}

#[test]
fn export_and_report_take_filters_and_refuse_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    let out = dir.path().join("audit-log.csv");
    let export = loggable(
        &[
            "export",
            "--format",
            "csv",
            "--action",
            "wagtail.publish",
            "--output",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let csv = std::fs::read_to_string(&out).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("\"ID\",\"Name\",\"Type\",\"Action type\",\"User\",\"Date/Time\"")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.contains(",\"Publish\",")),
        "{csv}"
    );
    let jsonl = loggable(
        &["export", "--format", "jsonl", "--name", "duck"],
        dir.path(),
    );
    let lines: Vec<serde_json::Value> = stdout(&jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The demo's duck: created, edited, published, locked, edited in a draft, unlocked.
    assert_eq!(lines.len(), 6);
    assert!(lines.iter().all(|l| l["entry"]["label"] == "Rubber duck"));
    let comments = loggable(
        &["report", "--comments", "true", "--format", "json"],
        dir.path(),
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&comments)).unwrap();
    assert!(rows.iter().all(|r| {
        r["entry"]["action"]
            .as_str()
            .unwrap()
            .starts_with("wagtail.comments.")
    }));
    assert!(!rows.is_empty());
    for (args, message) in [
        (
            vec!["report", "--action", "wagtail.nope"],
            "unknown action 'wagtail.nope'",
        ),
        (
            vec!["report", "--from", "2024-13-01"],
            "invalid value '2024-13-01'",
        ),
        (
            vec!["report", "--from", "2024-05-02", "--to", "2024-05-01"],
            "is after --to",
        ),
        (
            vec![
                "export",
                "--format",
                "csv",
                "--output",
                "/nonexistent/dir/x.csv",
            ],
            "cannot create",
        ),
    ] {
        let run = loggable(&args, dir.path());
        assert_ne!(run.status.code(), Some(0), "{args:?}");
        assert!(stderr(&run).contains(message), "{args:?}: {}", stderr(&run));
        assert!(!stderr(&run).contains("panicked"), "{args:?}");
    }
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(&stdout(output)).unwrap()
}

#[test]
fn history_takes_filters_pages_and_shows_marks_and_choices() {
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    let history = |extra: &[&str]| {
        let mut args = vec!["history", "--page", "4", "--format", "json"];
        args.extend_from_slice(extra);
        json(&loggable(&args, dir.path()))
    };
    // Page 4 is the demo's blog post: drafted by Grace (2), approved and published by Linus (3).
    let all = history(&[]);
    let rows = all.as_array().unwrap();
    assert!(rows.len() >= 8, "{all}");
    let live: Vec<_> = rows
        .iter()
        .filter(|r| r["status"] == "Live version")
        .collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["entry"]["action"], "wagtail.publish");
    let actions = |rows: &serde_json::Value| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["entry"]["action"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        actions(&history(&["--action", "wagtail.lock"])),
        ["wagtail.lock"]
    );
    let by_grace = history(&["--user", "2"]);
    assert!(
        by_grace
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["entry"]["user_id"] == "2")
    );
    assert!(by_grace.as_array().unwrap().len() < rows.len());
    assert_eq!(
        actions(&history(&["--comments", "true"])),
        ["wagtail.comments.create"]
    );
    assert_eq!(
        actions(&history(&["--from", "2000-01-01", "--to", "2000-01-02"])),
        Vec::<String>::new()
    );
    let choices = history(&["--choices"]);
    let users: Vec<_> = choices["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap().parse::<i64>().unwrap())
        .collect();
    assert_eq!(users, [2, 3], "{choices}");
    assert!(
        choices["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["value"] == "wagtail.publish" && c["label"] == "Publish")
    );
    // The table names the page of the history it shows, clamped to the last one.
    let table = loggable(
        &["history", "--page", "4", "--page-number", "7"],
        dir.path(),
    );
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(
        stdout(&table).contains("Live version"),
        "{}",
        stdout(&table)
    );
    assert!(stdout(&table).contains("ago)") || stdout(&table).contains("just now"));
    assert!(stderr(&table).contains("Page 1 of 1"), "{}", stderr(&table));

    for (args, message) in [
        (&["history", "--page", "999"][..], "no page with id 999"),
        (
            &["history", "--page", "4", "--action", "wagtail.nope"][..],
            "unknown action 'wagtail.nope'",
        ),
        (
            &[
                "history",
                "--page",
                "4",
                "--from",
                "2024-05-02",
                "--to",
                "2024-05-01",
            ][..],
            "--from 2024-05-02 is after --to 2024-05-01",
        ),
        (
            &["history", "--page", "4", "--from", "2024-13-01"][..],
            "2024-13-01",
        ),
    ] {
        let failed = loggable(args, dir.path());
        assert_ne!(failed.status.code(), Some(0), "{args:?}");
        assert!(
            stderr(&failed).contains(message),
            "{args:?}: {}",
            stderr(&failed)
        );
        assert!(!stderr(&failed).contains("panicked"), "{}", stderr(&failed));
    }
}

#[test]
fn report_choices_come_from_what_the_viewer_may_see() {
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    let types = |choices: &serde_json::Value| -> Vec<String> {
        choices["content_types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["value"].as_str().unwrap().to_owned())
            .collect()
    };
    let everything = json(&loggable(
        &["report", "--choices", "--format", "json"],
        dir.path(),
    ));
    assert_eq!(
        types(&everything),
        ["demo.blogpage", "demo.homepage", "demo.product"]
    );
    // Grace edits the blog only: no products, and only users of entries she may see.
    let grace = json(&loggable(
        &["report", "--choices", "--as", "2", "--format", "json"],
        dir.path(),
    ));
    assert!(
        !types(&grace).contains(&"demo.product".to_owned()),
        "{grace}"
    );
    let visible = json(&loggable(
        &["report", "--as", "2", "--limit", "1000", "--format", "json"],
        dir.path(),
    ));
    let visible_users: std::collections::BTreeSet<i64> = visible
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["entry"]["user_id"].as_str()?.parse().ok())
        .collect();
    let offered: std::collections::BTreeSet<i64> = grace["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].as_str().unwrap().parse::<i64>().unwrap())
        .collect();
    assert_eq!(offered, visible_users);
    let table = loggable(&["report", "--choices"], dir.path());
    assert!(stdout(&table).contains("--action"), "{}", stdout(&table));
}

#[test]
fn bench_prints_one_json_line_per_metric() {
    let dir = tempfile::tempdir().unwrap();
    let output = loggable(
        &[
            "bench",
            "--sqlite-only",
            "--entries",
            "2000",
            "--writes",
            "20",
            "--runs",
            "1",
            "--json",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let metrics: Vec<&str> = lines
        .iter()
        .map(|l| l["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        metrics,
        [
            "seed_log_bulk",
            "viewable_by_user_first50_editor",
            "viewable_by_user_first50_superuser",
            "viewable_by_user_count_editor",
            "viewable_by_user_count_superuser",
            "site_history_first50_editor",
            "page_history_first50",
            "page_history_first50_bare_diesel",
            "viewable_by_user_count_superuser_bare_diesel",
            "viewable_by_user_count_editor_bare_diesel",
            "write_log_autocommit_one_logcontext",
            "write_log_one_transaction",
            "write_log_one_transaction_buffered",
            "write_log_autocommit_context_per_entry",
            "write_log_bulk",
            "write_log_autocommit_generic_table",
            "write_log_autocommit_hash_chain",
            "write_log_autocommit_synchronous_full",
            "calibration_commit_trivial_insert",
            "calibration_commit_entry_row",
            "calibration_round_trip",
            "update_bare_own_transaction",
            "update_bare_with_entry_row_own_transaction",
            "update_logged_own_transaction",
            "update_bare_x100_one_transaction",
            "update_bare_with_entry_row_x100_one_transaction",
            "update_logged_x100_one_transaction",
        ]
    );
    for line in &lines {
        assert_eq!(line["db"], "sqlite");
        assert!(line["seconds"].as_f64().unwrap() > 0.0, "{line}");
        assert!(line["per_second"].as_f64().unwrap() > 0.0, "{line}");
    }
    assert_eq!(lines[0]["n"], 2000);
    assert_eq!(lines[1]["n"], 50);
    assert_eq!(lines[4]["n"], 2000);
    // The floors read the same rows as the reads they stand beside.
    assert_eq!(lines[7]["n"], lines[6]["n"]);
    assert_eq!(lines[8]["n"], lines[4]["n"]);
    // The editor's floor counts below their permission pages: part of what they may see.
    let (floor, counted) = (
        lines[9]["n"].as_u64().unwrap(),
        lines[3]["n"].as_u64().unwrap(),
    );
    assert!(floor > 0 && floor <= counted, "{floor} of {counted}");
    assert_eq!(lines[10]["n"], 20);
    assert_eq!(lines[12]["n"], 20);
    assert_eq!(lines[13]["n"], 20);
    assert_eq!(lines[17]["n"], 20);
    // A quarter as many updates as writes, in four alternating rounds; batched ones in whole
    // transactions of a hundred.
    assert_eq!(lines[18]["n"], 20);
    assert_eq!(lines[19]["n"], 20);
    for (line, n) in lines[21..].iter().zip([8, 8, 8, 400, 400, 400]) {
        assert_eq!(line["n"], n, "{line}");
    }

    let unreachable = loggable(
        &[
            "bench",
            "--postgres",
            "postgres://nobody@127.0.0.1:1/none",
            "--entries",
            "10",
        ],
        dir.path(),
    );
    assert_ne!(unreachable.status.code(), Some(0));
    assert!(
        stderr(&unreachable).contains("127.0.0.1:1"),
        "{}",
        stderr(&unreachable)
    );
    assert!(!stderr(&unreachable).contains("panicked"));
}

#[test]
fn demo_chains_its_log_and_verify_finds_tampering() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    let clean = loggable(&["verify"], dir.path());
    assert!(clean.status.success(), "{}", stderr(&clean));
    assert!(
        stdout(&clean).contains("loggable_page_log_entries: ok,"),
        "{}",
        stdout(&clean)
    );
    assert!(
        stdout(&clean).contains("loggable_model_log_entries: ok,"),
        "{}",
        stdout(&clean)
    );
    let file = dir.path().join(loggable::db::DEFAULT_DATABASE_URL);
    let mut conn = loggable::db::connect(&file.display().to_string()).unwrap();
    conn.batch_execute("UPDATE loggable_model_log_entries SET label = 'Cheap duck' WHERE id = 2")
        .unwrap();
    drop(conn);
    let tampered = loggable(&["verify", "--format", "json"], dir.path());
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        stderr(&tampered).contains("loggable_model_log_entries: entry 2 was changed"),
        "{}",
        stderr(&tampered)
    );
    let reports: serde_json::Value = serde_json::from_str(&stdout(&tampered)).unwrap();
    assert_eq!(reports[1]["problem"]["kind"], "changed");
    let unknown = loggable(&["verify", "--table", "nope"], dir.path());
    assert!(stderr(&unknown).contains("no log table named 'nope'"));
}

#[test]
fn write_migrations_copies_loggables_migrations_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("migrations");
    let output = loggable(
        &[
            "write-migrations",
            "--backend",
            "postgres",
            "--to",
            target.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let listed = stdout(&output);
    assert_eq!(listed.lines().count(), 8, "{listed}");
    let core =
        std::fs::read_to_string(target.join("2026-12-01-000001_loggable_core/up.sql")).unwrap();
    assert!(core.contains("BIGSERIAL"), "the PostgreSQL dialect: {core}");
    let core_only = dir.path().join("core_only");
    let output = loggable(
        &[
            "write-migrations",
            "--backend",
            "sqlite",
            "--core-only",
            "--to",
            core_only.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_dir(&core_only).unwrap().count(), 4);
}
