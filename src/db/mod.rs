//! Plumbing: the connection loggable works on ([`LogConnection`], the application's own),
//! connecting from a URL, transactions, and the embedded schema migrations.
//!
//! Everything above this module is written once against [`DbConnection`]; the application's
//! connection is lent to one for each call ([`LogConnection`]). The few places that differ per
//! backend (session settings, migrations) are the named functions here.

mod condition;
mod connection;
#[cfg(all(feature = "test-util", any(feature = "postgres", feature = "mysql")))]
mod isolated;
mod log_connection;
mod migrations;
mod url;

#[cfg(feature = "sqlite")]
use diesel::SqliteConnection;
#[cfg(feature = "sqlite")]
use diesel::connection::SimpleConnection;

pub(crate) use self::condition::InSubquery;
pub(crate) use self::condition::fixed_sql_expression;
pub(crate) use self::condition::{ListProbe, SqlCondition};
pub use self::connection::DbConnection;
pub(crate) use self::connection::MultiBackend;
#[cfg(all(feature = "test-util", any(feature = "postgres", feature = "mysql")))]
pub use self::isolated::IsolatedSchema;
pub use self::log_connection::{BackendConnection, DeferredWrites, LogConnection};
pub(crate) use self::log_connection::{atomically, retrying_transaction, with_db};
pub use self::log_connection::{read_snapshot, transaction};
pub use self::migrations::{
    Layer, MigrationFile, check_schema, migration_files, run_core_migrations, run_migrations,
    write_migrations,
};
#[cfg(feature = "mysql")]
pub use self::migrations::{MYSQL_CMS, MYSQL_CORE};
#[cfg(feature = "postgres")]
pub use self::migrations::{POSTGRES_CMS, POSTGRES_CORE};
#[cfg(feature = "sqlite")]
pub use self::migrations::{SQLITE_CMS, SQLITE_CORE};
pub use self::url::{BackendKind, DatabaseUrl};
use crate::error::{Error, Result};

/// Runs `$body` with `$conn` bound to the backend's own connection type.
///
/// For statements Diesel builds differently per backend and cannot build for the
/// `MultiConnection` backend: multi-row INSERTs (SQLite needs its own batch form).
macro_rules! on_backend_connection {
    ($connection:expr, |$conn:ident| $body:expr) => {
        match $connection {
            #[cfg(feature = "postgres")]
            $crate::db::DbConnection::Postgresql($conn) => $body,
            #[cfg(feature = "sqlite")]
            $crate::db::DbConnection::Sqlite($conn) => $body,
            #[cfg(feature = "mysql")]
            $crate::db::DbConnection::Mysql($conn) => $body,
        }
    };
}
pub(crate) use on_backend_connection;

/// Runs `$statement` (an INSERT or an UPDATE of one row) and returns `$columns` of the row it
/// wrote: with `RETURNING` where the backend has it. MySQL has none: there the statement runs,
/// then `$read_back` reads the row on the same connection (`$mysql`), given the id the INSERT
/// generated as `$id` (an UPDATE's read-back names its row itself). A statement that wrote no
/// row is `NotFound`, as `RETURNING` makes it elsewhere.
macro_rules! get_returning {
    ($connection:expr, $statement:expr, $columns:expr, |$mysql:ident, $id:ident| $read_back:expr) => {
        $crate::db::get_returning!($connection, $statement, $columns, |$mysql| {
            $crate::db::last_insert_id($mysql).and_then(|$id| $read_back)
        })
    };
    ($connection:expr, $statement:expr, $columns:expr, |$mysql:ident| $read_back:expr) => {
        match $connection {
            #[cfg(feature = "postgres")]
            $crate::db::DbConnection::Postgresql(conn) => {
                diesel::RunQueryDsl::get_result($statement.returning($columns), conn)
            }
            #[cfg(feature = "sqlite")]
            $crate::db::DbConnection::Sqlite(conn) => {
                diesel::RunQueryDsl::get_result($statement.returning($columns), conn)
            }
            #[cfg(feature = "mysql")]
            $crate::db::DbConnection::Mysql($mysql) => {
                match diesel::RunQueryDsl::execute($statement, &mut *$mysql) {
                    Ok(0) => Err(diesel::result::Error::NotFound),
                    Ok(_) => $read_back,
                    Err(error) => Err(error),
                }
            }
        }
    };
}
pub(crate) use get_returning;

#[cfg(feature = "mysql")]
mod mysql_functions {
    diesel::define_sql_function! {
        /// MySQL's id of the connection's latest INSERT into an AUTO_INCREMENT column.
        fn last_insert_id() -> diesel::sql_types::Unsigned<diesel::sql_types::BigInt>;
    }

    diesel::define_sql_function! {
        /// Sets what `LAST_INSERT_ID()` answers until the next INSERT that generates an id.
        #[sql_name = "LAST_INSERT_ID"]
        fn set_last_insert_id(
            value: diesel::sql_types::BigInt,
        ) -> diesel::sql_types::Unsigned<diesel::sql_types::BigInt>;
    }
}

/// Sets `LAST_INSERT_ID()` to 0, so that after an INSERT that generates no id (its key set
/// by the row, or no AUTO_INCREMENT column) it reads 0 rather than an earlier INSERT's id.
#[cfg(feature = "mysql")]
pub(crate) fn forget_last_insert_id(conn: &mut diesel::MysqlConnection) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    diesel::select(mysql_functions::set_last_insert_id(0))
        .get_result::<u64>(conn)
        .map(drop)
}

/// The server's `max_allowed_packet`: the largest packet (a statement and its bound values)
/// it takes.
#[cfg(feature = "mysql")]
pub(crate) fn max_allowed_packet(conn: &mut diesel::MysqlConnection) -> diesel::QueryResult<usize> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Packet {
        #[diesel(sql_type = diesel::sql_types::Unsigned<diesel::sql_types::BigInt>)]
        bytes: u64,
    }
    // Raw SQL: a system variable is no expression Diesel builds; nothing is bound.
    let packet: Packet =
        diesel::sql_query("SELECT @@max_allowed_packet AS bytes").get_result(conn)?;
    Ok(usize::try_from(packet.bytes).unwrap_or(usize::MAX))
}

/// The id the latest INSERT on `conn` generated (its first row's, for a multi-row INSERT);
/// read right after that INSERT.
#[cfg(feature = "mysql")]
pub(crate) fn last_insert_id(conn: &mut diesel::MysqlConnection) -> diesel::QueryResult<i64> {
    use diesel::RunQueryDsl;
    let id: u64 = diesel::select(mysql_functions::last_insert_id()).get_result(conn)?;
    i64::try_from(id).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

#[cfg(feature = "sqlite")]
mod sqlite_functions {
    diesel::define_sql_function! {
        /// SQLite's rowid of the connection's latest INSERT (a trigger's own inserts excepted).
        fn last_insert_rowid() -> diesel::sql_types::BigInt;
    }
}

/// The rowid the latest INSERT on `conn` gave its row; read right after that INSERT.
#[cfg(feature = "sqlite")]
pub(crate) fn last_insert_rowid(conn: &mut SqliteConnection) -> diesel::QueryResult<i64> {
    use diesel::RunQueryDsl;
    diesel::select(sqlite_functions::last_insert_rowid()).get_result(conn)
}

/// The URL used when none is given: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "loggable.sqlite3";

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
            #[cfg(feature = "postgres")]
            BackendKind::Postgresql => {
                use diesel::Connection;
                let conn = diesel::PgConnection::establish(self.driver_target()).map_err(failed)?;
                Ok(DbConnection::Postgresql(conn))
            }
            #[cfg(feature = "sqlite")]
            BackendKind::Sqlite => {
                use diesel::Connection;
                let mut conn = SqliteConnection::establish(self.driver_target()).map_err(failed)?;
                configure_sqlite(&mut conn, !self.is_memory()).map_err(|source| {
                    failed(diesel::ConnectionError::CouldntSetupConfiguration(source))
                })?;
                Ok(DbConnection::Sqlite(conn))
            }
            #[cfg(feature = "mysql")]
            BackendKind::Mysql => {
                use diesel::Connection;
                let conn =
                    diesel::MysqlConnection::establish(self.driver_target()).map_err(failed)?;
                Ok(DbConnection::Mysql(conn))
            }
            #[allow(unreachable_patterns)]
            backend => Err(Error::BackendNotEnabled {
                backend: backend.name(),
            }),
        }
    }
}

/// Applies loggable's recommended SQLite settings to a connection of the application's own:
/// foreign keys on, a 5 s busy timeout, statement journals in memory, a 16 MiB page cache, and
/// for files (`is_file`) WAL journaling with `synchronous = NORMAL`. [`connect`] applies them.
///
/// ```
/// use diesel::Connection;
///
/// let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
/// loggable::db::configure_sqlite(&mut conn, false).unwrap();
/// ```
#[cfg(feature = "sqlite")]
pub fn configure_sqlite(conn: &mut SqliteConnection, is_file: bool) -> diesel::QueryResult<()> {
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
            #[cfg(feature = "postgres")]
            Self::Postgresql(_) => BackendKind::Postgresql,
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => BackendKind::Sqlite,
            #[cfg(feature = "mysql")]
            Self::Mysql(_) => BackendKind::Mysql,
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
