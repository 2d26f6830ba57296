//! A logged update as one statement on PostgreSQL: `WITH loggable_saved AS (UPDATE ...
//! RETURNING key) INSERT INTO {log} ... SELECT ... FROM loggable_saved`. The row changes and
//! its entry goes in together or not at all, in one round trip and with no transaction of the
//! library's own: a single statement is atomic.
//!
//! `#[derive(Loggable)]` hands the library its UPDATE through
//! [`ModelStore::postgres_save`](super::ModelStore::postgres_save), when the statement
//! compiles for PostgreSQL; the helpers here let the generated code ask that of a concrete
//! statement type without naming a bound the model may not meet.

use std::cell::Cell;

use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment};

use super::{LogOptions, ModelStore};
use crate::db::{BackendConnection, LogConnection};
use crate::error::Result;

/// A statement of a model's, boxed for PostgreSQL.
#[doc(hidden)]
pub type PostgresStatement<'a> = Box<dyn QueryFragment<Pg> + 'a>;

/// A statement the generated code offers for PostgreSQL; see [`OfferPostgres`].
#[doc(hidden)]
pub struct PostgresOffer<T>(Cell<Option<T>>);

impl<T> PostgresOffer<T> {
    /// Offers `statement`.
    pub fn new(statement: T) -> Self {
        Self(Cell::new(Some(statement)))
    }
}

/// The statement, boxed, when it compiles for PostgreSQL. Method resolution tries this impl
/// first (on `&PostgresOffer<T>` directly) and falls back to [`DeclinePostgres`] (on
/// `&&PostgresOffer<T>`) when `T` is not a PostgreSQL statement, so the generated code compiles
/// for every model.
#[doc(hidden)]
pub trait OfferPostgres<'a> {
    /// The statement, once.
    fn postgres_statement(&self) -> Option<PostgresStatement<'a>>;
}

impl<'a, T: QueryFragment<Pg> + 'a> OfferPostgres<'a> for PostgresOffer<T> {
    fn postgres_statement(&self) -> Option<PostgresStatement<'a>> {
        self.0
            .take()
            .map(|statement| Box::new(statement) as PostgresStatement<'a>)
    }
}

/// [`OfferPostgres`]'s fallback: no statement.
#[doc(hidden)]
pub trait DeclinePostgres<'a> {
    /// Nothing.
    fn postgres_statement(&self) -> Option<PostgresStatement<'a>>;
}

impl<'a, T> DeclinePostgres<'a> for &PostgresOffer<T> {
    fn postgres_statement(&self) -> Option<PostgresStatement<'a>> {
        None
    }
}

/// `{name} AS ({statement})`: a statement as a common table expression.
struct Named<'a> {
    name: &'static str,
    statement: &'a dyn QueryFragment<Pg>,
}

impl QueryFragment<Pg> for Named<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.name);
        out.push_sql(" AS (");
        self.statement.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}

/// Saves `new` over `old` and writes its `wagtail.edit` entry with one statement, when it
/// can: on PostgreSQL, with an entry to write (not suppressed), no buffer and no write hook
/// for it, and the model's UPDATE at hand. Returns `false`, having written nothing, when it
/// cannot. The caller has checked the lock and that there is no revision to save between the
/// two.
pub(super) fn save<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old: &M,
    new: &M,
    options: &LogOptions,
) -> Result<bool> {
    // The buffer first: asking for the backend connection sends what a buffer holds. The
    // backend before the registry: on SQLite this answers at once, however often it is asked.
    if options.suppress || conn.deferred_writes().is_some() {
        return Ok(false);
    }
    #[allow(
        unreachable_patterns,
        reason = "one variant when built for PostgreSQL alone"
    )]
    let pg = match conn.backend_connection() {
        BackendConnection::Postgresql(pg) => pg,
        _ => return Ok(false),
    };
    if !options.writes_plainly(new) {
        return Ok(false);
    }
    let Some(update) = new.postgres_save() else {
        return Ok(false);
    };
    let Some(entry) = options.prepare(options.edit_entry(old, new, false)?)? else {
        return Ok(false);
    };
    // Asked again of the registry the entry was checked with: a hook set on the global
    // registry since the first question would otherwise be passed by.
    if !entry.writes_plainly() {
        return Ok(false);
    }
    let saved = Named {
        name: "loggable_saved",
        statement: &*update,
    };
    match entry.write_after(pg, (&saved, "loggable_saved"))? {
        Some(_) => Ok(true),
        None => Err(super::lifecycle::not_found(new)),
    }
}
