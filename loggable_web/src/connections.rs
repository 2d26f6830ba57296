//! Where the pages get a database connection: the application's pool, lent to blocking work
//! off the async runtime.

use std::future::Future;

use loggable::db::LogConnection;

/// Why a page could not be served from the database.
#[derive(Debug)]
pub enum Unavailable {
    /// No connection could be had (the database is down or the pool is exhausted): the page
    /// answers 503 and works again once the database is back.
    NoConnection(String),
    /// The work itself failed.
    Failed(loggable::Error),
}

/// A source of connections the pages run their reads on: `deadpool_diesel`'s pool of a
/// connection loggable works with (`DbConnection`, `PgConnection`, `SqliteConnection`), or
/// loggable's own r2d2 pool ([`loggable::db::pool`]).
pub trait Connections: Clone + Send + Sync + 'static {
    /// The connection lent.
    type Connection: LogConnection + Send + 'static;

    /// Runs `work` on a connection, on a thread where blocking is allowed.
    fn run<T, F>(&self, work: F) -> impl Future<Output = Result<T, Unavailable>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut Self::Connection) -> loggable::Result<T> + Send + 'static;
}

/// `deadpool_diesel`'s pool of `$connection` lends it to the pages.
macro_rules! deadpool_connections {
    ($connection:ty) => {
        impl Connections for deadpool_diesel::Pool<deadpool_diesel::Manager<$connection>> {
            type Connection = $connection;

            async fn run<T, F>(&self, work: F) -> Result<T, Unavailable>
            where
                T: Send + 'static,
                F: FnOnce(&mut $connection) -> loggable::Result<T> + Send + 'static,
            {
                let conn = self
                    .get()
                    .await
                    .map_err(|e| Unavailable::NoConnection(e.to_string()))?;
                match conn.interact(work).await {
                    Ok(Ok(value)) => Ok(value),
                    Ok(Err(error)) => Err(classify(error)),
                    Err(interrupted) => Err(Unavailable::NoConnection(interrupted.to_string())),
                }
            }
        }
    };
}

deadpool_connections!(loggable::db::DbConnection);
#[cfg(feature = "postgres")]
deadpool_connections!(diesel::PgConnection);
#[cfg(feature = "sqlite")]
deadpool_connections!(diesel::SqliteConnection);
#[cfg(feature = "mysql")]
deadpool_connections!(diesel::MysqlConnection);

/// loggable's own r2d2 pool ([`loggable::db::pool`]): a connection is taken and used on a
/// blocking thread.
impl Connections for loggable::db::Pool {
    type Connection = loggable::db::DbConnection;

    async fn run<T, F>(&self, work: F) -> Result<T, Unavailable>
    where
        T: Send + 'static,
        F: FnOnce(&mut loggable::db::DbConnection) -> loggable::Result<T> + Send + 'static,
    {
        let pool = self.clone();
        let done = tokio::task::spawn_blocking(move || {
            let mut conn = pool
                .get()
                .map_err(|e| Unavailable::NoConnection(e.to_string()))?;
            work(&mut conn).map_err(classify)
        })
        .await;
        done.unwrap_or_else(|interrupted| Err(Unavailable::NoConnection(interrupted.to_string())))
    }
}

/// A lost connection is an outage, not a failure of the page.
fn classify(error: loggable::Error) -> Unavailable {
    if error.is_connection_lost() {
        Unavailable::NoConnection(error.to_string())
    } else {
        Unavailable::Failed(error)
    }
}
