//! Connecting to SQLite or PostgreSQL from a URL, and the embedded schema migrations.
//!
//! Everything above this module is written once against [`DbConnection`]; the few places that
//! differ per backend (session settings, migrations) are the named functions here.

mod condition;
mod connection;
mod isolated;
mod url;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub(crate) use self::condition::InSubquery;
pub(crate) use self::condition::fixed_sql_expression;
pub use self::condition::{ListProbe, SqlCondition};
pub use self::connection::{DbConnection, MultiBackend};
pub use self::isolated::IsolatedSchema;
pub use self::url::{BackendKind, DatabaseUrl};
use crate::error::{Error, Result};

/// Runs `$body` with `$conn` bound to the backend's own connection type.
///
/// For statements Diesel builds differently per backend and cannot build for the
/// `MultiConnection` backend: multi-row INSERTs (SQLite needs its own batch form).
#[doc(hidden)]
#[macro_export]
macro_rules! __on_backend_connection {
    ($connection:expr, |$conn:ident| $body:expr) => {
        match $connection {
            $crate::db::DbConnection::Postgresql($conn) => $body,
            $crate::db::DbConnection::Sqlite($conn) => $body,
        }
    };
}

mod sqlite_functions {
    diesel::define_sql_function! {
        /// SQLite's rowid of the connection's latest INSERT (a trigger's own inserts excepted).
        fn last_insert_rowid() -> diesel::sql_types::BigInt;
    }
}

/// The rowid the latest INSERT on `conn` gave its row; read right after that INSERT.
#[doc(hidden)]
pub fn last_insert_rowid(conn: &mut SqliteConnection) -> diesel::QueryResult<i64> {
    use diesel::RunQueryDsl;
    diesel::select(sqlite_functions::last_insert_rowid()).get_result(conn)
}

/// The URL used when none is given: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "loggable.sqlite3";

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Opens a connection from a URL (see [`DatabaseUrl`] for the accepted forms).
///
/// SQLite connections get foreign keys on, a 5 s busy timeout, statement journals in memory,
/// and for files WAL journaling with `synchronous = NORMAL` (a committed transaction survives a
/// process crash; a power cut may lose the last ones, never corrupt the file), checkpoints
/// every 10,000 WAL pages and the WAL trimmed to 64 MiB after one.
///
/// ```
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// assert_eq!(conn.backend(), loggable::db::BackendKind::Sqlite);
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn connect(url: &str) -> Result<DbConnection> {
    DatabaseUrl::parse(url)?.connect()
}

impl DatabaseUrl {
    /// Opens a connection to the database this URL names.
    pub fn connect(&self) -> Result<DbConnection> {
        let failed = |source| Error::Connection {
            url: self.to_string(),
            source,
        };
        match self.backend() {
            BackendKind::Postgresql => {
                let conn = PgConnection::establish(self.driver_target()).map_err(failed)?;
                Ok(DbConnection::Postgresql(conn))
            }
            BackendKind::Sqlite => {
                let mut conn = SqliteConnection::establish(self.driver_target()).map_err(failed)?;
                configure_sqlite(&mut conn, !self.is_memory()).map_err(|source| {
                    failed(diesel::ConnectionError::CouldntSetupConfiguration(source))
                })?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

fn configure_sqlite(conn: &mut SqliteConnection, is_file: bool) -> diesel::QueryResult<()> {
    // temp_store = MEMORY keeps statement journals (a statement inside a transaction that may
    // write several rows, or has a RETURNING clause, keeps one) off the disk. A page cache of
    // up to 16 MiB (SQLite's default is 2 MiB; it grows only as pages are read): a transaction
    // of 20,000 entries dirties about 10 MB of B-tree pages, which a 2 MiB cache spills to the
    // WAL and reads back before the commit (+10-25% entries/s for bulk writes when it fits).
    conn.batch_execute(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA temp_store = MEMORY; \
         PRAGMA cache_size = -16384;",
    )?;
    if is_file {
        // A log entry touches ~11 pages (the row and eight indexes); checkpointing every
        // 10,000 WAL pages instead of 1,000 means a tenth of the checkpoint fsyncs per entry.
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA wal_autocheckpoint = 10000; PRAGMA journal_size_limit = 67108864;",
        )?;
    }
    Ok(())
}

impl DbConnection {
    /// Which backend this connection talks to.
    pub fn backend(&self) -> BackendKind {
        match self {
            Self::Postgresql(_) => BackendKind::Postgresql,
            Self::Sqlite(_) => BackendKind::Sqlite,
        }
    }
}

/// Opens pooled connections exactly as [`connect`] does (same SQLite settings), and drops the
/// ones whose server went away.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    /// A manager for `url`, to build a pool with settings of your own.
    pub fn new(url: &str) -> Result<Self> {
        Ok(Self {
            url: DatabaseUrl::parse(url)?,
        })
    }
}

impl diesel::r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = Error;

    fn connect(&self) -> Result<DbConnection> {
        self.url.connect()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<()> {
        diesel::r2d2::R2D2Connection::ping(conn).map_err(|source| Error::Database {
            context: "checking a pooled connection",
            source,
        })
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(conn)
    }
}

/// A pool of connections (r2d2).
pub type Pool = diesel::r2d2::Pool<ConnectionManager>;

/// A pool of up to `max_size` connections to `url`, opened as [`connect`] opens them. A
/// connection is checked before it is handed out, so one the server dropped is replaced.
///
/// ```
/// let pool = loggable::db::pool(":memory:", 1)?;
/// let mut conn = pool.get().map_err(|e| loggable::Error::Pool(e.to_string()))?;
/// loggable::db::run_migrations(&mut conn)?;
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn pool(url: &str, max_size: u32) -> Result<Pool> {
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .test_on_check_out(true)
        .build(ConnectionManager::new(url)?)
        .map_err(|e| Error::Pool(e.to_string()))
}

/// Runs `body` in a transaction (a savepoint inside an open one): committed when it returns
/// `Ok`, rolled back when it returns an error.
///
/// On SQLite the outermost transaction is `BEGIN IMMEDIATE`: it takes the write lock up
/// front, waiting up to the busy timeout for other writers. A deferred transaction that reads
/// first would instead fail at once with `SQLITE_BUSY` when it later writes under concurrency.
pub fn transaction<T>(
    conn: &mut DbConnection,
    body: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    match conn {
        DbConnection::Sqlite(_) => outermost(conn, "BEGIN IMMEDIATE", body),
        DbConnection::Postgresql(_) => conn.transaction(body),
    }
}

/// Runs `body` in one read-only snapshot of the database, so a long read (a chain walk, say)
/// sees no write that commits while it runs. Inside an open transaction it simply runs.
pub fn read_snapshot<T>(
    conn: &mut DbConnection,
    body: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    let begin = match conn {
        // A deferred transaction in WAL mode reads one snapshot from its first read on.
        DbConnection::Sqlite(_) => "BEGIN",
        DbConnection::Postgresql(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
    };
    outermost(conn, begin, body)
}

/// Runs `body` in a transaction opened with `begin` when none is open (else in a savepoint),
/// keeping Diesel's transaction bookkeeping in step.
fn outermost<T>(
    conn: &mut DbConnection,
    begin: &str,
    body: impl FnOnce(&mut DbConnection) -> Result<T>,
) -> Result<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let failed = |context: &'static str| move |source| Error::Database { context, source };
    let depth = crate::__on_backend_connection!(conn, |inner| {
        AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()
    })
    .map_err(failed("starting a transaction"))?;
    if depth.is_some() {
        return conn.transaction(body);
    }
    crate::__on_backend_connection!(conn, |inner| AnsiTransactionManager::begin_transaction_sql(
        inner, begin
    ))
    .map_err(failed("starting a transaction"))?;
    match body(conn) {
        Ok(value) => match crate::__on_backend_connection!(conn, |inner| {
            AnsiTransactionManager::commit_transaction(inner)
        }) {
            Ok(()) => Ok(value),
            Err(source) => {
                // A failed COMMIT may leave the transaction open; end it so nothing half-done
                // lingers on this connection.
                let _ = crate::__on_backend_connection!(conn, |inner| {
                    AnsiTransactionManager::rollback_transaction(inner)
                });
                Err(failed("committing a transaction")(source))
            }
        },
        Err(error) => {
            // The body's error is the one worth reporting; a failed ROLLBACK (the connection
            // is gone, say) ends the transaction on the server anyway.
            let _ = crate::__on_backend_connection!(conn, |inner| {
                AnsiTransactionManager::rollback_transaction(inner)
            });
            Err(error)
        }
    }
}

/// Applies every pending migration of loggable's own schema; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>> {
    run_application_migrations(conn, SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS)
}

/// Applies every pending migration of `sqlite` or `postgres`, whichever fits `conn`, from a
/// set of migrations the application embeds itself (for its own log tables, say). Versions
/// share one bookkeeping table with loggable's, so they must not collide with ours.
pub fn run_application_migrations(
    conn: &mut DbConnection,
    sqlite: EmbeddedMigrations,
    postgres: EmbeddedMigrations,
) -> Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Postgresql(pg) => pg
            .run_pending_migrations(postgres)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        DbConnection::Sqlite(sqlite_conn) => sqlite_conn
            .run_pending_migrations(sqlite)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
    };
    applied.map_err(|e| Error::Migration(e.to_string()))
}
