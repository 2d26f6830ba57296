//! Connecting from URLs: typed errors that name the URL and the reason.

use loggable::Error;
use loggable::db::{self, BackendKind};

#[test]
fn unreachable_postgres_is_a_connection_error_naming_the_url() {
    let err = db::connect("postgres://postgres@127.0.0.1:1/test")
        .err()
        .expect("port 1 is closed");
    assert!(
        matches!(&err, Error::Connection { url, .. } if url == "postgres://postgres@127.0.0.1:1/test"),
        "{err}"
    );
    assert!(
        err.to_string().contains("Connection refused") || err.to_string().contains("connect"),
        "{err}"
    );
}

#[test]
fn sqlite_file_in_a_missing_directory_is_a_connection_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("site.sqlite3");
    let err = db::connect(&path.display().to_string())
        .err()
        .expect("directory does not exist");
    assert!(
        matches!(&err, Error::Connection { url, .. } if url.ends_with("missing/site.sqlite3")),
        "{err}"
    );
}

#[test]
fn bad_urls_are_rejected_before_connecting() {
    for url in ["", "ftp://host/db", "mysql:test", "postgres://"] {
        let err = db::connect(url).err().expect(url);
        assert!(
            matches!(err, Error::InvalidDatabaseUrl { .. }),
            "{url}: {err}"
        );
    }
}

#[test]
fn sqlite_files_get_wal_and_every_form_connects() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.sqlite3").display().to_string();
    for url in [
        file.clone(),
        format!("sqlite://{file}"),
        ":memory:".to_owned(),
        "sqlite::memory:".to_owned(),
    ] {
        let mut conn = db::connect(&url).unwrap();
        assert_eq!(conn.backend(), BackendKind::Sqlite);
        db::run_migrations(&mut conn).unwrap();
    }
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mut conn = db::connect(&file).unwrap();
    let mode = diesel::sql_query("PRAGMA journal_mode")
        .get_result::<Mode>(&mut conn)
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
}
