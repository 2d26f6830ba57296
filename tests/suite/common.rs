//! Test databases: SQLite in memory, or a PostgreSQL schema (a MySQL database) of its own per test, chosen by
//! `DATABASE_URL`. Every test gets an empty, migrated database that no other test sees.

use loggable::db::{self, BackendKind, DbConnection};

pub struct TestDb {
    // Fields drop in order: the connection closes before its schema is dropped.
    pub conn: DbConnection,
    schema: Option<db::IsolatedSchema>,
}

impl TestDb {
    /// A migrated, empty database. The global registry shows the CMS layer's users by name.
    pub fn new() -> Self {
        static CMS_USERS: std::sync::Once = std::sync::Once::new();
        CMS_USERS.call_once(|| {
            loggable::registry::update_global(|registry| {
                registry.set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
            });
        });
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
                Self { conn, schema: None }
            }
            BackendKind::Postgresql | BackendKind::Mysql => {
                let schema = db::IsolatedSchema::create(&base, "test").expect("test schema");
                let conn = db::connect(schema.url()).expect("test schema");
                Self {
                    conn,
                    schema: Some(schema),
                }
            }
        }
    }

    /// A URL that reaches this test's database (PostgreSQL only; SQLite tests are in memory).
    pub fn url(&self) -> &str {
        self.schema
            .as_ref()
            .map_or(":memory:", |schema| schema.url())
    }

    pub fn backend(&self) -> BackendKind {
        self.conn.backend()
    }
}

/// A URL several connections (threads, processes) can share: this test's PostgreSQL schema,
/// or an SQLite file (WAL, busy timeout) in `dir`. `db` must outlive its users.
pub fn shared_url(db: &TestDb, dir: &tempfile::TempDir, name: &str) -> String {
    match db.backend() {
        BackendKind::Postgresql | BackendKind::Mysql => db.url().to_owned(),
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

/// A connection to [`shared_url`], migrated; with the URL, for other connections and processes.
pub fn shared_conn(db: &TestDb, dir: &tempfile::TempDir, name: &str) -> (String, DbConnection) {
    let url = shared_url(db, dir, name);
    let mut conn = db::connect(&url).expect("shared database");
    db::run_migrations(&mut conn).expect("migrations");
    (url, conn)
}

/// A user named `name` (also its display name); its id.
pub fn user(conn: &mut DbConnection, name: &str) -> i64 {
    loggable::user::create_user(conn, &loggable::user::NewUser::new(name))
        .expect("user")
        .id
}

/// The object's entries (global registry) in the order they were written.
pub fn history(
    conn: &mut DbConnection,
    object: &(impl loggable::Loggable + ?Sized),
) -> Vec<loggable::LogEntry> {
    let mut entries =
        loggable::entries_for_object(conn, &loggable::registry::global(), object).expect("history");
    entries.reverse();
    entries
}

/// The entries' action codes.
pub fn actions(entries: &[loggable::LogEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.action.as_str()).collect()
}

/// A registry that knows the page type `cms.simplepage`.
pub fn page_registry() -> loggable::registry::Registry {
    let mut registry = loggable::registry::Registry::new();
    registry.register_model(loggable::registry::ModelType::page("cms.simplepage"));
    registry
}

/// A registry that knows the generic type `shop.widget` ("widget").
pub fn widget_registry() -> loggable::registry::Registry {
    let mut registry = loggable::registry::Registry::new();
    registry
        .register_model(loggable::registry::ModelType::new("shop.widget").verbose_name("widget"))
        .set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
    registry
}

/// Collects the SQL a connection runs.
#[derive(Clone, Default)]
pub struct Statements(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl diesel::connection::Instrumentation for Statements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.lock().expect("statements").push(query.to_string());
        }
    }
}

/// What SQLite runs after an entry's INSERT to learn its id.
pub const ROWID_READ_BACK: &str = "SELECT last_insert_rowid()";
/// MySQL's read of the id its INSERT generated.
pub const LAST_ID_READ_BACK: &str = "SELECT last_insert_id()";

impl Statements {
    /// The statements run since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().expect("statements"))
    }

    /// The statements run so far, kept.
    pub fn seen(&self) -> Vec<String> {
        self.0.lock().expect("statements").clone()
    }

    /// How many of `statements` read a table: SELECTs other than SQLite's read-back of the
    /// rowid an INSERT just gave.
    pub fn reads(statements: &[String]) -> usize {
        Self::count(statements, "SELECT")
            - Self::count(statements, ROWID_READ_BACK)
            - Self::count(statements, LAST_ID_READ_BACK)
    }

    /// How many of `statements` write log entries: INSERTs (on PostgreSQL, into an
    /// application's own table, behind the CTE that records the table) and COPYs, not
    /// SQLite's separate statement recording an application's table.
    pub fn entry_writes(statements: &[String]) -> usize {
        Self::count(statements, "INSERT")
            + Self::count(statements, "COPY")
            + Self::count_with(statements, "INSERT")
            - Self::count(statements, "INSERT INTO `loggable_log_tables`")
    }

    /// How many of `statements` update a model's row: UPDATEs, and on PostgreSQL the
    /// statements that update the row and write its entry together.
    pub fn row_updates(statements: &[String]) -> usize {
        Self::count(statements, "UPDATE")
            + Self::count_with(statements, "loggable_saved AS (UPDATE")
    }

    /// How many of `statements` are a `WITH` (common table expressions, PostgreSQL) holding
    /// `part`.
    pub fn count_with(statements: &[String], part: &str) -> usize {
        statements
            .iter()
            .filter(|s| s.trim_start().starts_with("WITH") && s.contains(part))
            .count()
    }

    /// How many of `statements` start with `prefix`.
    pub fn count(statements: &[String], prefix: &str) -> usize {
        statements
            .iter()
            .filter(|s| s.trim_start().starts_with(prefix))
            .count()
    }
}

/// The whole site history exported as JSON Lines (no viewer, no filters): how many rows the
/// export says it wrote, and each line parsed.
pub fn export_json_lines(
    conn: &mut DbConnection,
    registry: &loggable::registry::Registry,
) -> (u64, Vec<serde_json::Value>) {
    let mut out = Vec::new();
    let written = loggable::export::site_history(
        conn,
        registry,
        None,
        &loggable::report::Filters::default(),
        loggable::export::ExportFormat::JsonLines,
        &mut out,
        |_| {},
    )
    .unwrap();
    let rows = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (written, rows)
}

/// The DDL of an auto-incremented BIGINT key and of a timestamp column, per backend (for test
/// tables made by hand).
pub fn id_and_timestamp(backend: BackendKind) -> (&'static str, &'static str) {
    match backend {
        BackendKind::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TIMESTAMP"),
        BackendKind::Postgresql => ("BIGSERIAL PRIMARY KEY", "TIMESTAMP"),
        BackendKind::Mysql => ("BIGINT AUTO_INCREMENT PRIMARY KEY", "DATETIME(6)"),
    }
}
