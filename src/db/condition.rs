//! SQL conditions that Diesel's query builder cannot express, written so that the statements
//! holding them stay cached.

use diesel::QueryResult;
use diesel::expression::is_aggregate::Never;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Bool, Text};

use super::MultiBackend;

/// A boolean condition as SQL text built only from fixed table and column names, with at most
/// one bound text value (followed by `tail`).
///
/// `diesel::dsl::sql` would do, but Diesel never caches a statement holding one (its text
/// could carry anything), so every read would be parsed and planned again. The text here is
/// the same on every call for a given table and shape; only the bound value differs, so the
/// statement is prepared once per connection.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SqlCondition {
    sql: String,
    bound: Option<(String, &'static str)>,
}

impl SqlCondition {
    /// `sql` must name only fixed tables and columns: never put input in it.
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            bound: None,
        }
    }

    /// `sql`, then `value` bound as text, then `tail`.
    pub fn with_text(sql: impl Into<String>, value: String, tail: &'static str) -> Self {
        Self {
            sql: sql.into(),
            bound: Some((value, tail)),
        }
    }
}

impl Expression for SqlCondition {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for SqlCondition {}

impl<QS> SelectableExpression<QS> for SqlCondition {}

impl<GroupBy> ValidGrouping<GroupBy> for SqlCondition {
    type IsAggregate = Never;
}

impl QueryId for SqlCondition {
    type QueryId = ();
    // The statement is cached by its text, which this condition's text is part of.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for SqlCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql(&self.sql);
        if let Some((value, tail)) = &self.bound {
            out.push_bind_param::<Text, String>(value)?;
            out.push_sql(tail);
        }
        Ok(())
    }
}
