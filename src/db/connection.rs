//! The connection enum. Kept alone in its module because Diesel's `MultiConnection` derive
//! generates a sibling module that glob-imports everything beside it.

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "loggable needs a backend: enable the `sqlite`, `postgres` or `mysql` feature (or several)"
);

/// A connection to any backend loggable was built with, opened from a URL by
/// [`connect`](super::connect).
///
/// A convenience: every operation takes any [`LogConnection`](super::LogConnection) (the
/// application's own `PgConnection`, `SqliteConnection`, pooled connection or
/// `MultiConnection` enum), and this type is one of them.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgresql(diesel::PgConnection),
    /// An SQLite connection (a file or `:memory:`).
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    /// A MySQL or MariaDB connection.
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
}
