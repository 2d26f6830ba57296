//! A log row as loaded, before its text columns are parsed, and how it becomes a
//! [`LogEntry`]: what cannot be read is said so in the entry, never fatal to a read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::LogEntry;
use crate::user_id::UserId;

/// A log row as loaded, before its text columns are parsed; its timestamp a date, or (read
/// back from SQLite after a failed read) the stored text.
#[derive(Queryable)]
pub(super) struct EntryRow<Timestamp = NaiveDateTime> {
    id: i64,
    content_type: Option<String>,
    label: String,
    action: String,
    data: String,
    timestamp: Timestamp,
    uuid: Option<String>,
    user_id: Option<String>,
    revision_id: Option<i64>,
    content_changed: bool,
    deleted: bool,
    object_id: String,
}

impl EntryRow<String> {
    /// The row with its stored timestamp text read as a date. Text that is no date is placed
    /// where that text sorts among the dates loggable writes (reads order and page by the
    /// stored text), and said so in `unreadable`.
    pub(super) fn with_timestamp(self) -> (EntryRow, Option<String>) {
        let (timestamp, problem) = match parse_stored_timestamp(&self.timestamp) {
            Some(at) => (at, None),
            None => (
                placed_where_text_sorts(&self.timestamp),
                Some(format!("timestamp '{}' is no date", self.timestamp)),
            ),
        };
        let row = EntryRow {
            id: self.id,
            content_type: self.content_type,
            label: self.label,
            action: self.action,
            data: self.data,
            timestamp,
            uuid: self.uuid,
            user_id: self.user_id,
            revision_id: self.revision_id,
            content_changed: self.content_changed,
            deleted: self.deleted,
            object_id: self.object_id,
        };
        (row, problem)
    }
}

/// A timestamp as SQLite may hold it: loggable's form, ISO 8601 with `T` and `Z`, to the
/// minute, or a bare date.
fn parse_stored_timestamp(text: &str) -> Option<NaiveDateTime> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|day| day.and_hms_opt(0, 0, 0))
    })
}

/// The latest date whose stored text (`%Y-%m-%d %H:%M:%S%.f`, which sorts as time does for
/// years 1 to 9999) sorts at or before `text`: a row holding `text` sits among the others
/// exactly where that date would, so the newest-first order and keyset cursors stay whole.
fn placed_where_text_sorts(text: &str) -> NaiveDateTime {
    const FORM: &str = "%Y-%m-%d %H:%M:%S%.f";
    let at = |micros: i64| {
        chrono::DateTime::from_timestamp_micros(micros)
            .map(|at| at.naive_utc())
            .unwrap_or_default()
    };
    let first = at(-62_135_596_800_000_000); // 0001-01-01 00:00:00
    let last = at(253_402_300_799_999_999); // 9999-12-31 23:59:59.999999
    let sorts_at_or_before = |at: NaiveDateTime| at.format(FORM).to_string().as_str() <= text;
    if !sorts_at_or_before(first) {
        return first;
    }
    let (mut low, mut high) = (
        first.and_utc().timestamp_micros(),
        last.and_utc().timestamp_micros(),
    );
    // Invariant: the date at `low` sorts at or before `text`; binary search for the last.
    while low < high {
        let middle = low + (high - low + 1) / 2;
        if sorts_at_or_before(at(middle)) {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    at(low)
}

impl EntryRow {
    /// The entry; a `data` or uuid that cannot be read is left empty and said so in
    /// `unreadable`, so one damaged row does not take a whole read down with it.
    pub(super) fn into_entry(self, log_table: &'static str) -> LogEntry {
        self.into_entry_noting(log_table, None)
    }

    /// [`into_entry`](Self::into_entry), with a problem already found in the row.
    pub(super) fn into_entry_noting(
        self,
        log_table: &'static str,
        problem: Option<String>,
    ) -> LogEntry {
        let mut unreadable: Vec<String> = problem.into_iter().collect();
        let data = match serde_json::from_str::<Value>(&self.data) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                unreadable.push("data is not a JSON object".to_owned());
                Map::new()
            }
            Err(e) => {
                unreadable.push(format!("data is not JSON ({e})"));
                Map::new()
            }
        };
        let uuid = self
            .uuid
            .as_deref()
            .and_then(|text| match Uuid::parse_str(text) {
                Ok(uuid) => Some(uuid),
                Err(e) => {
                    unreadable.push(format!("uuid is malformed ({e})"));
                    None
                }
            });
        LogEntry {
            id: self.id,
            log_table,
            object_id: self.object_id,
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
            unreadable: (!unreadable.is_empty()).then(|| unreadable.join("; ")),
        }
    }
}
