//! The connection enum. Kept alone in its module because Diesel's `MultiConnection` derive
//! generates a sibling module that glob-imports everything beside it.

/// A connection to any supported database; every function of loggable takes this type.
///
/// Adding a backend (MySQL/MariaDB) means a variant here, a URL scheme in
/// [`DatabaseUrl`](super::DatabaseUrl), and a migrations directory.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// A PostgreSQL connection.
    Postgresql(diesel::PgConnection),
    /// An SQLite connection (a file or `:memory:`).
    Sqlite(diesel::SqliteConnection),
}
