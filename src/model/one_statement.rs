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
use crate::db::{BackendConnection, BackendKind, LogConnection};
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

/// Whether [`save`] can write `new`'s update as one statement: on PostgreSQL, with no
/// revision to save between the UPDATE and the entry, an entry to write, no write hook and
/// no buffer for it. ([`save`] still declines a model whose UPDATE does not compile for
/// PostgreSQL, which only a connection over several backends can meet.)
pub(super) fn possible<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    new: &M,
    options: &LogOptions,
) -> bool {
    !options.suppress
        && new.revision_content().is_none()
        && options.writes_plainly(new)
        && conn.deferred_writes().is_none()
        && conn.backend_connection().backend() == BackendKind::Postgresql
}

/// Saves `new` over `old` and writes its `wagtail.edit` entry with one statement, when
/// [`possible`] and the model's UPDATE is at hand; returns `false`, having written nothing,
/// when not. The caller has checked the lock.
pub(super) fn save<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old: &M,
    new: &M,
    options: &LogOptions,
) -> Result<bool> {
    #[allow(
        unreachable_patterns,
        reason = "one variant when built for PostgreSQL alone"
    )]
    let pg = match conn.backend_connection() {
        BackendConnection::Postgresql(pg) => pg,
        _ => return Ok(false),
    };
    let (Some(update), Some(entry)) = (
        new.postgres_save(),
        options.prepare(options.edit_entry(old, new, false)?)?,
    ) else {
        return Ok(false);
    };
    let saved = Named {
        name: "loggable_saved",
        statement: &*update,
    };
    match entry.write_after(pg, (&saved, "loggable_saved"))? {
        Some(_) => Ok(true),
        None => Err(super::lifecycle::not_found(new)),
    }
}
