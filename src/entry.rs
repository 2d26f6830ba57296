//! Log entries: writing one with [`log`], the log tables they live in, and reading them back.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::context::LogContext;
use crate::db::{DbConnection, LogConnection};
use crate::error::{Error, JsonKind, Result};
use crate::model::{Loggable, default_label};
use crate::registry::{self, Registry};
use crate::user_id::UserId;

/// Name of the page log table.
pub const PAGE_LOG_TABLE: &str = "loggable_page_log_entries";
/// Name of the generic log table.
pub const MODEL_LOG_TABLE: &str = "loggable_model_log_entries";

/// One row of a log table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    /// Primary key within its table.
    pub id: i64,
    /// The log table the entry lives in.
    pub log_table: &'static str,
    /// The object's primary key as text (`page_id` for page entries).
    pub object_id: String,
    /// The object's specific type name at the time of logging.
    pub content_type: Option<String>,
    /// The object's title at the time of logging.
    pub label: String,
    /// The action code.
    pub action: String,
    /// Action-specific data; `{}` when none was given.
    pub data: Map<String, Value>,
    /// When the action happened (UTC, microsecond precision).
    pub timestamp: DateTime<Utc>,
    /// Groups the entries of one user action.
    pub uuid: Option<Uuid>,
    /// Who acted (the application's user key); `None` is the system.
    pub user_id: Option<UserId>,
    /// The revision the action was about.
    pub revision_id: Option<i64>,
    /// Whether the action changed content.
    pub content_changed: bool,
    /// Whether this entry records a deletion.
    pub deleted: bool,
}

impl LogEntry {
    /// Whether the entry is in the page log table.
    pub fn is_page_entry(&self) -> bool {
        self.log_table == PAGE_LOG_TABLE
    }
}

/// A validated entry, ready for one INSERT into its table.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLogEntry {
    /// The object's primary key as text.
    pub object_id: String,
    /// The object's type name.
    pub content_type: Option<String>,
    /// The label (never empty).
    pub label: String,
    /// A registered action code.
    pub action: String,
    /// A JSON object.
    pub data: Map<String, Value>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The user action it belongs to.
    pub uuid: Option<Uuid>,
    /// Who acted.
    pub user_id: Option<UserId>,
    /// The revision it is about.
    pub revision_id: Option<i64>,
    /// Whether content changed.
    pub content_changed: bool,
    /// Whether it records a deletion.
    pub deleted: bool,
}

impl NewLogEntry {
    /// The entry as stored, once its table gave it `id`.
    pub fn into_entry(self, id: i64, log_table: &'static str) -> LogEntry {
        LogEntry {
            id,
            log_table,
            object_id: self.object_id,
            content_type: self.content_type,
            label: self.label,
            action: self.action,
            data: self.data,
            timestamp: self.timestamp,
            uuid: self.uuid,
            user_id: self.user_id,
            revision_id: self.revision_id,
            content_changed: self.content_changed,
            deleted: self.deleted,
        }
    }

    /// The columns as stored: data as JSON text, the timestamp as naive UTC, the UUID as text.
    #[doc(hidden)]
    pub fn stored_columns(&self) -> StoredColumns {
        StoredColumns {
            // A map of JSON values always serializes; `{}` stands in should that ever change.
            data: serde_json::to_string(&self.data).unwrap_or_else(|_| "{}".to_owned()),
            timestamp: truncate_to_micros(self.timestamp).naive_utc(),
            uuid: self.uuid.map(|uuid| uuid.hyphenated().to_string()),
        }
    }
}

/// Column values that differ between the Rust and the stored form (used by [`log_table!`]).
#[doc(hidden)]
pub struct StoredColumns {
    pub data: String,
    pub timestamp: NaiveDateTime,
    pub uuid: Option<String>,
}

/// Which entries of one log table to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryScope {
    /// Every entry.
    All,
    /// The entries of one object; `content_type` narrows tables that hold several types.
    Object {
        /// Type name of the object, if known.
        content_type: Option<String>,
        /// Primary key as text.
        object_id: String,
    },
    /// The entries of objects of one type.
    ContentType(String),
    /// The entries written by one user (`None`: by the system).
    User(Option<UserId>),
}

/// A query on one log table: scope, grouping and window. Results are newest first
/// (`timestamp DESC, id DESC`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryQuery {
    /// Which entries.
    pub scope: EntryScope,
    /// Keep only the newest entry of each (object, uuid, action); entries without a uuid are
    /// always kept.
    pub grouped: bool,
    /// At most this many rows.
    pub limit: Option<i64>,
    /// Rows to skip first.
    pub offset: i64,
    /// Keep only what this user may see (docs/visibility.md); `None` reads everything.
    pub viewer: Option<crate::permission::Viewer>,
    /// Report filters (name, type, actions, users, dates, comment actions).
    pub filters: crate::report::Filters,
    /// Keyset pagination: only entries after this position in newest-first order.
    pub after: Option<crate::report::Cursor>,
}

impl EntryQuery {
    /// All entries in `scope`, ungrouped, unpaginated.
    pub fn new(scope: EntryScope) -> Self {
        Self {
            scope,
            grouped: false,
            limit: None,
            offset: 0,
            viewer: None,
            filters: crate::report::Filters::default(),
            after: None,
        }
    }

    /// Only the entries `viewer` may see.
    pub fn visible_to(mut self, viewer: crate::permission::Viewer) -> Self {
        self.viewer = Some(viewer);
        self
    }

    /// Groups by object, uuid and action (history grouping).
    pub fn grouped(mut self) -> Self {
        self.grouped = true;
        self
    }

    /// Page `number` (from 1) of `size` rows.
    pub fn page(mut self, number: i64, size: i64) -> Self {
        self.limit = Some(size.max(0));
        self.offset = (number.max(1) - 1).saturating_mul(size.max(0));
        self
    }

    /// At most `limit` rows.
    pub fn limit(mut self, limit: i64) -> Self {
        self.limit = Some(limit.max(0));
        self
    }
}

/// A log table: the columns of docs/entries.md plus an object reference column.
///
/// Implement it for an application's own table with [`log_table!`](crate::log_table) and
/// register it for a model with [`ModelType::log_table`](crate::registry::ModelType::log_table).
pub trait LogTable: Send + Sync + std::fmt::Debug + 'static {
    /// The SQL table name.
    fn name(&self) -> &'static str;

    /// Checks that `object_id` fits the object column (e.g. is an integer for `page_id`) and
    /// returns it as the column stores it (`"007"` becomes `"7"`), so an entry's id reads
    /// back, hashes and groups the same however it was written.
    fn check_object_id(&self, object_id: &str) -> Result<String>;

    /// Writes one entry with one INSERT and returns its id (SQLite reads the new rowid back
    /// with `last_insert_rowid()` instead of a RETURNING clause).
    fn insert(&self, conn: &mut DbConnection, entry: &NewLogEntry) -> Result<i64>;

    /// Writes many entries with multi-row INSERTs (chunked to stay within every backend's
    /// bind-parameter limit); returns how many were written.
    fn insert_many(&self, conn: &mut DbConnection, entries: &[NewLogEntry]) -> Result<usize>;

    /// Reads entries, newest first.
    fn query(&self, conn: &mut DbConnection, query: &EntryQuery) -> Result<Vec<LogEntry>>;

    /// Counts the entries `query` selects (its limit and offset aside).
    fn count(&self, conn: &mut DbConnection, query: &EntryQuery) -> Result<i64>;

    /// Entries with ids above `after` (and, given `before`, stamped earlier than it), in id
    /// order, at most `limit`: for walks over a whole table (hash-chain verification,
    /// retention).
    fn scan(
        &self,
        conn: &mut DbConnection,
        after: Option<i64>,
        before: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<LogEntry>>;

    /// Deletes the entries with these ids (retention); returns how many went.
    fn delete_ids(&self, conn: &mut DbConnection, ids: &[i64]) -> Result<usize>;

    /// The distinct actions, users and types among the entries of `query`'s scope that its
    /// viewer may see, whatever its filters, grouping, cursor and window: what a report offers
    /// as filter choices.
    fn choices(&self, conn: &mut DbConnection, query: &EntryQuery) -> Result<TableChoices>;
}

/// The distinct values one log table offers as filter choices (see [`LogTable::choices`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableChoices {
    /// Action codes.
    pub actions: Vec<String>,
    /// Users (`None`: the system).
    pub users: Vec<Option<UserId>>,
    /// Type names.
    pub content_types: Vec<Option<String>>,
}

impl EntryQuery {
    /// The query whose rows [`LogTable::choices`] draws from: scope and viewer only.
    #[doc(hidden)]
    pub fn choice_scope(&self) -> Self {
        let mut scope = Self::new(self.scope.clone());
        scope.viewer = self.viewer;
        scope
    }
}

/// The longest report filter list that may be looked up through its column's index; a longer
/// one is hashed once per read.
#[doc(hidden)]
pub const INDEXED_FILTER_LIST_MAX: usize = 32;

/// The conditions of `filters`' lists (types, actions, users) on the log table `table`. Each
/// list is one bound value, so the statement stays cached. A short list (what a person picks)
/// may be served by its column's index; a long one is hashed once rather than risk being read
/// again for every row (see [`ListProbe`](crate::db::ListProbe)).
#[doc(hidden)]
pub fn list_filters(
    table: &str,
    filters: &crate::report::Filters,
    backend: crate::db::BackendKind,
) -> Vec<crate::db::SqlCondition> {
    use crate::db::{ListProbe, SqlCondition};
    let probe = |len: usize| {
        if len <= INDEXED_FILTER_LIST_MAX {
            ListProbe::Index
        } else {
            ListProbe::Filter
        }
    };
    let column = |name: &str| format!("{table}.{name}");
    let mut conditions = Vec::new();
    for (name, texts) in [
        ("content_type", &filters.content_types),
        ("action", &filters.actions),
    ] {
        if !texts.is_empty() {
            conditions.push(SqlCondition::texts_in(
                &column(name),
                texts,
                probe(texts.len()),
                backend,
            ));
        }
    }
    if !filters.users.is_empty() {
        let users: Vec<String> = filters.users.iter().map(ToString::to_string).collect();
        conditions.push(SqlCondition::texts_in(
            &column("user_id"),
            &users,
            probe(users.len()),
            backend,
        ));
    }
    conditions
}

/// Rows per multi-row INSERT: 11 bound columns each stays under SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters per statement.
#[doc(hidden)]
pub const INSERT_CHUNK_ROWS: usize = 2_000;

/// A log row as loaded, before its text columns are parsed.
#[doc(hidden)]
#[derive(diesel::Queryable)]
pub struct LogRow {
    pub id: i64,
    pub content_type: Option<String>,
    pub label: String,
    pub action: String,
    pub data: String,
    pub timestamp: NaiveDateTime,
    pub uuid: Option<String>,
    pub user_id: Option<String>,
    pub revision_id: Option<i64>,
    pub content_changed: bool,
    pub deleted: bool,
}

impl LogRow {
    #[doc(hidden)]
    pub fn into_entry(self, log_table: &'static str, object_id: String) -> Result<LogEntry> {
        let corrupt = |reason: String| Error::CorruptEntry {
            table: log_table,
            id: self.id,
            reason,
        };
        let data = match serde_json::from_str::<Value>(&self.data) {
            Ok(Value::Object(map)) => map,
            Ok(other) => return Err(corrupt(format!("data is not a JSON object: {other}"))),
            Err(e) => return Err(corrupt(format!("data is not JSON: {e}"))),
        };
        let uuid = match &self.uuid {
            Some(text) => {
                Some(Uuid::parse_str(text).map_err(|e| corrupt(format!("uuid '{text}': {e}")))?)
            }
            None => None,
        };
        Ok(LogEntry {
            id: self.id,
            log_table,
            object_id,
            content_type: self.content_type,
            label: self.label,
            action: self.action,
            data,
            timestamp: self.timestamp.and_utc(),
            uuid,
            user_id: self.user_id.map(UserId::stored),
            revision_id: self.revision_id,
            content_changed: self.content_changed,
            deleted: self.deleted,
        })
    }
}

/// SQL for history grouping: "the entry has no uuid, or no newer entry of the same object,
/// uuid and action exists". The uuid test comes first so entries without one never run the
/// subquery.
///
/// Raw SQL because Diesel's query builder cannot express a correlated subquery; it names only
/// static table and column names, never input, and binds nothing.
#[doc(hidden)]
pub fn no_newer_in_group_sql(table: &str, object_column: &str) -> String {
    format!(
        "({table}.uuid IS NULL OR NOT EXISTS (SELECT 1 FROM {table} AS newer \
         WHERE newer.{object_column} = {table}.{object_column} \
         AND newer.uuid = {table}.uuid AND newer.action = {table}.action \
         AND (newer.timestamp > {table}.timestamp \
              OR (newer.timestamp = {table}.timestamp AND newer.id > {table}.id))))"
    )
}

/// The column values of one log row, borrowed from the entry and its stored form; shared by
/// the single and the multi-row INSERT of [`log_table!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __log_row {
    ($t:ident, $object_column:ident, $entry:expr, $stored:expr, $object_id:expr) => {
        (
            $t::content_type.eq($entry.content_type.as_deref()),
            $t::label.eq(&$entry.label),
            $t::action.eq(&$entry.action),
            $t::data.eq(&$stored.data),
            $t::timestamp.eq($stored.timestamp),
            $t::uuid.eq($stored.uuid.as_deref()),
            $t::user_id.eq($entry.user_id.as_ref().map($crate::UserId::as_str)),
            $t::revision_id.eq($entry.revision_id),
            $t::content_changed.eq($entry.content_changed),
            $t::deleted.eq($entry.deleted),
            $t::$object_column.eq($object_id),
        )
    };
}

/// The columns a [`LogRow`] is loaded from (used by [`log_table!`]).
#[doc(hidden)]
#[macro_export]
macro_rules! __log_columns {
    ($t:ident) => {
        (
            $t::id,
            $t::content_type,
            $t::label,
            $t::action,
            $t::data,
            $t::timestamp,
            $t::uuid,
            $t::user_id,
            $t::revision_id,
            $t::content_changed,
            $t::deleted,
        )
    };
}

/// Implements [`LogTable`] for a Diesel table with the log columns and one object column.
///
/// The table needs the columns `id`, `content_type`, `label`, `action`, `data`, `timestamp`,
/// `uuid`, `user_id`, `revision_id`, `content_changed`, `deleted` with the types of
/// [`schema::loggable_model_log_entries`](crate::schema::loggable_model_log_entries), plus the object column
/// (`BigInt` read as `i64`, or `Text` read as `String`).
///
/// ```
/// diesel::table! {
///     sprocket_log_entries (id) {
///         id -> BigInt,
///         content_type -> Nullable<Text>,
///         label -> Text,
///         action -> Text,
///         data -> Text,
///         timestamp -> Timestamp,
///         uuid -> Nullable<Text>,
///         user_id -> Nullable<Text>,
///         revision_id -> Nullable<BigInt>,
///         content_changed -> Bool,
///         deleted -> Bool,
///         sprocket_id -> BigInt,
///     }
/// }
///
/// loggable::log_table! {
///     /// Where sprocket entries go.
///     pub struct SprocketLogTable(sprocket_log_entries, sprocket_id: i64);
/// }
///
/// use loggable::entry::LogTable;
/// assert_eq!(SprocketLogTable.name(), "sprocket_log_entries");
/// ```
#[macro_export]
macro_rules! log_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident($($table:ident)::+, $object_column:ident: $object_type:ty $(, match_content_type = $match_content_type:literal)?);
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        $vis struct $name;


        impl $name {
            /// `object_id` as the object column stores it.
            fn parse_object_id(&self, object_id: &str) -> $crate::Result<$object_type> {
                use $crate::entry::LogTable as _;
                object_id.parse::<$object_type>().map_err(|e| $crate::Error::InvalidObjectId {
                    object_id: object_id.to_owned(),
                    table: self.name(),
                    reason: e.to_string(),
                })
            }

            /// The entry's object id as the object column stores it.
            fn object_key(
                &self,
                entry: &$crate::entry::NewLogEntry,
            ) -> $crate::Result<$object_type> {
                self.parse_object_id(&entry.object_id)
            }

            /// The boxed query of `query`'s scope, grouping and viewer, or `None` when no row
            /// can match.
            fn filtered(
                &self,
                query: &$crate::entry::EntryQuery,
                access: &$crate::permission::Access,
                backend: $crate::db::BackendKind,
            ) -> ::core::option::Option<
                $crate::__private::diesel::dsl::IntoBoxed<'static, $($table)::+::table, $crate::db::MultiBackend>,
            > {
                use $crate::__private::diesel::prelude::*;
                use $crate::entry::{EntryScope, LogTable as _};
                use $($table)::+ as t;
                if access.shows_nothing() {
                    return ::core::option::Option::None;
                }
                let mut select = t::table.into_boxed::<$crate::db::MultiBackend>();
                match &query.scope {
                    EntryScope::All => {}
                    EntryScope::Object { content_type, object_id } => {
                        // No row can hold an id the column cannot store.
                        let object_id = object_id.parse::<$object_type>().ok()?;
                        select = select.filter(t::$object_column.eq(object_id));
                        let match_content_type = true $(&& $match_content_type)?;
                        if let (true, Some(content_type)) = (match_content_type, content_type) {
                            select = select.filter(t::content_type.eq(content_type.clone()));
                        }
                    }
                    EntryScope::ContentType(content_type) => {
                        select = select.filter(t::content_type.eq(content_type.clone()));
                    }
                    EntryScope::User(Some(user)) => {
                        select = select.filter(t::user_id.eq(user.as_str().to_owned()))
                    }
                    EntryScope::User(None) => select = select.filter(t::user_id.is_null()),
                }
                if query.grouped {
                    select = select.filter($crate::db::SqlCondition::new(
                        $crate::entry::no_newer_in_group_sql(
                            self.name(),
                            ::core::stringify!($object_column),
                        ),
                    ));
                }
                let filters = &query.filters;
                if let ::core::option::Option::Some(text) = &filters.name_contains {
                    select = select.filter(
                        $crate::report::lower(t::label)
                            .like($crate::report::contains_pattern(text))
                            .escape('\\'),
                    );
                }
                for condition in $crate::entry::list_filters(self.name(), filters, backend) {
                    select = select.filter(condition);
                }
                if let ::core::option::Option::Some(from) = filters.from_utc() {
                    select = select.filter(t::timestamp.ge(from));
                }
                if let ::core::option::Option::Some(until) = filters.until_utc() {
                    select = select.filter(t::timestamp.lt(until));
                }
                match filters.comment_actions {
                    ::core::option::Option::Some(true) => {
                        select = select.filter(t::action.like($crate::report::COMMENT_ACTIONS));
                    }
                    ::core::option::Option::Some(false) => {
                        select = select.filter(t::action.not_like($crate::report::COMMENT_ACTIONS));
                    }
                    ::core::option::Option::None => {}
                }
                if let ::core::option::Option::Some(cursor) = &query.after {
                    let at = cursor.timestamp.naive_utc();
                    // Ties on (timestamp, id) across tables are ordered by table name, so a
                    // cursor from another table still splits this one exactly.
                    let include_equal = self.name() > cursor.table.as_str();
                    // `timestamp <= at` first, so the timestamp index bounds the scan.
                    select = select.filter(t::timestamp.le(at));
                    select = if include_equal {
                        select.filter($crate::__private::diesel::dsl::not(
                            t::timestamp.eq(at).and(t::id.gt(cursor.id)),
                        ))
                    } else {
                        select.filter($crate::__private::diesel::dsl::not(
                            t::timestamp.eq(at).and(t::id.ge(cursor.id)),
                        ))
                    };
                }
                if let ::core::option::Option::Some(viewer) = &query.viewer {
                    select = select.filter($crate::permission::visibility_filter(
                        self.name(),
                        ::core::stringify!($object_column),
                        viewer,
                        access,
                    ));
                }
                ::core::option::Option::Some(select)
            }
        }

        impl $crate::entry::LogTable for $name {
            fn name(&self) -> &'static str {
                let path: &'static str = ::core::stringify!($($table)::+);
                path.rsplit("::").next().unwrap_or(path).trim()
            }

            fn check_object_id(&self, object_id: &str) -> $crate::Result<::std::string::String> {
                self.parse_object_id(object_id).map(|stored| stored.to_string())
            }

            fn insert(
                &self,
                conn: &mut $crate::db::DbConnection,
                entry: &$crate::entry::NewLogEntry,
            ) -> $crate::Result<i64> {
                use $crate::__private::diesel::prelude::*;
                use $($table)::+ as t;
                let object_id = self.object_key(entry)?;
                let stored = entry.stored_columns();
                let insert = $crate::__private::diesel::insert_into(t::table)
                    .values($crate::__log_row!(t, $object_column, entry, &stored, object_id));
                // Each backend's own connection: the hot path skips MultiConnection's
                // re-serialization of the statement.
                $crate::__per_backend!(
                    conn,
                    |pg| insert.returning(t::id).get_result::<i64>(pg),
                    // No RETURNING on SQLite: it makes an INSERT inside a transaction keep a
                    // statement journal (a copy of every page it touches), about a third of
                    // the cost of an entry; the rowid is read back instead.
                    |sqlite| insert
                        .execute(sqlite)
                        .and_then(|_| $crate::db::__last_insert_rowid(sqlite))
                )
                .map_err(|source| $crate::Error::Database {
                    context: "writing a log entry",
                    source,
                })
            }

            fn insert_many(
                &self,
                conn: &mut $crate::db::DbConnection,
                entries: &[$crate::entry::NewLogEntry],
            ) -> $crate::Result<usize> {
                use $crate::__private::diesel::prelude::*;
                use $($table)::+ as t;
                let mut written = 0;
                for chunk in entries.chunks($crate::entry::INSERT_CHUNK_ROWS) {
                    let prepared = chunk
                        .iter()
                        .map(|entry| Ok((entry.stored_columns(), self.object_key(entry)?)))
                        .collect::<$crate::Result<::std::vec::Vec<_>>>()?;
                    let rows: ::std::vec::Vec<_> = chunk
                        .iter()
                        .zip(&prepared)
                        .map(|(entry, (stored, object_id))| {
                            $crate::__log_row!(t, $object_column, entry, stored, object_id.clone())
                        })
                        .collect();
                    let failed = |source| $crate::Error::Database {
                        context: "writing log entries",
                        source,
                    };
                    written += $crate::__per_backend!(
                        conn,
                        // PostgreSQL: binary COPY, about twice the rows per second of a
                        // multi-row INSERT; the rows pass the same checks either way.
                        |pg| $crate::__private::diesel::copy_from(t::table)
                            .from_insertable(rows)
                            .execute(pg)
                            .map_err(failed)?,
                        |sqlite| $crate::__private::diesel::insert_into(t::table)
                            .values(rows)
                            .execute(sqlite)
                            .map_err(failed)?
                    );
                }
                Ok(written)
            }

            fn count(
                &self,
                conn: &mut $crate::db::DbConnection,
                query: &$crate::entry::EntryQuery,
            ) -> $crate::Result<i64> {
                use $crate::__private::diesel::prelude::*;
                let access = $crate::permission::Access::resolve(conn, self.name(), query)?;
                let ::core::option::Option::Some(select) = self.filtered(query, &access, conn.backend()) else {
                    return Ok(0);
                };
                select.count().get_result::<i64>(conn).map_err(|source| $crate::Error::Database {
                    context: "counting log entries",
                    source,
                })
            }

            fn choices(
                &self,
                conn: &mut $crate::db::DbConnection,
                query: &$crate::entry::EntryQuery,
            ) -> $crate::Result<$crate::entry::TableChoices> {
                use $crate::__private::diesel::prelude::*;
                use $($table)::+ as t;
                let scope = query.choice_scope();
                let failed = |source| $crate::Error::Database {
                    context: "reading filter choices",
                    source,
                };
                let access = $crate::permission::Access::resolve(conn, self.name(), &scope)?;
                let backend = conn.backend();
                let (Some(actions), Some(users), Some(content_types)) = (
                    self.filtered(&scope, &access, backend),
                    self.filtered(&scope, &access, backend),
                    self.filtered(&scope, &access, backend),
                ) else {
                    return Ok(::core::default::Default::default());
                };
                Ok($crate::entry::TableChoices {
                    actions: actions.select(t::action).distinct().load(conn).map_err(failed)?,
                    users: users
                        .select(t::user_id)
                        .distinct()
                        .load::<::core::option::Option<::std::string::String>>(conn)
                        .map_err(failed)?
                        .into_iter()
                        .map(|user| user.map($crate::UserId::from))
                        .collect(),
                    content_types: content_types
                        .select(t::content_type)
                        .distinct()
                        .load(conn)
                        .map_err(failed)?,
                })
            }

            fn delete_ids(
                &self,
                conn: &mut $crate::db::DbConnection,
                ids: &[i64],
            ) -> $crate::Result<usize> {
                use $crate::__private::diesel::prelude::*;
                use $($table)::+ as t;
                let mut deleted = 0;
                for chunk in ids.chunks($crate::entry::INSERT_CHUNK_ROWS) {
                    deleted += $crate::__private::diesel::delete(t::table.filter(t::id.eq_any(chunk)))
                        .execute(conn)
                        .map_err(|source| $crate::Error::Database {
                            context: "deleting log entries",
                            source,
                        })?;
                }
                Ok(deleted)
            }

            fn scan(
                &self,
                conn: &mut $crate::db::DbConnection,
                after: ::core::option::Option<i64>,
                before: ::core::option::Option<$crate::__private::chrono::DateTime<$crate::__private::chrono::Utc>>,
                limit: i64,
            ) -> $crate::Result<::std::vec::Vec<$crate::entry::LogEntry>> {
                use $crate::__private::diesel::prelude::*;
                use $($table)::+ as t;
                let mut select = t::table.into_boxed::<$crate::db::MultiBackend>();
                if let ::core::option::Option::Some(after) = after {
                    select = select.filter(t::id.gt(after));
                }
                if let ::core::option::Option::Some(before) = before {
                    select = select.filter(t::timestamp.lt(before.naive_utc()));
                }
                let rows = select
                    .order(t::id.asc())
                    .limit(limit)
                    .select(($crate::__log_columns!(t), t::$object_column))
                    .load::<($crate::entry::LogRow, $object_type)>(conn)
                    .map_err(|source| $crate::Error::Database {
                        context: "reading log entries in id order",
                        source,
                    })?;
                rows.into_iter()
                    .map(|(row, object_id)| row.into_entry(self.name(), object_id.to_string()))
                    .collect()
            }

            fn query(
                &self,
                conn: &mut $crate::db::DbConnection,
                query: &$crate::entry::EntryQuery,
            ) -> $crate::Result<::std::vec::Vec<$crate::entry::LogEntry>> {
                use $crate::__private::diesel::prelude::*;
                use $($table)::+ as t;
                let access = $crate::permission::Access::resolve(conn, self.name(), query)?;
                let Some(mut select) = self.filtered(query, &access, conn.backend()) else {
                    return Ok(::std::vec::Vec::new());
                };
                select = select.order((t::timestamp.desc(), t::id.desc()));
                if let Some(limit) = query.limit {
                    select = select.limit(limit);
                }
                if query.offset > 0 {
                    select = select.offset(query.offset);
                }
                let rows = select
                    .select(($crate::__log_columns!(t), t::$object_column))
                    .load::<($crate::entry::LogRow, $object_type)>(conn)
                    .map_err(|source| $crate::Error::Database {
                        context: "reading log entries",
                        source,
                    })?;
                rows.into_iter()
                    .map(|(row, object_id)| row.into_entry(self.name(), object_id.to_string()))
                    .collect()
            }
        }
    };
}

log_table! {
    /// The page log table, `loggable_page_log_entries`.
    pub struct PageLogTable(crate::schema::loggable_page_log_entries, page_id: i64, match_content_type = false);
}

log_table! {
    /// The generic log table, `loggable_model_log_entries`, for every model without a table of its own.
    pub struct ModelLogTable(crate::schema::loggable_model_log_entries, object_id: String);
}

/// The current time for a new entry: UTC at microsecond precision (what both backends store),
/// and strictly after the previous entry this process stamped, so entries written in order
/// sort in that order even when the clock stands still or steps back.
pub(crate) fn next_timestamp() -> DateTime<Utc> {
    static LAST_MICROS: AtomicI64 = AtomicI64::new(i64::MIN);
    let now = Utc::now().timestamp_micros();
    let previous = LAST_MICROS
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
            Some(now.max(last.saturating_add(1)))
        })
        .unwrap_or(now);
    let micros = now.max(previous.saturating_add(1));
    DateTime::from_timestamp_micros(micros).unwrap_or_else(Utc::now)
}

/// A writer that only counts the bytes written to it.
struct ByteCount(usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The longest object id an entry stores (docs/entries.md).
pub const MAX_OBJECT_ID_CHARS: usize = 255;

/// Labels longer than this many characters are cut to it (the last one becoming `…`): a
/// title is shown in reports, not kept as content, and an operation should not fail because
/// an object's title is long.
pub const MAX_LABEL_CHARS: usize = 1_024;

fn truncate_label(label: String) -> String {
    match label.char_indices().nth(MAX_LABEL_CHARS - 1) {
        Some((cut, _)) if label.chars().count() > MAX_LABEL_CHARS => {
            let mut short = label[..cut].to_owned();
            short.push('…');
            short
        }
        _ => label,
    }
}

/// Truncates to microseconds, the precision both backends store.
fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// Starts a log entry about `object` for `action`; set optional fields, then
/// [`write`](LogBuilder::write).
///
/// Defaults (docs/entries.md): user and uuid from the active [`LogContext`], label from the
/// object's title, `data = {}`, timestamp now, flags false.
///
/// ```
/// use loggable::{LogContext, ObjectRef, log};
/// use serde_json::json;
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
///
/// let sprocket = ObjectRef::new("shop.sprocket", 7).title("Left sprocket");
/// let entry = LogContext::new(Some(1)).scope(|| {
///     log(&sprocket, "wagtail.edit")
///         .data(json!({"changes": {"teeth": [12, 14]}}))
///         .content_changed(true)
///         .write(&mut conn)
/// })?;
/// assert_eq!(entry.user_id, Some(1.into()));
/// assert_eq!(entry.label, "Left sprocket");
/// assert!(entry.uuid.is_some());
///
/// let err = log(&sprocket, "shop.nope").write(&mut conn).unwrap_err();
/// assert_eq!(err.to_string(), "The log action 'shop.nope' has not been registered.");
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn log<'a, O: Loggable + ?Sized>(
    object: &'a O,
    action: impl Into<String>,
) -> LogBuilder<'a, O> {
    LogBuilder {
        object,
        action: action.into(),
        user: None,
        uuid: None,
        title: None,
        data: None,
        revision: None,
        content_changed: false,
        deleted: false,
        timestamp: None,
    }
}

/// The optional arguments of one entry; made by [`log`].
#[must_use = "nothing is logged until `write` is called"]
pub struct LogBuilder<'a, O: ?Sized> {
    object: &'a O,
    action: String,
    user: Option<UserId>,
    uuid: Option<Uuid>,
    title: Option<String>,
    data: Option<Value>,
    revision: Option<i64>,
    content_changed: bool,
    deleted: bool,
    timestamp: Option<DateTime<Utc>>,
}

impl<O: Loggable + ?Sized> LogBuilder<'_, O> {
    /// The acting user (default: the context's).
    pub fn user(mut self, user: impl Into<UserId>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The user action this entry belongs to (default: the context's uuid).
    pub fn uuid(mut self, uuid: Uuid) -> Self {
        self.uuid = Some(uuid);
        self
    }

    /// The label to record instead of the object's title; must not be empty.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Action-specific data; must be a JSON object.
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The revision the action was about.
    pub fn revision(mut self, revision: i64) -> Self {
        self.revision = Some(revision);
        self
    }

    /// [`revision`](Self::revision) when there is one; `None` leaves the builder as it is.
    pub(crate) fn revision_if_any(self, revision: Option<i64>) -> Self {
        match revision {
            Some(revision) => self.revision(revision),
            None => self,
        }
    }

    /// Whether the action changed content.
    pub fn content_changed(mut self, changed: bool) -> Self {
        self.content_changed = changed;
        self
    }

    /// Whether the entry records a deletion.
    pub fn deleted(mut self, deleted: bool) -> Self {
        self.deleted = deleted;
        self
    }

    /// When the action happened (default: now). Stored at microsecond precision.
    pub fn timestamp(mut self, at: DateTime<Utc>) -> Self {
        self.timestamp = Some(at);
        self
    }

    /// Validates the entry against `registry` in memory and returns it with its table;
    /// no query runs.
    pub fn prepare(
        self,
        registry: &Registry,
    ) -> Result<(std::sync::Arc<dyn LogTable>, NewLogEntry)> {
        crate::action::check_code(&self.action)?;
        if registry.action(&self.action).is_none() {
            return Err(Error::UnregisteredAction(self.action));
        }
        let data = match self.data {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(other) => {
                return Err(Error::DataNotObject(
                    JsonKind::of(&other).unwrap_or(JsonKind::Null),
                ));
            }
        };
        let content_type = self.object.content_type().into_owned();
        let Some(object_id) = self.object.object_id().filter(|id| !id.is_empty()) else {
            return Err(Error::MissingPrimaryKey { content_type });
        };
        let table = registry.log_table_of(self.object);
        let object_id = table.check_object_id(&object_id)?;
        if object_id.chars().count() > MAX_OBJECT_ID_CHARS {
            return Err(Error::InvalidObjectId {
                object_id,
                table: table.name(),
                reason: format!("longer than {MAX_OBJECT_ID_CHARS} characters"),
            });
        }
        if !data.is_empty() {
            // Counted as it is serialized, without building the text (the insert builds it).
            // A map of JSON values always serializes; were it ever not to, it is refused.
            let mut size = ByteCount(0);
            let bytes = serde_json::to_writer(&mut size, &data).map_or(usize::MAX, |()| size.0);
            if bytes > registry.max_data_bytes() {
                return Err(Error::DataTooLarge {
                    bytes,
                    limit: registry.max_data_bytes(),
                });
            }
        }
        let label = match self.title {
            Some(title) if title.is_empty() => return Err(Error::EmptyLabel),
            Some(title) => title,
            None => default_label(self.object, &object_id),
        };
        let label = truncate_label(label);
        let context = LogContext::current();
        let entry = NewLogEntry {
            object_id,
            content_type: Some(content_type),
            label,
            action: self.action,
            data,
            timestamp: self
                .timestamp
                .or_else(|| context.as_ref().and_then(LogContext::timestamp))
                .map_or_else(next_timestamp, truncate_to_micros),
            uuid: self
                .uuid
                .or_else(|| context.as_ref().and_then(LogContext::uuid)),
            user_id: self
                .user
                .or_else(|| context.as_ref().and_then(LogContext::user)),
            revision_id: self.revision,
            content_changed: self.content_changed,
            deleted: self.deleted,
        };
        Ok((table, entry))
    }

    /// Writes the entry with the global registry; one INSERT, and no table is read.
    pub fn write(self, conn: &mut impl LogConnection) -> Result<LogEntry> {
        self.write_with(&registry::global(), conn)
    }

    /// Writes the entry with `registry`; one INSERT, and no table is read.
    pub fn write_with(
        self,
        registry: &Registry,
        conn: &mut impl LogConnection,
    ) -> Result<LogEntry> {
        crate::db::with_db(conn, |conn| {
            let (table, entry) = self.prepare(registry)?;
            if !registry.is_chained(table.name()) {
                let id = table.insert(conn, &entry)?;
                return Ok(entry.into_entry(id, table.name()));
            }
            crate::db::transaction(conn, |conn| {
                let mut head = crate::integrity::require_head(conn, table.name())?;
                let id = table.insert(conn, &entry)?;
                let stored = entry.into_entry(id, table.name());
                crate::integrity::append(conn, &mut head, std::slice::from_ref(&stored))?;
                Ok(stored)
            })
        })
    }
}

/// Entries of `object`, newest first, from the table its type logs to.
pub fn entries_for_object(
    conn: &mut impl LogConnection,
    registry: &Registry,
    object: &(impl Loggable + ?Sized),
) -> Result<Vec<LogEntry>> {
    crate::db::with_db(conn, |conn| query_object(conn, registry, object, false))
}

/// The history of `object`: newest first, keeping only the newest entry of each uuid and
/// action (entries without a uuid are all kept). Grouping never crosses objects.
pub fn history_for_object(
    conn: &mut impl LogConnection,
    registry: &Registry,
    object: &(impl Loggable + ?Sized),
) -> Result<Vec<LogEntry>> {
    crate::db::with_db(conn, |conn| query_object(conn, registry, object, true))
}

fn query_object(
    conn: &mut DbConnection,
    registry: &Registry,
    object: &(impl Loggable + ?Sized),
    grouped: bool,
) -> Result<Vec<LogEntry>> {
    let (table, mut query) = object_query(registry, object)?;
    query.grouped = grouped;
    table.query(conn, &query)
}

/// The table `object`'s entries live in and the (ungrouped, unfiltered) query for them.
pub(crate) fn object_query(
    registry: &Registry,
    object: &(impl Loggable + ?Sized),
) -> Result<(std::sync::Arc<dyn LogTable>, EntryQuery)> {
    let content_type = object.content_type().into_owned();
    let Some(object_id) = object.object_id() else {
        return Err(Error::MissingPrimaryKey { content_type });
    };
    let query = EntryQuery::new(EntryScope::Object {
        content_type: Some(content_type),
        object_id,
    });
    Ok((registry.log_table_of(object), query))
}

/// Entries of objects of `content_type`, newest first.
pub fn entries_for_content_type(
    conn: &mut impl LogConnection,
    registry: &Registry,
    content_type: &str,
) -> Result<Vec<LogEntry>> {
    crate::db::with_db(conn, |conn| {
        registry.log_table_for(content_type).query(
            conn,
            &EntryQuery::new(EntryScope::ContentType(content_type.to_owned())),
        )
    })
}

/// Entries written by `user` (`None`: by the system) in every log table, newest first.
pub fn entries_by_user(
    conn: &mut impl LogConnection,
    registry: &Registry,
    user: Option<UserId>,
) -> Result<Vec<LogEntry>> {
    crate::db::with_db(conn, |conn| {
        crate::report::merge_tables(conn, registry, &EntryQuery::new(EntryScope::User(user)))
    })
}
