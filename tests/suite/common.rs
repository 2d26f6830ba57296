//! Test databases: SQLite in memory, or a PostgreSQL schema of its own per test, chosen by
//! `DATABASE_URL`. Every test gets an empty, migrated database that no other test sees.

use loggable::db::{self, BackendKind, DbConnection};

pub struct TestDb {
    // Fields drop in order: the connection closes before its schema is dropped.
    pub conn: DbConnection,
    url: String,
    _schema: Option<db::IsolatedSchema>,
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
                    _schema: None,
                }
            }
            BackendKind::Postgresql => {
                let schema = db::IsolatedSchema::create(&base, "test").expect("test schema");
                let conn = db::connect(schema.url()).expect("postgres test schema");
                Self {
                    conn,
                    url: schema.url().to_owned(),
                    _schema: Some(schema),
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
