//! The database's own list of log tables (`loggable_log_tables`): every table loggable writes
//! to is recorded there by the write itself, so whatever reads, verifies or purges the log (in
//! this process or another: the command line knows no application's models) finds an
//! application's own tables even when no registry declared them.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use diesel::prelude::*;
#[cfg(feature = "postgres")]
use diesel::query_builder::AstPass;

use super::{LogTable, MODEL_LOG, ObjectKeyKind, PAGE_LOG};
use crate::db::DbConnection;
use crate::error::{DatabaseContext, Result};
use crate::schema::log_tables;

impl LogTable {
    /// Whether this is one of loggable's own tables, which every registry knows.
    pub(crate) fn is_builtin(&self) -> bool {
        self.name() == PAGE_LOG.name() || self.name() == MODEL_LOG.name()
    }
}

/// Records `table` in the database's list (nothing happens when it is there or built in).
/// Runs before the table's rows go in: if the write then fails, the list names a table that
/// exists, which is harmless.
pub(crate) fn record_table(conn: &mut DbConnection, table: &LogTable) -> Result<()> {
    if table.is_builtin() {
        return Ok(());
    }
    let row = (
        log_tables::name.eq(table.name()),
        log_tables::object_column.eq(table.object_column()),
        log_tables::integer_objects.eq(table.object_key() == ObjectKeyKind::Integer),
        log_tables::match_content_type.eq(table.matches_content_type()),
    );
    // ON CONFLICT DO NOTHING: a table is recorded once, whoever writes it first.
    let insert = diesel::insert_into(log_tables::table)
        .values(row)
        .on_conflict_do_nothing();
    let recorded = crate::db::on_backend_connection!(conn, |c| insert.execute(c));
    recorded.context("recording the log table").map(|_| ())
}

/// [`record_table`] on the backends whose INSERT cannot carry it: on PostgreSQL the entries'
/// own INSERT records the table ([`push_record_table`]), with no round trip of its own.
pub(super) fn record_table_apart(conn: &mut DbConnection, table: &LogTable) -> Result<()> {
    if conn.backend() != crate::db::BackendKind::Postgresql {
        record_table(conn, table)
    } else {
        Ok(())
    }
}

/// Starts an INSERT into `table` with `WITH {the CTE of push_record_table} `, when it is an
/// application's own table (PostgreSQL).
#[cfg(feature = "postgres")]
pub(super) fn push_with_record_table<'b>(
    out: &mut AstPass<'_, 'b, diesel::pg::Pg>,
    table: &'b LogTable,
) -> QueryResult<()> {
    if !table.is_builtin() {
        out.push_sql("WITH ");
        push_record_table(out, table)?;
        out.push_sql(" ");
    }
    Ok(())
}

/// A data-modifying common table expression, `loggable_recorded AS (...)`, that records
/// `table` in the list of log tables, when it is an application's own (PostgreSQL); returns
/// whether it pushed one. Raw SQL because Diesel's query builder has no CTEs; the values are
/// bound.
#[cfg(feature = "postgres")]
pub(super) fn push_record_table<'b>(
    out: &mut AstPass<'_, 'b, diesel::pg::Pg>,
    table: &'b LogTable,
) -> QueryResult<bool> {
    use diesel::sql_types::{Bool, Text};
    if table.is_builtin() {
        return Ok(false);
    }
    out.push_sql(
        "loggable_recorded AS (INSERT INTO loggable_log_tables \
         (name, object_column, integer_objects, match_content_type) VALUES (",
    );
    out.push_bind_param::<Text, str>(table.name())?;
    out.push_sql(", ");
    out.push_bind_param::<Text, str>(table.object_column())?;
    out.push_sql(", ");
    out.push_bind_param::<Bool, bool>(if table.object_key() == ObjectKeyKind::Integer {
        &true
    } else {
        &false
    })?;
    out.push_sql(", ");
    out.push_bind_param::<Bool, bool>(if table.matches_content_type() {
        &true
    } else {
        &false
    })?;
    out.push_sql(") ON CONFLICT DO NOTHING)");
    Ok(true)
}

/// The application tables recorded in the database, by name.
pub(crate) fn recorded_tables(conn: &mut DbConnection) -> Result<Vec<LogTable>> {
    let rows: Vec<(String, String, bool, bool)> = log_tables::table
        .order(log_tables::name)
        .select((
            log_tables::name,
            log_tables::object_column,
            log_tables::integer_objects,
            log_tables::match_content_type,
        ))
        .load(conn)
        .context("reading the list of log tables")?;
    Ok(rows
        .into_iter()
        .map(
            |(name, object_column, integer_objects, match_content_type)| {
                let kind = if integer_objects {
                    ObjectKeyKind::Integer
                } else {
                    ObjectKeyKind::Text
                };
                let table = LogTable::new(intern(name), intern(object_column), kind);
                if match_content_type {
                    table
                } else {
                    table.any_type_per_object()
                }
            },
        )
        .collect())
}

/// A name read from the database as a `&'static str`, like the names a program declares.
/// Each distinct name is kept once for the life of the process (a handful of table names).
fn intern(name: String) -> &'static str {
    static NAMES: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Default::default);
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.insert(leaked);
    leaked
}
