//! Log entries as stored, the log tables that hold them, and reading and writing the rows of
//! one table.
//!
//! This is the storage core: it knows nothing of reports, permissions or the hash chain. The
//! layers above hand it plain conditions ([`Condition`]), a [`Visibility`] that resolves to a
//! condition per table, and [`WriteHook`]s that run around a table's writes.

mod buffer;
mod catalog;
#[cfg(feature = "postgres")]
mod copy;
mod query;
mod read;
mod row;
mod source;
mod table;
#[cfg(feature = "postgres")]
mod unnest;
mod write;

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::user_id::UserId;

pub(crate) use self::buffer::log_buffer;
pub use self::buffer::{BufferedLog, buffered_transaction};
pub(crate) use self::catalog::{record_table, recorded_tables};
pub(crate) use self::query::merge_key;
pub use self::query::{
    Condition, Cursor, EntryQuery, EntryScope, Restriction, RowFilter, Visibility,
};
pub(crate) use self::read::{TableChoices, merge_tables};
pub use self::table::{LogTable, MODEL_LOG, ObjectKey, ObjectKeyKind, PAGE_LOG};
pub(crate) use self::write::INSERT_CHUNK_ROWS;
pub use self::write::WriteHook;
#[cfg(any(feature = "sqlite", feature = "mysql"))]
pub(crate) use self::write::write_one_around;

/// Name of the page log table.
pub(crate) const PAGE_LOG_TABLE: &str = "loggable_page_log_entries";
/// Name of the generic log table.
pub(crate) const MODEL_LOG_TABLE: &str = "loggable_model_log_entries";

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
    /// Why part of the stored row could not be read, if it could not (`data` that is not a
    /// JSON object, a malformed uuid, a SQLite timestamp that is no date): that part reads as
    /// empty (a timestamp as the date where its text sorts), the rest of the row as stored,
    /// and reads go on past it. Its message says it is unreadable; `integrity::verify`
    /// reports the row as changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
}

impl LogEntry {
    /// Whether the entry is in the page log table.
    pub fn is_page_entry(&self) -> bool {
        self.log_table == PAGE_LOG_TABLE
    }
}

/// A validated entry, ready for one INSERT into its table (what [`crate::LogBuilder::prepare`]
/// returns, and what bulk writes and seeding tools pass around).
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
            unreadable: None,
        }
    }

    /// About how many bytes the entry's bound values take: its texts and JSON data, plus a
    /// fixed allowance for the other columns.
    #[cfg(feature = "mysql")]
    pub(crate) fn bound_size(&self) -> usize {
        /// Counts what serde_json writes, without keeping it.
        struct Counter(usize);
        impl std::io::Write for Counter {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0 += bytes.len();
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut data = Counter(0);
        // Writing to a counter cannot fail; a failure would only undercount by the data.
        let _ = serde_json::to_writer(&mut data, &self.data);
        const FIXED_COLUMNS: usize = 128;
        self.object_id.len()
            + self.content_type.as_ref().map_or(0, String::len)
            + self.label.len()
            + self.action.len()
            + self.user_id.as_ref().map_or(0, |user| user.as_str().len())
            + data.0
            + FIXED_COLUMNS
    }

    /// The columns whose stored form differs from the Rust one.
    fn stored_columns(&self) -> StoredColumns {
        StoredColumns {
            // A map of JSON values always serializes; `{}` stands in should that ever change.
            data: serde_json::to_string(&self.data).unwrap_or_else(|_| "{}".to_owned()),
            timestamp: truncate_to_micros(self.timestamp).naive_utc(),
            uuid: self.uuid.map(|uuid| uuid.hyphenated().to_string()),
        }
    }
}

/// Column values that differ between the Rust and the stored form.
struct StoredColumns {
    data: String,
    timestamp: NaiveDateTime,
    uuid: Option<String>,
}

/// The longest object id an entry stores (docs/entries.md).
pub const MAX_OBJECT_ID_CHARS: usize = 255;

/// Labels longer than this many characters are cut to it (the last one becoming `…`): a
/// title is shown in reports, not kept as content, and an operation should not fail because
/// an object's title is long.
pub const MAX_LABEL_CHARS: usize = 1_024;

/// `label` cut to [`MAX_LABEL_CHARS`].
pub(crate) fn truncate_label(label: String) -> String {
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
pub(crate) fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
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
