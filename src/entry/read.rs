//! Reading one log table: entries newest first, counts, filter choices and walks in id order,
//! written once for every table over its [`LogTable`] description.

use std::rc::Rc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use uuid::Uuid;

use super::row::EntryRow;
use super::source::{
    Columns, EntryRowType, EntryTextRowType, Order, Select, Selection, SqlFilter, StoredFormRowType,
};
use super::{Condition, EntryQuery, EntryScope, LogEntry, LogTable, ObjectKeyKind};
use super::{Restriction, Visibility};
use crate::db::{BackendKind, DbConnection, ListProbe, LogConnection, SqlCondition, with_db};
use crate::error::{DatabaseContext, Error, Result};
use crate::user_id::UserId;

diesel::define_sql_function! {
    /// SQL `lower(text)` (ASCII-only on SQLite).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The longest filter list that may be looked up through its column's index; a longer one is
/// hashed once per read.
const INDEXED_FILTER_LIST_MAX: usize = 32;

/// The distinct values one log table offers as filter choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableChoices {
    /// Action codes.
    pub actions: Vec<String>,
    /// Users (`None`: the system).
    pub users: Vec<Option<UserId>>,
    /// Type names.
    pub content_types: Vec<Option<String>>,
}

/// SQL for history grouping: "the entry has no uuid, or no newer entry of the same object,
/// uuid and action exists". The uuid test comes first so entries without one never run the
/// subquery.
///
/// Raw SQL because Diesel's query builder cannot express a correlated subquery over a table
/// named at run time; it names only the table's fixed identifiers, never input, and binds
/// nothing.
fn no_newer_in_group(table: &LogTable) -> SqlCondition {
    // A group is one object's: in a table shared by several types (the generic log), an
    // object is its id and its type, so another type's object with the same id never hides
    // this one's entries.
    let same_type = if table.matches_content_type() {
        let name = table.name();
        format!(
            " AND (newer.content_type = {name}.content_type \
             OR (newer.content_type IS NULL AND {name}.content_type IS NULL))"
        )
    } else {
        String::new()
    };
    let (table, object) = (table.name(), table.object_column());
    SqlCondition::new(format!(
        "({table}.uuid IS NULL OR NOT EXISTS (SELECT 1 FROM {table} AS newer \
         WHERE newer.{object} = {table}.{object}{same_type} \
         AND newer.uuid = {table}.uuid AND newer.action = {table}.action \
         AND (newer.timestamp > {table}.timestamp \
              OR (newer.timestamp = {table}.timestamp AND newer.id > {table}.id))))"
    ))
}

/// The `LIKE` pattern for "contains `text`" (`prefix`: "starts with"), with `%`, `_` and `\`
/// escaped.
fn like_pattern(text: &str, prefix: bool) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    if !prefix {
        pattern.push('%');
    }
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl LogTable {
    /// `{column} = CAST(? AS INTEGER|TEXT)`: one object's entries on SQLite, planned once.
    /// With a bare `= ?`, an SQLite built with STAT4 (the bundled one is) looks the bound
    /// value up in `sqlite_stat4` once `ANALYZE` has filled it, and so plans the statement
    /// again each time the value is bound, which Diesel does on every run. A cast value is
    /// not looked up; the index serves it all the same.
    fn equals_on_sqlite(&self, column: &str, value: &str, kind: ObjectKeyKind) -> SqlCondition {
        let cast = match kind {
            ObjectKeyKind::Integer => " AS INTEGER)",
            ObjectKeyKind::Text => " AS TEXT)",
        };
        SqlCondition::with_text(
            format!(
                "{}.{} = CAST(",
                super::table::quoted_name(self.name()),
                super::table::quoted_name(column)
            ),
            value.to_owned(),
            cast,
        )
    }

    /// The conditions of `query` (and of the viewer's `restriction`) on this table, or `None`
    /// when no row can match.
    fn conditions(
        &self,
        query: &EntryQuery,
        restriction: &Restriction,
        backend: BackendKind,
    ) -> Option<Vec<SqlFilter>> {
        let columns = Columns::of(self);
        let mut all: Vec<SqlFilter> = Vec::new();
        match restriction {
            Restriction::Nothing => return None,
            Restriction::Everything => {}
            Restriction::Only(filter) => all.push(filter.0.clone()),
        }
        match &query.scope {
            EntryScope::All => {}
            EntryScope::Object {
                content_type,
                object_id,
            } => {
                // No row can hold an id the column cannot store.
                let integer_id = match self.object_key() {
                    ObjectKeyKind::Integer => Some(object_id.parse::<i64>().ok()?),
                    ObjectKeyKind::Text => None,
                };
                all.push(match (backend, integer_id) {
                    // One object's entries on SQLite: see `equals_on_sqlite`.
                    (BackendKind::Sqlite, _) => Rc::new(self.equals_on_sqlite(
                        self.object_column(),
                        object_id,
                        self.object_key(),
                    )),
                    (_, Some(id)) => Rc::new(columns.object_integer.eq(id)),
                    (_, None) => Rc::new(columns.object_text.eq(object_id.clone())),
                });
                if let (true, Some(content_type)) = (self.matches_content_type(), content_type) {
                    all.push(match backend {
                        BackendKind::Sqlite => Rc::new(self.equals_on_sqlite(
                            "content_type",
                            content_type,
                            ObjectKeyKind::Text,
                        )),
                        _ => Rc::new(columns.content_type.eq(content_type.clone())),
                    });
                }
            }
            EntryScope::ContentType(content_type) => {
                all.push(Rc::new(columns.content_type.eq(content_type.clone())));
            }
            EntryScope::User(Some(user)) => {
                all.push(Rc::new(columns.user_id.eq(user.as_str().to_owned())));
            }
            EntryScope::User(None) => all.push(Rc::new(columns.user_id.is_null())),
        }
        if query.grouped {
            all.push(Rc::new(no_newer_in_group(self)));
        }
        for condition in &query.conditions {
            all.push(self.condition(&columns, condition, backend));
        }
        if let Some(cursor) = &query.after {
            let at = cursor.timestamp.naive_utc();
            // `timestamp <= at` first, so the timestamp index bounds the scan.
            all.push(Rc::new(columns.timestamp.le(at)));
            // Ties on (timestamp, id) across tables are ordered by table name, so a cursor
            // from another table still splits this one exactly.
            if self.name() > cursor.table.as_str() {
                all.push(Rc::new(diesel::dsl::not(
                    columns.timestamp.eq(at).and(columns.id.gt(cursor.id)),
                )));
            } else {
                all.push(Rc::new(diesel::dsl::not(
                    columns.timestamp.eq(at).and(columns.id.ge(cursor.id)),
                )));
            }
        }
        Some(all)
    }

    /// One plain condition as SQL. Each list is one bound value, so the statement stays
    /// cached; a short list (what a person picks) may be served by its column's index, a long
    /// one is hashed once rather than risk being read again for every row.
    fn condition(
        &self,
        columns: &Columns,
        condition: &Condition,
        backend: BackendKind,
    ) -> SqlFilter {
        let list = |column: &str, texts: &[String]| -> SqlFilter {
            let probe = if texts.len() <= INDEXED_FILTER_LIST_MAX {
                ListProbe::Index
            } else {
                ListProbe::Filter
            };
            let column = format!("{}.{column}", self.name());
            Rc::new(SqlCondition::texts_in(&column, texts, probe, backend))
        };
        match condition {
            Condition::LabelContains(text) => Rc::new(
                lower(columns.label)
                    .like(like_pattern(&text.to_lowercase(), false))
                    .escape('\\'),
            ),
            Condition::ContentTypeIn(types) => list("content_type", types),
            Condition::ActionIn(actions) => list("action", actions),
            Condition::UserIn(users) => {
                let users: Vec<String> = users.iter().map(ToString::to_string).collect();
                list("user_id", &users)
            }
            Condition::Since(at) => Rc::new(columns.timestamp.ge(at.naive_utc())),
            Condition::Before(at) => Rc::new(columns.timestamp.lt(at.naive_utc())),
            Condition::ActionPrefix(prefix, true) => {
                Rc::new(columns.action.like(like_pattern(prefix, true)).escape('\\'))
            }
            Condition::ActionPrefix(prefix, false) => Rc::new(
                columns
                    .action
                    .not_like(like_pattern(prefix, true))
                    .escape('\\'),
            ),
        }
    }

    /// What `viewer` may see of this table (everything without one), for reads that stop after
    /// a number of rows (`limited`) or not. Resolved once, it serves any number of reads of the
    /// table in one report.
    pub(crate) fn restriction(
        &self,
        conn: &mut DbConnection,
        viewer: Option<&dyn Visibility>,
        limited: bool,
    ) -> Result<Restriction> {
        match viewer {
            None => Ok(Restriction::Everything),
            Some(viewer) => viewer.restriction(conn, self, limited),
        }
    }

    /// Reads the entries `query` selects, newest first.
    ///
    /// ```
    /// use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG};
    /// use loggable::{ObjectRef, log};
    ///
    /// let mut conn = loggable::db::connect(":memory:")?;
    /// loggable::db::run_migrations(&mut conn)?;
    /// log(&ObjectRef::new("shop.sprocket", 1).title("S"), "wagtail.create").write(&mut conn)?;
    /// let entries = MODEL_LOG.query(&mut conn, &EntryQuery::new(EntryScope::All))?;
    /// assert_eq!(entries[0].action, "wagtail.create");
    /// # Ok::<(), loggable::Error>(())
    /// ```
    pub fn query(
        &self,
        conn: &mut impl LogConnection,
        query: &EntryQuery,
    ) -> Result<Vec<LogEntry>> {
        with_db(conn, |conn| self.read(conn, query, None))
    }

    /// Counts the entries `query` selects (its limit and offset aside).
    pub fn count(&self, conn: &mut impl LogConnection, query: &EntryQuery) -> Result<i64> {
        with_db(conn, |conn| self.count_visible(conn, query, None))
    }

    /// The entries of `query` that `viewer` may see (all of them for `None`), newest first.
    pub(crate) fn read(
        &self,
        conn: &mut DbConnection,
        query: &EntryQuery,
        viewer: Option<&dyn Visibility>,
    ) -> Result<Vec<LogEntry>> {
        let restriction = self.restriction(conn, viewer, query.limit.is_some())?;
        self.read_restricted(conn, query, &restriction)
    }

    /// The entries of `query` within `restriction`, newest first.
    pub(crate) fn read_restricted(
        &self,
        conn: &mut DbConnection,
        query: &EntryQuery,
        restriction: &Restriction,
    ) -> Result<Vec<LogEntry>> {
        let Some(conditions) = self.conditions(query, restriction, conn.backend()) else {
            return Ok(Vec::new());
        };
        let mut select = Select::<EntryRowType>::new(*self, Selection::Entries, conditions);
        select.order = Order::NewestFirst;
        select.limit = query.limit;
        select.offset = query.offset;
        self.load_entries(conn, select, "reading log entries")
    }

    /// How many entries of `query` `viewer` may see (its limit and offset aside).
    pub(crate) fn count_visible(
        &self,
        conn: &mut DbConnection,
        query: &EntryQuery,
        viewer: Option<&dyn Visibility>,
    ) -> Result<i64> {
        let restriction = self.restriction(conn, viewer, false)?;
        self.count_restricted(conn, query, &restriction)
    }

    /// How many entries of `query` lie within `restriction` (its limit and offset aside).
    pub(crate) fn count_restricted(
        &self,
        conn: &mut DbConnection,
        query: &EntryQuery,
        restriction: &Restriction,
    ) -> Result<i64> {
        let Some(conditions) = self.conditions(query, restriction, conn.backend()) else {
            return Ok(0);
        };
        Select::<BigInt>::new(*self, Selection::Count, conditions)
            .get_result(conn)
            .context("counting log entries")
    }

    /// The distinct actions, users and types among the entries of `query`'s scope that
    /// `viewer` may see, whatever its conditions, grouping, cursor and window: what a report
    /// offers as filter choices.
    pub(crate) fn choices(
        &self,
        conn: &mut DbConnection,
        query: &EntryQuery,
        viewer: Option<&dyn Visibility>,
    ) -> Result<TableChoices> {
        let restriction = self.restriction(conn, viewer, false)?;
        self.choices_restricted(conn, query, &restriction)
    }

    /// [`choices`](Self::choices) within `restriction`.
    pub(crate) fn choices_restricted(
        &self,
        conn: &mut DbConnection,
        query: &EntryQuery,
        restriction: &Restriction,
    ) -> Result<TableChoices> {
        let scope = EntryQuery::new(query.scope.clone());
        let Some(conditions) = self.conditions(&scope, restriction, conn.backend()) else {
            return Ok(TableChoices::default());
        };
        let distinct = |column| Selection::Distinct(column);
        let actions = Select::<Text>::new(*self, distinct("action"), conditions.clone())
            .load::<String>(conn)
            .context("reading filter choices")?;
        let users = Select::<Nullable<Text>>::new(*self, distinct("user_id"), conditions.clone())
            .load::<Option<String>>(conn)
            .context("reading filter choices")?;
        let content_types =
            Select::<Nullable<Text>>::new(*self, distinct("content_type"), conditions)
                .load::<Option<String>>(conn)
                .context("reading filter choices")?;
        Ok(TableChoices {
            actions,
            users: users
                .into_iter()
                .map(|user| user.map(UserId::stored))
                .collect(),
            content_types,
        })
    }

    /// Entries with ids above `after` (and, given `before`, stamped earlier than it), in id
    /// order, at most `limit`: for walks over a whole table (hash-chain verification,
    /// retention).
    pub(crate) fn scan(
        &self,
        conn: &mut DbConnection,
        after: Option<i64>,
        before: Option<chrono::DateTime<chrono::Utc>>,
        limit: i64,
    ) -> Result<Vec<LogEntry>> {
        let columns = Columns::of(self);
        let mut conditions: Vec<SqlFilter> = Vec::new();
        if let Some(after) = after {
            conditions.push(Rc::new(columns.id.gt(after)));
        }
        if let Some(before) = before {
            conditions.push(Rc::new(columns.timestamp.lt(before.naive_utc())));
        }
        let mut select = Select::<EntryRowType>::new(*self, Selection::Entries, conditions);
        select.order = Order::ById;
        select.limit = Some(limit);
        let entries = self.load_entries(conn, select, "reading log entries in id order")?;
        // What walks the table whole (chaining, archiving) must have every row as written.
        if let Some(entry) = entries.iter().find(|entry| entry.unreadable.is_some()) {
            return Err(Error::CorruptEntry {
                table: self.name(),
                id: entry.id,
                reason: entry.unreadable.clone().unwrap_or_default(),
            });
        }
        Ok(entries)
    }

    /// The first entry with an id above `after` (at most `limit` looked at, in id order) whose
    /// stored text is not the one loggable writes: a uuid not in lower-case hyphenated form, or
    /// (SQLite, which keeps timestamps as text) a timestamp not in `YYYY-MM-DD HH:MM:SS[.f]`.
    /// Such a row reads back as the same value, so only its text gives it away; it could sort
    /// or group differently from what was written and chained.
    pub(crate) fn first_non_canonical(
        &self,
        conn: &mut DbConnection,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Option<i64>> {
        let columns = Columns::of(self);
        let mut conditions: Vec<SqlFilter> = Vec::new();
        if let Some(after) = after {
            conditions.push(Rc::new(columns.id.gt(after)));
        }
        let mut select =
            Select::<StoredFormRowType>::new(*self, Selection::StoredForms, conditions);
        select.order = Order::ById;
        select.limit = Some(limit);
        let rows: Vec<(i64, Option<String>, String)> =
            select.load(conn).context("reading entries as stored")?;
        let text_timestamps = conn.backend() == BackendKind::Sqlite;
        Ok(rows.into_iter().find_map(|(id, uuid, timestamp)| {
            let uuid_ok = uuid.as_deref().is_none_or(|text| {
                Uuid::parse_str(text).is_ok_and(|u| u.hyphenated().to_string() == text)
            });
            let timestamp_ok = !text_timestamps
                || NaiveDateTime::parse_from_str(&timestamp, "%Y-%m-%d %H:%M:%S%.f")
                    .is_ok_and(|at| at.format("%Y-%m-%d %H:%M:%S%.f").to_string() == timestamp);
            (!(uuid_ok && timestamp_ok)).then_some(id)
        }))
    }

    fn load_entries(
        &self,
        conn: &mut DbConnection,
        select: Select<EntryRowType>,
        context: &'static str,
    ) -> Result<Vec<LogEntry>> {
        // SQLite keeps timestamps as text: one that is no date fails the typed read, which is
        // then read again with the text, each row placed where its text sorts.
        let as_text =
            (conn.backend() == BackendKind::Sqlite).then(|| select.retyped::<EntryTextRowType>());
        let rows: Vec<EntryRow> = match (select.load(conn), as_text) {
            (Ok(rows), _) => rows,
            (Err(diesel::result::Error::DeserializationError(_)), Some(as_text)) => {
                let rows: Vec<EntryRow<String>> = as_text.load(conn).context(context)?;
                return Ok(rows
                    .into_iter()
                    .map(|row| {
                        let (row, problem) = row.with_timestamp();
                        row.into_entry_noting(self.name(), problem)
                    })
                    .collect());
            }
            (Err(other), _) => return Err(other).context(context),
        };
        Ok(rows
            .into_iter()
            .map(|row| row.into_entry(self.name()))
            .collect())
    }
}

/// `query` run on each of `tables` (for what `viewer` may see), the results merged in the
/// log's order. Each table contributes at most `query.limit` rows, so only that much is ever
/// sorted.
pub(crate) fn merge_tables(
    conn: &mut DbConnection,
    tables: &[LogTable],
    query: &EntryQuery,
    viewer: Option<&dyn Visibility>,
) -> Result<Vec<LogEntry>> {
    let mut merged: Vec<LogEntry> = Vec::new();
    for table in tables {
        merged.extend(table.read(conn, query, viewer)?);
    }
    merged.sort_by(|a, b| super::merge_key(a).cmp(&super::merge_key(b)));
    Ok(merged)
}
