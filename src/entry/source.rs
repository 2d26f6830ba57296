//! A log table as Diesel sees it when its name is known only at run time: its columns as
//! typed expressions, and the one SELECT shape every read uses.
//!
//! `diesel-dynamic-schema` does the same, but marks every statement it builds as unsafe to
//! cache, so each read would be parsed and planned again; these types write only the fixed
//! identifiers of a [`LogTable`] and bind every value, so Diesel caches their statements by
//! text, like any other boxed query.

use std::marker::PhantomData;
use std::rc::Rc;

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{
    AppearsOnTable, Expression, SelectableExpression, TypedExpressionType, ValidGrouping,
    is_aggregate,
};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

use super::LogTable;
use crate::db::MultiBackend;

/// A boolean condition on a log table's rows, ready to be written into a statement.
pub(crate) type SqlFilter = Rc<dyn QueryFragment<MultiBackend>>;

/// One column of a runtime-named table, typed `ST`: usable wherever Diesel takes an
/// expression (`.eq`, `.like`, `.le`, ...).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Col<ST> {
    table: &'static str,
    name: &'static str,
    sql_type: PhantomData<ST>,
}

impl<ST> Col<ST> {
    fn of(table: &LogTable, name: &'static str) -> Self {
        Self {
            table: table.name(),
            name,
            sql_type: PhantomData,
        }
    }
}

impl<ST: TypedExpressionType> Expression for Col<ST> {
    type SqlType = ST;
}

impl<ST, QS> AppearsOnTable<QS> for Col<ST> where Self: Expression {}

impl<ST, QS> SelectableExpression<QS> for Col<ST> where Self: Expression {}

impl<ST> ValidGrouping<()> for Col<ST> {
    type IsAggregate = is_aggregate::No;
}

impl<ST> QueryId for Col<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, DB: Backend> QueryFragment<DB> for Col<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        super::table::push_table_name(&mut out, self.table)?;
        out.push_sql(".");
        out.push_identifier(self.name)
    }
}

/// The columns of one log table.
pub(crate) struct Columns {
    pub id: Col<BigInt>,
    pub content_type: Col<Nullable<Text>>,
    pub label: Col<Text>,
    pub action: Col<Text>,
    pub timestamp: Col<Timestamp>,
    pub user_id: Col<Nullable<Text>>,
    /// The object column when it holds integers.
    pub object_integer: Col<BigInt>,
    /// The object column when it holds text.
    pub object_text: Col<Text>,
}

impl Columns {
    pub(crate) fn of(table: &LogTable) -> Self {
        Self {
            id: Col::of(table, "id"),
            content_type: Col::of(table, "content_type"),
            label: Col::of(table, "label"),
            action: Col::of(table, "action"),
            timestamp: Col::of(table, "timestamp"),
            user_id: Col::of(table, "user_id"),
            object_integer: Col::of(table, table.object_column()),
            object_text: Col::of(table, table.object_column()),
        }
    }
}

/// The SQL type of a whole entry row as [`Select`] reads it (the object id cast to text).
pub(crate) type EntryRowType = (
    BigInt,
    Nullable<Text>,
    Text,
    Text,
    Text,
    Timestamp,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<BigInt>,
    Bool,
    Bool,
    Text,
);

/// [`EntryRowType`] with the timestamp read as the text SQLite stores: what a read falls back
/// to when a stored timestamp is no date.
pub(crate) type EntryTextRowType = (
    BigInt,
    Nullable<Text>,
    Text,
    Text,
    Text,
    Text,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<BigInt>,
    Bool,
    Bool,
    Text,
);

/// What a [`Select`] reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Selection {
    /// Every entry column, the object id last (as text): [`EntryRowType`].
    Entries,
    /// `COUNT(*)`.
    Count,
    /// The distinct values of one column.
    Distinct(&'static str),
    /// `id`, `uuid` and the timestamp as stored text: [`StoredFormRowType`].
    StoredForms,
}

/// The SQL type of a [`Selection::StoredForms`] row.
pub(crate) type StoredFormRowType = (BigInt, Nullable<Text>, Text);

/// The row order of a [`Select`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Order {
    /// None asked for.
    Unordered,
    /// `timestamp DESC, id DESC`: the log's order.
    NewestFirst,
    /// `id ASC`: a walk over a whole table.
    ById,
}

/// `SELECT {selection} FROM {table} WHERE {conditions} ORDER BY ... LIMIT ... OFFSET ...`
/// on one log table, returning `ST`.
pub(crate) struct Select<ST> {
    pub table: LogTable,
    pub selection: Selection,
    pub conditions: Vec<SqlFilter>,
    pub order: Order,
    pub limit: Option<i64>,
    pub offset: i64,
    pub row_type: PhantomData<ST>,
}

impl<ST> Select<ST> {
    pub(crate) fn new(table: LogTable, selection: Selection, conditions: Vec<SqlFilter>) -> Self {
        Self {
            table,
            selection,
            conditions,
            order: Order::Unordered,
            limit: None,
            offset: 0,
            row_type: PhantomData,
        }
    }

    /// The same statement, its rows read as `T`.
    pub(crate) fn retyped<T>(&self) -> Select<T> {
        Select {
            table: self.table,
            selection: self.selection,
            conditions: self.conditions.clone(),
            order: self.order,
            limit: self.limit,
            offset: self.offset,
            row_type: PhantomData,
        }
    }

    fn column(&self, out: &mut AstPass<'_, '_, MultiBackend>, name: &str) -> QueryResult<()> {
        super::table::push_table_name(out, self.table.name())?;
        out.push_sql(".");
        out.push_identifier(name)
    }
}

impl<ST> QueryId for Select<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST: 'static> Query for Select<ST> {
    type SqlType = ST;
}

impl<ST, Conn> diesel::RunQueryDsl<Conn> for Select<ST> {}

/// The entry columns in [`EntryRowType`]'s order, before the object column.
const ENTRY_COLUMNS: [&str; 11] = [
    "id",
    "content_type",
    "label",
    "action",
    "data",
    "timestamp",
    "uuid",
    "user_id",
    "revision_id",
    "content_changed",
    "deleted",
];

impl<ST> Select<ST> {
    /// `CAST({column} AS TEXT)`, in the backend's words (MySQL casts to `CHAR`).
    fn column_as_text<'b>(
        &'b self,
        out: &mut AstPass<'_, 'b, MultiBackend>,
        name: &'b str,
    ) -> QueryResult<()> {
        out.push_sql("CAST(");
        self.column(out, name)?;
        match out.backend() {
            #[cfg(feature = "mysql")]
            MultiBackend::Mysql(_) => out.push_sql(" AS CHAR)"),
            #[allow(
                unreachable_patterns,
                reason = "no other variant in a MySQL-only build"
            )]
            _ => out.push_sql(" AS TEXT)"),
        }
        Ok(())
    }
}

impl<ST> QueryFragment<MultiBackend> for Select<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("SELECT ");
        match self.selection {
            Selection::Entries => {
                for name in ENTRY_COLUMNS {
                    self.column(&mut out, name)?;
                    out.push_sql(", ");
                }
                // One row type for integer and text object columns alike.
                self.column_as_text(&mut out, self.table.object_column())?;
            }
            Selection::Count => out.push_sql("COUNT(*)"),
            Selection::StoredForms => {
                self.column(&mut out, "id")?;
                out.push_sql(", ");
                self.column(&mut out, "uuid")?;
                out.push_sql(", ");
                self.column_as_text(&mut out, "timestamp")?;
            }
            Selection::Distinct(name) => {
                out.push_sql("DISTINCT ");
                self.column(&mut out, name)?;
            }
        }
        out.push_sql(" FROM ");
        super::table::push_table_name(&mut out, self.table.name())?;
        for (i, condition) in self.conditions.iter().enumerate() {
            out.push_sql(if i == 0 { " WHERE " } else { " AND " });
            out.push_sql("(");
            condition.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        match self.order {
            Order::Unordered => {}
            Order::NewestFirst => {
                out.push_sql(" ORDER BY ");
                self.column(&mut out, "timestamp")?;
                out.push_sql(" DESC, ");
                self.column(&mut out, "id")?;
                out.push_sql(" DESC");
            }
            Order::ById => {
                out.push_sql(" ORDER BY ");
                self.column(&mut out, "id")?;
                out.push_sql(" ASC");
            }
        }
        // SQLite takes an OFFSET only after a LIMIT.
        let limit = match self.limit {
            None if self.offset > 0 => Some(&i64::MAX),
            _ => self.limit.as_ref(),
        };
        if let Some(limit) = limit {
            // On SQLite the bound limit is cast: SQLite (3.50, the bundled one) plans with a
            // bare bound LIMIT's value and marks the statement to be planned again whenever
            // that value is bound anew, which Diesel does on every run, so a cached read was
            // parsed and planned each time. A cast value is computed when the statement runs.
            // (A literal would do too, but would cache one statement per limit, and numbered
            // pages ask for as many limits as there are pages.)
            match out.backend() {
                #[cfg(feature = "sqlite")]
                MultiBackend::Sqlite(_) => {
                    out.push_sql(" LIMIT CAST(");
                    out.push_bind_param::<BigInt, i64>(limit)?;
                    out.push_sql(" AS INTEGER)");
                }
                #[allow(unreachable_patterns, reason = "one variant in a SQLite-only build")]
                _ => {
                    out.push_sql(" LIMIT ");
                    out.push_bind_param::<BigInt, i64>(limit)?;
                }
            }
        }
        if self.offset > 0 {
            out.push_sql(" OFFSET ");
            out.push_bind_param::<BigInt, i64>(&self.offset)?;
        }
        Ok(())
    }
}
