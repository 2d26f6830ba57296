//! SQL conditions that Diesel's query builder cannot express, written so that the statements
//! holding them stay cached.

use diesel::QueryResult;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{Bool, Text};

use super::{BackendKind, MultiBackend};

/// Lets a type whose `QueryFragment` writes SQL of fixed table and column names stand as an
/// expression of `$sql_type` in any query. Its statements are cached by their text
/// (`HAS_STATIC_QUERY_ID` is false), which holds everything the fragment writes.
macro_rules! fixed_sql_expression {
    ($type:ty, $sql_type:ty) => {
        impl diesel::expression::Expression for $type {
            type SqlType = $sql_type;
        }

        impl<QS> diesel::expression::AppearsOnTable<QS> for $type {}

        impl<QS> diesel::expression::SelectableExpression<QS> for $type {}

        impl<GroupBy> diesel::expression::ValidGrouping<GroupBy> for $type {
            type IsAggregate = diesel::expression::is_aggregate::Never;
        }

        impl diesel::query_builder::QueryId for $type {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }
    };
}
pub(crate) use fixed_sql_expression;

/// A boolean condition as SQL text built only from fixed table and column names, with bound
/// text values (each followed by its own tail of SQL text).
///
/// `diesel::dsl::sql` would do, but Diesel never caches a statement holding one (its text
/// could carry anything), so every read would be parsed and planned again. The text here is
/// the same on every call for a given table and shape; only the bound value differs, so the
/// statement is prepared once per connection.
#[derive(Debug, Clone)]
pub struct SqlCondition {
    sql: String,
    bound: Vec<(String, String)>,
}

impl SqlCondition {
    /// `sql` must name only fixed tables and columns: never put input in it.
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            bound: Vec::new(),
        }
    }

    /// `sql`, then `value` bound as text, then `tail`.
    pub fn with_text(sql: impl Into<String>, value: String, tail: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            bound: vec![(value, tail.into())],
        }
    }

    /// `column` is one of `ids`, the whole list bound as one parameter (see [`Self::texts_in`]).
    pub fn ids_in(column: &str, ids: &[i64], probe: ListProbe, backend: BackendKind) -> Self {
        let list = match backend {
            BackendKind::Postgresql => {
                let elements: Vec<String> = ids.iter().map(i64::to_string).collect();
                format!("{{{}}}", elements.join(","))
            }
            BackendKind::Sqlite | BackendKind::Mysql => serde_json::Value::from(ids).to_string(),
        };
        Self::list_condition(column, list, ListType::Ids, probe, backend)
    }

    /// `column` is one of `texts`, the whole list bound as one parameter (the statement's text does not
    /// depend on the list's length, so it stays cached: Diesel's `eq_any` binds each value on its
    /// own and never caches; and SQLite's limit on parameters never applies).
    pub fn texts_in(
        column: &str,
        texts: &[String],
        probe: ListProbe,
        backend: BackendKind,
    ) -> Self {
        let list = match backend {
            // An array literal with every element quoted, so no text reads as NULL or splits.
            BackendKind::Postgresql => {
                let mut literal = String::from("{");
                for (i, text) in texts.iter().enumerate() {
                    if i > 0 {
                        literal.push(',');
                    }
                    literal.push('"');
                    for c in text.chars() {
                        if matches!(c, '"' | '\\') {
                            literal.push('\\');
                        }
                        literal.push(c);
                    }
                    literal.push('"');
                }
                literal.push('}');
                literal
            }
            BackendKind::Sqlite => serde_json::Value::from(texts).to_string(),
            // MySQL's list column is VARCHAR(255), as are the columns it is compared with: a
            // longer value matches nothing, and would be cut to 255 characters (MariaDB only
            // warns), so it is left out.
            BackendKind::Mysql => serde_json::Value::from(
                texts
                    .iter()
                    .filter(|text| text.chars().count() <= MYSQL_LIST_TEXT_CHARS)
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
            .to_string(),
        };
        Self::list_condition(column, list, ListType::Texts, probe, backend)
    }

    /// `column` (text, indexed) is one of `texts`, a short list of at most
    /// [`MYSQL_LISTED_VALUES`] (a page's ancestors, whose number is at most the tree's depth).
    /// As [`Self::texts_in`] with [`ListProbe::Index`], but on MySQL each value is bound on
    /// its own, `column IN (?, ?, ...)`: MySQL looks each up in the index (a range per value),
    /// where it plans an `IN` over `JSON_TABLE` inside an `OR` as a subquery run again for every
    /// row. The statement's text depends on the list's length, which the limit bounds.
    pub fn short_texts_in(column: &str, texts: &[String], backend: BackendKind) -> Self {
        if backend == BackendKind::Mysql && (1..=MYSQL_LISTED_VALUES).contains(&texts.len()) {
            let last = texts.len() - 1;
            return Self {
                sql: format!("({column} IN ("),
                bound: texts
                    .iter()
                    .enumerate()
                    .map(|(i, text)| (text.clone(), if i == last { "))" } else { ", " }.to_owned()))
                    .collect(),
            };
        }
        Self::texts_in(column, texts, ListProbe::Index, backend)
    }

    /// SQLite unpacks a JSON array with `json_each` (and builds a lookup table of it once per
    /// statement), MySQL with `JSON_TABLE`. PostgreSQL reads an array literal; how depends on
    /// `probe`, because a cast from text is not folded into a constant and would parse the
    /// whole list again for every row it is compared with.
    fn list_condition(
        column: &str,
        list: String,
        list_type: ListType,
        probe: ListProbe,
        backend: BackendKind,
    ) -> Self {
        let pg_array_type = match list_type {
            ListType::Ids => "bigint[]",
            ListType::Texts => "text[]",
        };
        match (backend, probe) {
            // The element column takes the binary collation of loggable's text columns, so
            // the comparison neither fails on mixed collations nor folds case.
            (BackendKind::Mysql, _) => Self::with_text(
                format!("({column} IN (SELECT list.element FROM JSON_TABLE("),
                list,
                format!(
                    ", '$[*]' COLUMNS (element {} PATH '$')) AS list))",
                    match list_type {
                        ListType::Ids => "BIGINT".to_owned(),
                        ListType::Texts => format!(
                            "VARCHAR({MYSQL_LIST_TEXT_CHARS}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                        ),
                    }
                ),
            ),
            (BackendKind::Sqlite, _) => Self::with_text(
                format!("({column} IN (SELECT value FROM json_each("),
                list,
                ")))",
            ),
            // An index condition computes the array once per scan.
            (BackendKind::Postgresql, ListProbe::Index) => Self::with_text(
                format!("({column} = ANY(CAST("),
                list,
                format!(" AS {pg_array_type})))"),
            ),
            // `IS TRUE` keeps the subquery out of a semi-join (PostgreSQL pulls up only bare
            // `IN`s), so it becomes a hashed subplan: the list is hashed once, each row probes.
            (BackendKind::Postgresql, ListProbe::Filter) => Self::with_text(
                format!("(({column} IN (SELECT unnest(CAST("),
                list,
                format!(" AS {pg_array_type})))) IS TRUE)"),
            ),
        }
    }
}

/// `column IN (subquery)`, the column given as SQL text of fixed table and column names, the
/// subquery built by Diesel (and cached with the statement when it is cacheable).
pub(crate) struct InSubquery {
    column: String,
    subquery: Box<dyn QueryFragment<MultiBackend> + Send>,
    hashed: bool,
}

impl InSubquery {
    /// `column` must name only fixed tables and columns: never put input in it.
    pub(crate) fn new(
        column: impl Into<String>,
        subquery: impl QueryFragment<MultiBackend> + Send + 'static,
        probe: ListProbe,
        backend: BackendKind,
    ) -> Self {
        Self {
            column: column.into(),
            subquery: Box::new(subquery),
            // See `SqlCondition::list_condition`: SQLite builds a lookup table of a
            // subquery's rows on its own.
            hashed: backend == BackendKind::Postgresql && probe == ListProbe::Filter,
        }
    }
}

impl std::fmt::Debug for InSubquery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InSubquery")
            .field("column", &self.column)
            .field("hashed", &self.hashed)
            .finish_non_exhaustive()
    }
}

fixed_sql_expression!(InSubquery, Bool);

impl QueryFragment<MultiBackend> for InSubquery {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql(if self.hashed { "((" } else { "(" });
        out.push_sql(&self.column);
        out.push_sql(" IN (");
        self.subquery.walk_ast(out.reborrow())?;
        out.push_sql(if self.hashed { ")) IS TRUE)" } else { "))" });
        Ok(())
    }
}

/// The longest list MySQL is given value by value (see [`SqlCondition::short_texts_in`]).
const MYSQL_LISTED_VALUES: usize = 64;

/// The longest text of a list MySQL unpacks: loggable's indexed text columns are this long.
const MYSQL_LIST_TEXT_CHARS: usize = 255;

/// What a bound list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListType {
    Ids,
    Texts,
}

/// How the rows a list condition tests are found, which decides how PostgreSQL is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListProbe {
    /// The column's index is looked up for each value of the list.
    Index,
    /// Rows arrive by another path (an index in another order, a scan) and each is tested.
    Filter,
}

fixed_sql_expression!(SqlCondition, Bool);

impl QueryFragment<MultiBackend> for SqlCondition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql(&self.sql);
        for (value, tail) in &self.bound {
            out.push_bind_param::<Text, String>(value)?;
            out.push_sql(tail);
        }
        Ok(())
    }
}
