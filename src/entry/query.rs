//! What a read of one log table asks for: a scope, plain conditions, grouping, a window, and
//! (from the layers above) who is looking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{LogEntry, LogTable};
use crate::db::DbConnection;
use crate::error::Result;
use crate::user_id::UserId;

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

/// A plain condition on an entry's columns; a query keeps the rows that pass all of its
/// conditions. The report filters become these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The label contains this text, ignoring case.
    LabelContains(String),
    /// The type is one of these.
    ContentTypeIn(Vec<String>),
    /// The action is one of these codes.
    ActionIn(Vec<String>),
    /// The user is one of these.
    UserIn(Vec<UserId>),
    /// Stamped at or after this instant.
    Since(DateTime<Utc>),
    /// Stamped before this instant.
    Before(DateTime<Utc>),
    /// The action code starts with this prefix (`true`) or does not (`false`).
    ActionPrefix(String, bool),
}

/// A position in the newest-first order of the merged log: the last entry a page showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Its timestamp.
    pub timestamp: DateTime<Utc>,
    /// Its id.
    pub id: i64,
    /// Its table (ties on timestamp and id are ordered by table name).
    pub table: String,
}

impl Cursor {
    /// The cursor just after `entry`.
    pub fn after(entry: &LogEntry) -> Self {
        Self {
            timestamp: entry.timestamp,
            id: entry.id,
            table: entry.log_table.to_owned(),
        }
    }
}

/// The merged order of entries from several tables: newest first, ties by id, then by table
/// name (the order a [`Cursor`] splits).
pub(crate) fn merge_key(
    entry: &LogEntry,
) -> (std::cmp::Reverse<(DateTime<Utc>, i64)>, &'static str) {
    (
        std::cmp::Reverse((entry.timestamp, entry.id)),
        entry.log_table,
    )
}

/// A query on one log table: scope, conditions, grouping and window. Results are newest
/// first (`timestamp DESC, id DESC`).
///
/// ```
/// use loggable::entry::{Condition, EntryQuery, EntryScope};
///
/// let first_page = EntryQuery::new(EntryScope::All)
///     .filter(Condition::ActionIn(vec!["wagtail.publish".into()]))
///     .grouped()
///     .page(1, 50);
/// assert_eq!((first_page.limit, first_page.offset), (Some(50), 0));
/// ```
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
    /// Conditions every row passes.
    pub conditions: Vec<Condition>,
    /// Keyset pagination: only entries after this position in newest-first order.
    pub after: Option<Cursor>,
}

impl EntryQuery {
    /// All entries in `scope`, ungrouped, unpaginated.
    pub fn new(scope: EntryScope) -> Self {
        Self {
            scope,
            grouped: false,
            limit: None,
            offset: 0,
            conditions: Vec::new(),
            after: None,
        }
    }

    /// Groups by object, uuid and action (history grouping).
    pub fn grouped(mut self) -> Self {
        self.grouped = true;
        self
    }

    /// Keeps only the rows that pass `condition` too.
    pub fn filter(mut self, condition: Condition) -> Self {
        self.conditions.push(condition);
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

/// What one log table may show someone, as a [`Visibility`] works it out.
pub enum Restriction {
    /// Every entry.
    Everything,
    /// No entry: the table is not read at all.
    Nothing,
    /// The entries that pass this condition.
    Only(RowFilter),
}

/// A condition on a log table's rows built by the layers above the core (the CMS layer's
/// permissions); opaque to everyone else.
pub struct RowFilter(pub(crate) super::source::SqlFilter);

impl RowFilter {
    /// A filter of SQL that names only a table's fixed identifiers and binds every value.
    pub(crate) fn new(
        condition: impl diesel::query_builder::QueryFragment<crate::db::MultiBackend> + 'static,
    ) -> Self {
        Self(std::rc::Rc::new(condition))
    }
}

impl std::fmt::Debug for RowFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowFilter(..)")
    }
}

impl std::fmt::Debug for Restriction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Everything => f.write_str("Everything"),
            Self::Nothing => f.write_str("Nothing"),
            Self::Only(filter) => f.debug_tuple("Only").field(filter).finish(),
        }
    }
}

/// Who is looking at the log, as a read of one table needs to know it: resolved against the
/// table just before the read, so it always reflects the current grants. The CMS layer's
/// [`Viewer`](crate::permission::Viewer) is one.
pub trait Visibility {
    /// What of `table` may be shown. `limited` says whether the read stops after a number
    /// of rows (a report page), which may decide how the condition is best written.
    fn restriction(
        &self,
        conn: &mut DbConnection,
        table: &LogTable,
        limited: bool,
    ) -> Result<Restriction>;
}
