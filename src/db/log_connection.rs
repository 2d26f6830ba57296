//! [`LogConnection`]: how loggable reaches the application's own connection, and the
//! transactions it runs on it.

use std::mem::ManuallyDrop;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::r2d2::{ManageConnection, PooledConnection};

use super::{BackendKind, DbConnection};
use crate::error::{Error, Result};

/// A connection loggable can write to and read from: the application's own.
///
/// Implemented for Diesel's `PgConnection`, `SqliteConnection` and `MysqlConnection` (per the
/// `postgres`, `sqlite` and `mysql` features), for an r2d2 [`PooledConnection`] of any of them,
/// and for [`DbConnection`]. An application's own `#[derive(diesel::MultiConnection)]` enum implements
/// it by naming the variant it holds:
///
/// ```
/// # #[cfg(feature = "sqlite")]
/// mod app {
///     use loggable::db::{BackendConnection, LogConnection};
///
///     #[derive(diesel::MultiConnection)]
///     pub enum AppConnection {
///         Sqlite(diesel::SqliteConnection),
///     }
///
///     impl LogConnection for AppConnection {
///         fn backend_connection(&mut self) -> BackendConnection<'_> {
///             match self {
///                 AppConnection::Sqlite(conn) => conn.backend_connection(),
///             }
///         }
///     }
/// }
/// # fn main() {}
/// ```
///
/// Every operation runs on the connection it is given, in the transaction the caller holds
/// (a savepoint inside it), so a caller that rolls back takes loggable's entries with it.
pub trait LogConnection {
    /// The backend's own connection behind this one.
    fn backend_connection(&mut self) -> BackendConnection<'_>;

    /// Where entries written through this connection wait to be sent together, if anywhere
    /// (loggable's [`BufferedLog`](crate::entry::BufferedLog)); `None` writes them at once. A
    /// type that wraps another connection forwards it.
    #[doc(hidden)]
    fn deferred_writes(&mut self) -> Option<DeferredWrites<'_>> {
        None
    }
}

/// A buffer that entries written through a connection wait in, and the connection behind it.
/// The buffer is opaque to this layer: the log writes downcast it.
#[doc(hidden)]
pub struct DeferredWrites<'a> {
    pub(crate) buffer: &'a mut dyn std::any::Any,
    pub(crate) conn: BackendConnection<'a>,
}

/// The backend connection behind a [`LogConnection`].
#[non_exhaustive]
pub enum BackendConnection<'a> {
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgresql(&'a mut diesel::PgConnection),
    /// An SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut diesel::SqliteConnection),
    /// A MySQL or MariaDB connection.
    #[cfg(feature = "mysql")]
    Mysql(&'a mut diesel::MysqlConnection),
}

impl BackendConnection<'_> {
    /// Which backend this is.
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

#[cfg(feature = "postgres")]
impl LogConnection for diesel::PgConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        BackendConnection::Postgresql(self)
    }
}

#[cfg(feature = "sqlite")]
impl LogConnection for diesel::SqliteConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        BackendConnection::Sqlite(self)
    }
}

#[cfg(feature = "mysql")]
impl LogConnection for diesel::MysqlConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        BackendConnection::Mysql(self)
    }
}

impl LogConnection for DbConnection {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgresql(conn) => BackendConnection::Postgresql(conn),
            #[cfg(feature = "sqlite")]
            Self::Sqlite(conn) => BackendConnection::Sqlite(conn),
            #[cfg(feature = "mysql")]
            Self::Mysql(conn) => BackendConnection::Mysql(conn),
        }
    }
}

impl<M> LogConnection for PooledConnection<M>
where
    M: ManageConnection,
    M::Connection: LogConnection,
{
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        (**self).backend_connection()
    }

    fn deferred_writes(&mut self) -> Option<DeferredWrites<'_>> {
        (**self).deferred_writes()
    }
}

impl<T: LogConnection + ?Sized> LogConnection for &mut T {
    fn backend_connection(&mut self) -> BackendConnection<'_> {
        (**self).backend_connection()
    }

    fn deferred_writes(&mut self) -> Option<DeferredWrites<'_>> {
        (**self).deferred_writes()
    }
}

/// Runs `body` on the connection behind `conn`, seen as a [`DbConnection`]: the code written
/// once for every backend runs on the application's own connection.
///
/// The backend connection is moved into a `DbConnection` for the call and moved back after it,
/// also when `body` panics. Its state (open transaction, statement cache) moves with it, so
/// the caller's transaction is the one `body` works in.
pub(crate) fn with_db<C, R>(conn: &mut C, body: impl FnOnce(&mut DbConnection) -> R) -> R
where
    C: LogConnection + ?Sized,
{
    match conn.backend_connection() {
        #[cfg(feature = "postgres")]
        BackendConnection::Postgresql(pg) => {
            let lent = Lent::new(pg, DbConnection::Postgresql, |db| match db {
                DbConnection::Postgresql(inner) => Some(inner),
                #[allow(unreachable_patterns)]
                _ => None,
            });
            lent.run(body)
        }
        #[cfg(feature = "sqlite")]
        BackendConnection::Sqlite(sqlite) => {
            let lent = Lent::new(sqlite, DbConnection::Sqlite, |db| match db {
                DbConnection::Sqlite(inner) => Some(inner),
                #[allow(unreachable_patterns)]
                _ => None,
            });
            lent.run(body)
        }
        #[cfg(feature = "mysql")]
        BackendConnection::Mysql(mysql) => {
            let lent = Lent::new(mysql, DbConnection::Mysql, |db| match db {
                DbConnection::Mysql(inner) => Some(inner),
                #[allow(unreachable_patterns)]
                _ => None,
            });
            lent.run(body)
        }
    }
}

/// A backend connection lent to a [`DbConnection`]; dropping it puts the connection back.
struct Lent<'a, T> {
    home: *mut T,
    db: ManuallyDrop<DbConnection>,
    give_back: fn(DbConnection) -> Option<T>,
    _borrow: std::marker::PhantomData<&'a mut T>,
}

impl<'a, T> Lent<'a, T> {
    fn new(
        home: &'a mut T,
        wrap: fn(T) -> DbConnection,
        give_back: fn(DbConnection) -> Option<T>,
    ) -> Self {
        let home: *mut T = home;
        // SAFETY: `home` comes from a `&'a mut T`, held (as `_borrow`) for as long as this
        // value lives, so nothing else reads or writes it meanwhile. The value read out here
        // is written back exactly once, in `drop`, which runs on return and on unwinding.
        let taken = unsafe { std::ptr::read(home) };
        Self {
            home,
            db: ManuallyDrop::new(wrap(taken)),
            give_back,
            _borrow: std::marker::PhantomData,
        }
    }

    fn run<R>(mut self, body: impl FnOnce(&mut DbConnection) -> R) -> R {
        body(&mut self.db)
    }
}

impl<T> Drop for Lent<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `db` is taken once, here; `self` is not used after.
        let db = unsafe { ManuallyDrop::take(&mut self.db) };
        match (self.give_back)(db) {
            // SAFETY: `home` was read out in `new` and is written back exactly once.
            Some(conn) => unsafe { std::ptr::write(self.home, conn) },
            // The crate never swaps a lent connection for one of another backend; if it ever
            // did, `home` would hold a moved-out value, so nothing may run after this.
            None => std::process::abort(),
        }
    }
}

/// Runs `body` in a transaction on `conn`: committed when it returns `Ok`, rolled back when
/// it returns an error. Inside a transaction the caller holds it is a savepoint, so the
/// caller's rollback undoes it too.
///
/// On SQLite the outermost transaction is `BEGIN IMMEDIATE`: it takes the write lock up
/// front, waiting up to the busy timeout for other writers. A deferred transaction that reads
/// first would instead fail at once with `SQLITE_BUSY` when it later writes under concurrency.
pub fn transaction<C, T>(conn: &mut C, body: impl FnOnce(&mut C) -> Result<T>) -> Result<T>
where
    C: LogConnection + ?Sized,
{
    let begin = match conn.backend_connection().backend() {
        BackendKind::Sqlite => "BEGIN IMMEDIATE",
        BackendKind::Postgresql | BackendKind::Mysql => "BEGIN",
    };
    in_transaction(conn, begin, body)
}

/// How many times loggable runs one of its own transactions again after a deadlock or a
/// serialization failure.
const CONTENTION_RETRIES: u32 = 3;

/// [`transaction`] for loggable's own transactions: when it opens the transaction (none is
/// open yet) and `body` fails with a deadlock or a serialization failure, after which the
/// server has rolled the whole transaction back, `body` runs again, up to
/// [`CONTENTION_RETRIES`] more times, a few milliseconds apart. Inside a caller's transaction it
/// never runs `body` again: the rollback took the caller's earlier work too, which only the
/// caller can redo, so the error goes to the caller.
pub(crate) fn retrying_transaction<C, T>(
    conn: &mut C,
    mut body: impl FnMut(&mut C) -> Result<T>,
) -> Result<T>
where
    C: LogConnection + ?Sized,
{
    if in_open_transaction(conn)? {
        return transaction(conn, body);
    }
    let mut retries = 0;
    loop {
        match transaction(conn, &mut body) {
            Err(error) if error.is_retryable() && retries < CONTENTION_RETRIES => {
                retries += 1;
                // The other transaction is left a moment to finish.
                std::thread::sleep(std::time::Duration::from_millis(5 * u64::from(retries)));
            }
            done => return done,
        }
    }
}

/// Runs `body` in one read-only snapshot of the database, so a long read (a chain walk, say)
/// sees no write that commits while it runs. Inside an open transaction it simply runs.
pub fn read_snapshot<C, T>(conn: &mut C, body: impl FnOnce(&mut C) -> Result<T>) -> Result<T>
where
    C: LogConnection + ?Sized,
{
    let begin = match conn.backend_connection().backend() {
        // A deferred transaction in WAL mode reads one snapshot from its first read on.
        BackendKind::Sqlite => "BEGIN",
        BackendKind::Postgresql => "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        // A consistent snapshot needs REPEATABLE READ (an application may run READ
        // COMMITTED); `SET TRANSACTION` sets it for the next transaction only. The snapshot
        // is taken at once rather than at the first read.
        BackendKind::Mysql => {
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; \
             START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"
        }
    };
    in_transaction(conn, begin, body)
}

/// The backend connection's transaction manager, which every Diesel connection type that
/// wraps it (a pooled connection, a `MultiConnection` enum) shares its bookkeeping with.
macro_rules! on_backend {
    ($conn:expr, |$inner:ident| $body:expr) => {
        match $conn.backend_connection() {
            #[cfg(feature = "postgres")]
            BackendConnection::Postgresql($inner) => $body,
            #[cfg(feature = "sqlite")]
            BackendConnection::Sqlite($inner) => $body,
            #[cfg(feature = "mysql")]
            BackendConnection::Mysql($inner) => $body,
        }
    };
}

/// Runs `body` in a transaction opened with `begin` when none is open (else in a savepoint),
/// keeping Diesel's transaction bookkeeping in step.
fn in_transaction<C, T>(
    conn: &mut C,
    begin: &str,
    body: impl FnOnce(&mut C) -> Result<T>,
) -> Result<T>
where
    C: LogConnection + ?Sized,
{
    let failed = |context: &'static str| move |source| Error::database(context, source);
    let started = if in_open_transaction(conn)? {
        on_backend!(conn, |inner| AnsiTransactionManager::begin_transaction(
            inner
        ))
    } else {
        on_backend!(conn, |inner| AnsiTransactionManager::begin_transaction_sql(
            inner, begin
        ))
    };
    started.map_err(failed("starting a transaction"))?;
    match body(conn) {
        Ok(value) => match on_backend!(conn, |inner| AnsiTransactionManager::commit_transaction(
            inner
        )) {
            Ok(()) => Ok(value),
            Err(source) => {
                // A failed COMMIT may leave the transaction open; end it so nothing half-done
                // lingers on this connection.
                let _ = on_backend!(conn, |inner| {
                    AnsiTransactionManager::rollback_transaction(inner)
                });
                Err(failed("committing a transaction")(source))
            }
        },
        Err(error) => {
            // The body's error is the one worth reporting; a failed ROLLBACK (the connection
            // is gone, say) ends the transaction on the server anyway.
            let _ = on_backend!(conn, |inner| AnsiTransactionManager::rollback_transaction(
                inner
            ));
            Err(error)
        }
    }
}

/// Runs `body` atomically at the least cost: in a transaction of its own (a savepoint inside
/// the caller's), except, when `fails_only_at_the_database`, inside the caller's transaction
/// on PostgreSQL, where it runs directly. There a failed statement aborts the caller's whole
/// transaction, so what `body` wrote before it cannot be committed without the rest. The
/// caller vouches that `body` checks everything it can before its first write and after that
/// fails only at the database (no write hook, no buffer that could refuse later).
pub(crate) fn atomically<C, T>(
    conn: &mut C,
    fails_only_at_the_database: bool,
    body: impl FnOnce(&mut C) -> Result<T>,
) -> Result<T>
where
    C: LogConnection + ?Sized,
{
    if !fails_only_at_the_database || conn.deferred_writes().is_some() {
        return transaction(conn, body);
    }
    let postgresql = conn.backend_connection().backend() == BackendKind::Postgresql;
    if postgresql && in_open_transaction(conn)? {
        body(conn)
    } else {
        transaction(conn, body)
    }
}

/// Whether `conn` is inside a transaction (Diesel's bookkeeping, shared by every wrapper).
fn in_open_transaction<C: LogConnection + ?Sized>(conn: &mut C) -> Result<bool> {
    let depth = on_backend!(conn, |inner| {
        AnsiTransactionManager::transaction_manager_status_mut(inner).transaction_depth()
    });
    depth
        .map(|depth| depth.is_some())
        .map_err(|source| Error::database("starting a transaction", source))
}
