//! The parts of the `loggable` command line that its benchmarks share: the benchmark data
//! set and measurements (`bench`).

pub mod bench;

/// Runs `$body` with `$conn` bound to the backend's own connection of a
/// [`DbConnection`](loggable::db::DbConnection): for statements Diesel builds per backend
/// (multi-row INSERTs), or to run them without the `MultiConnection`'s indirection.
#[macro_export]
macro_rules! on_backend {
    ($connection:expr, |$conn:ident| $body:expr) => {
        match $connection {
            loggable::db::DbConnection::Postgresql($conn) => $body,
            loggable::db::DbConnection::Sqlite($conn) => $body,
            #[cfg(feature = "mysql")]
            loggable::db::DbConnection::Mysql($conn) => $body,
            // loggable built with MySQL by another crate of the build, this one without.
            #[allow(unreachable_patterns)]
            _ => Err(diesel::result::Error::QueryBuilderError(
                "this command line is built without its `mysql` feature".into(),
            )),
        }
    };
}
