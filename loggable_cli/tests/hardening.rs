//! The `loggable` binary against hostile input and tampering (issue #18): labels that try to
//! drive the terminal or a spreadsheet, passwords in connection strings, reading commands on
//! missing databases, object history as a user, and heads recorded outside the database.

use std::path::Path;

mod support;

use crate::support::{loggable, stderr, stdout};

/// A database holding one entry with each hostile label, written through the library.
fn hostile_database(dir: &Path) -> String {
    let path = dir.join("hostile.sqlite3");
    let url = path.to_string_lossy().into_owned();
    let mut conn = loggable::db::connect(&url).unwrap();
    loggable::db::run_migrations(&mut conn).unwrap();
    for (id, label) in [
        (1, "\u{1b}]0;pwned\u{7}\u{1b}[2Jcleared"),
        (2, "x;=1+1"),
        (3, " =HYPERLINK(\"http://evil\")"),
        (4, "\u{feff}@SUM(A1)"),
    ] {
        loggable::log(
            &loggable::ObjectRef::new("shop.sprocket", id).title(label),
            "wagtail.edit",
        )
        .write(&mut conn)
        .unwrap();
    }
    url
}

#[test]
fn labels_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let url = hostile_database(dir.path());
    let report = loggable(&["report", "--database", &url], dir.path());
    assert!(report.status.success(), "{}", stderr(&report));
    let text = stdout(&report);
    assert!(text.contains("cleared"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
}

#[test]
fn csv_cells_cannot_become_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let url = hostile_database(dir.path());
    let export = loggable(
        &["export", "--format", "csv", "--database", &url],
        dir.path(),
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let text = stdout(&export);
    for cell in [
        "\"x;=1+1\"",
        "\"' =HYPERLINK(\"\"http://evil\"\")\"",
        "\"'\u{feff}@SUM(A1)\"",
    ] {
        assert!(text.contains(cell), "{cell} missing from:\n{text}");
    }
}

#[test]
fn a_huge_limit_clamps_instead_of_overflowing() {
    let dir = tempfile::tempdir().unwrap();
    let url = hostile_database(dir.path());
    let report = loggable(
        &[
            "report",
            "--database",
            &url,
            "--format",
            "json",
            "--limit",
            &i64::MAX.to_string(),
        ],
        dir.path(),
    );
    assert!(report.status.success(), "{}", stderr(&report));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&report)).unwrap();
    assert_eq!(rows.len(), 4);
}

#[test]
fn passwords_never_reach_the_screen_and_keyword_strings_create_no_file() {
    let dir = tempfile::tempdir().unwrap();
    for database in [
        "host=db.example password=secret dbname=app",
        "postgres://someone@127.0.0.1:1/db?password=secret",
        "postgres://someone:secret@127.0.0.1:1/db",
    ] {
        let output = loggable(&["report", "--database", database], dir.path());
        assert!(!output.status.success(), "{database}");
        let message = stderr(&output);
        assert!(!message.contains("secret"), "{database}: {message}");
        assert!(!stdout(&output).contains("secret"), "{database}");
    }
    let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(created.is_empty(), "files appeared: {created:?}");
}

#[test]
fn reading_commands_never_create_or_migrate_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["verify"][..],
        &["report"],
        &["export", "--format", "csv"],
        &["history", "--page", "1"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--database", "typo.sqlite3"]);
        let output = loggable(&args, dir.path());
        assert!(
            !output.status.success(),
            "{args:?} succeeded on a missing file"
        );
        assert!(
            stderr(&output).contains("loggable migrate"),
            "{}",
            stderr(&output)
        );
        assert!(
            !dir.path().join("typo.sqlite3").exists(),
            "{args:?} created the file"
        );
    }
    // An existing database without loggable's schema is refused, not migrated.
    let empty = dir.path().join("empty.sqlite3");
    let mut conn = diesel::Connection::establish(empty.to_str().unwrap())
        .map(|c: diesel::SqliteConnection| c)
        .unwrap();
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "CREATE TABLE other (x INT)")
        .unwrap();
    let output = loggable(
        &["report", "--database", empty.to_str().unwrap()],
        dir.path(),
    );
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("loggable migrate"),
        "{}",
        stderr(&output)
    );
    let tables: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
        ),
        &mut conn,
    )
    .unwrap();
    assert_eq!(tables, 1, "the report created tables");
}

#[test]
fn history_as_a_user_shows_only_what_they_may_see() {
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    let rows = |extra: &[&str]| -> usize {
        let mut args = vec!["history", "--format", "json"];
        args.extend_from_slice(extra);
        let output = loggable(&args, dir.path());
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str::<Vec<serde_json::Value>>(&stdout(&output))
            .unwrap()
            .len()
    };
    // Grace (2) edits the blog section: its post's history, but no product's.
    assert!(rows(&["--object", "demo.product:1"]) > 0);
    assert_eq!(rows(&["--object", "demo.product:1", "--as", "2"]), 0);
    assert_eq!(rows(&["--page", "4", "--as", "2"]), rows(&["--page", "4"]));
    let nobody = loggable(&["history", "--page", "4", "--as", "999999"], dir.path());
    assert!(!nobody.status.success());
    assert!(
        stderr(&nobody).contains("no user with id 999999"),
        "{}",
        stderr(&nobody)
    );
}

#[test]
fn verify_prints_heads_and_checks_them_later() {
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    let text = loggable(&["verify"], dir.path());
    assert!(text.status.success(), "{}", stderr(&text));
    assert!(stdout(&text).contains("  head: link "), "{}", stdout(&text));
    let recorded = loggable(&["verify", "--format", "json"], dir.path());
    assert!(recorded.status.success());
    let heads = dir.path().join("heads.json");
    std::fs::write(&heads, &recorded.stdout).unwrap();
    let expect = ["verify", "--expect", heads.to_str().unwrap()];
    assert!(loggable(&expect, dir.path()).status.success());

    // Someone with write access rebuilds the page log's chain over a changed entry.
    let mut conn =
        loggable::db::connect(&dir.path().join("loggable.sqlite3").to_string_lossy()).unwrap();
    diesel::connection::SimpleConnection::batch_execute(
        &mut conn,
        "UPDATE loggable_page_log_entries SET label = 'Forged' WHERE id = 1; \
         DELETE FROM loggable_log_chain WHERE log_table = 'loggable_page_log_entries'; \
         DELETE FROM loggable_log_chain_heads WHERE log_table = 'loggable_page_log_entries'",
    )
    .unwrap();
    loggable::integrity::enable(&mut conn, &loggable::entry::PAGE_LOG).unwrap();
    drop(conn);
    assert!(
        loggable(&["verify"], dir.path()).status.success(),
        "the database alone cannot tell"
    );
    let checked = loggable(&expect, dir.path());
    assert!(!checked.status.success());
    assert!(
        stdout(&checked).contains("TAMPERED"),
        "{}",
        stdout(&checked)
    );
    assert!(
        stderr(&checked).contains("differs from the head recorded earlier"),
        "{}",
        stderr(&checked)
    );
}
