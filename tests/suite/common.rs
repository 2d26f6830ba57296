//! Test databases: SQLite in memory, or a PostgreSQL schema of its own per test, chosen by
//! `DATABASE_URL`. Every test gets an empty, migrated database that no other test sees.

use diesel::connection::SimpleConnection;
use loggable::db::{self, BackendKind, DbConnection};

pub struct TestDb {
    pub conn: DbConnection,
    url: String,
    schema: Option<String>,
}

impl TestDb {
    /// A migrated, empty database.
    pub fn new() -> Self {
        let mut db = Self::unmigrated();
        db::run_migrations(&mut db.conn).expect("migrations");
        db
    }

    /// An empty database without loggable's schema.
    pub fn unmigrated() -> Self {
        let base = std::env::var("DATABASE_URL").unwrap_or_else(|_| ":memory:".to_owned());
        let parsed = db::DatabaseUrl::parse(&base).expect("DATABASE_URL");
        match parsed.backend() {
            BackendKind::Sqlite => {
                let conn = db::connect(":memory:").expect("sqlite in memory");
                Self {
                    conn,
                    url: ":memory:".to_owned(),
                    schema: None,
                }
            }
            BackendKind::Postgresql => {
                let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = db::connect(&base).expect("postgres");
                admin
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("create schema");
                let separator = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{separator}options=-csearch_path%3D{schema}");
                let conn = db::connect(&url).expect("postgres test schema");
                Self {
                    conn,
                    url,
                    schema: Some(schema),
                }
            }
        }
    }

    /// A URL that reaches this test's database (PostgreSQL only; SQLite tests are in memory).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> BackendKind {
        self.conn.backend()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = self.schema.take() {
            // Best effort: a leftover schema only costs disk, never another test's isolation.
            let _ = self
                .conn
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

/// A URL several connections (threads, processes) can share: this test's PostgreSQL schema,
/// or an SQLite file (WAL, busy timeout) in `dir`. `db` must outlive its users.
pub fn shared_url(db: &TestDb, dir: &tempfile::TempDir, name: &str) -> String {
    match db.backend() {
        BackendKind::Postgresql => db.url().to_owned(),
        BackendKind::Sqlite => dir
            .path()
            .join(format!("{name}.sqlite3"))
            .display()
            .to_string(),
    }
}

/// Property-test cases: `default`, or `PROPTEST_CASES` for a long run by hand.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
