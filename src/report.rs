//! Reports over the log: site history across every log table with filters and keyset
//! pagination, and streaming export to CSV and JSON Lines (spec/reports.md).

use std::io::Write;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::entry::{EntryQuery, EntryScope, LogEntry};
use crate::error::{Error, Result};
use crate::permission::Viewer;
use crate::registry::Registry;

/// `LIKE` pattern of the comment actions.
pub const COMMENT_ACTIONS: &str = "wagtail.comments.%";

diesel::define_sql_function! {
    /// SQL `lower(text)` (ASCII-only on SQLite).
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The `LIKE` pattern for "contains `text`", case-folded, with `%`, `_` and `\` escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The filters of the history reports. Empty lists and `None` filter nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Filters {
    /// The label contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// The entry's type is one of these.
    pub content_types: Vec<String>,
    /// The action is one of these codes.
    pub actions: Vec<String>,
    /// The user is one of these ids.
    pub users: Vec<i64>,
    /// On or after this day (in `timezone`).
    pub from: Option<NaiveDate>,
    /// On or before this day (in `timezone`).
    pub to: Option<NaiveDate>,
    /// Only comment actions (`true`) or only the others (`false`).
    pub comment_actions: Option<bool>,
    /// The timezone whole days are counted in, as seconds east of UTC (default UTC).
    pub utc_offset_seconds: i32,
}

impl Filters {
    fn offset(&self) -> FixedOffset {
        FixedOffset::east_opt(self.utc_offset_seconds).unwrap_or_else(|| Utc.fix())
    }

    /// The first instant of `from`, as naive UTC.
    pub fn from_utc(&self) -> Option<NaiveDateTime> {
        let day = self.from?;
        self.start_of(day)
    }

    /// The first instant after `to`, as naive UTC.
    pub fn until_utc(&self) -> Option<NaiveDateTime> {
        let day = self.to?.succ_opt()?;
        self.start_of(day)
    }

    fn start_of(&self, day: NaiveDate) -> Option<NaiveDateTime> {
        let local = day.and_hms_opt(0, 0, 0)?;
        self.offset()
            .from_local_datetime(&local)
            .single()
            .map(|at| at.with_timezone(&Utc).naive_utc())
    }
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

/// One page of a report and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The entries, newest first.
    pub entries: Vec<LogEntry>,
    /// Pass this to get the next page; `None` on the last page.
    pub next: Option<Cursor>,
}

/// Rows per site-history page (spec/reports.md).
pub const SITE_HISTORY_PAGE_SIZE: i64 = 50;

/// The merged order: newest first, ties by id, then by table name.
fn merge_key(entry: &LogEntry) -> (std::cmp::Reverse<(DateTime<Utc>, i64)>, &'static str) {
    (
        std::cmp::Reverse((entry.timestamp, entry.id)),
        entry.log_table,
    )
}

/// `query` run on every log table, the results merged in the report order. Each table
/// contributes at most `query.limit` rows, so only that much is ever sorted.
pub(crate) fn merge_tables(
    conn: &mut DbConnection,
    registry: &Registry,
    query: &EntryQuery,
) -> Result<Vec<LogEntry>> {
    let mut merged: Vec<LogEntry> = Vec::new();
    for table in registry.log_tables() {
        merged.extend(table.query(conn, query)?);
    }
    merged.sort_by(|a, b| merge_key(a).cmp(&merge_key(b)));
    Ok(merged)
}

/// One page of the site history: every log table's entries that `viewer` may see (all for
/// `None`) and that pass `filters`, merged newest first; `limit` rows after `after`.
///
/// Each table is asked only for its own next `limit` rows past the cursor, and those are
/// merged: nothing sorts or deduplicates whole tables, and pages stay fast deep in the log.
///
/// ```
/// use loggable::report::{Filters, site_history_page};
/// use loggable::{ObjectRef, log};
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let registry = loggable::registry::Registry::new();
/// for id in 0..3 {
///     log(&ObjectRef::new("shop.sprocket", id).title("S"), "wagtail.create").write_with(&registry, &mut conn)?;
/// }
/// let first = site_history_page(&mut conn, &registry, None, &Filters::default(), None, 2)?;
/// assert_eq!(first.entries.len(), 2);
/// let rest = site_history_page(&mut conn, &registry, None, &Filters::default(), first.next, 2)?;
/// assert_eq!((rest.entries.len(), rest.next), (1, None));
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn site_history_page(
    conn: &mut DbConnection,
    registry: &Registry,
    viewer: Option<&Viewer>,
    filters: &Filters,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Page> {
    let limit = limit.max(1);
    let mut query = EntryQuery::new(EntryScope::All).limit(limit + 1);
    query.viewer = viewer.copied();
    query.filters = filters.clone();
    query.after = after;
    let mut merged = merge_tables(conn, registry, &query)?;
    let more = merged.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    merged.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = if more {
        merged.last().map(Cursor::after)
    } else {
        None
    };
    Ok(Page {
        entries: merged,
        next,
    })
}

/// The site history by page number (from 1), for callers that want numbered pages.
pub fn site_history(
    conn: &mut DbConnection,
    registry: &Registry,
    viewer: Option<&Viewer>,
    limit: i64,
    offset: i64,
) -> Result<Vec<LogEntry>> {
    let window = offset.saturating_add(limit).max(0);
    let mut query = EntryQuery::new(EntryScope::All).limit(window);
    query.viewer = viewer.copied();
    let merged = merge_tables(conn, registry, &query)?;
    Ok(merged
        .into_iter()
        .skip(usize::try_from(offset.max(0)).unwrap_or(usize::MAX))
        .take(usize::try_from(limit.max(0)).unwrap_or(usize::MAX))
        .collect())
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `ID, Name, Type, Action type, User, Date/Time`, spreadsheet-safe.
    Csv,
    /// One JSON object per line with every field, its message and user name.
    JsonLines,
}

/// Rows read per round trip while exporting.
const EXPORT_CHUNK: i64 = 2_000;

/// Text a spreadsheet would run as a formula is written as plain text (a leading `'`).
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// Writes the filtered site history that `viewer` may see to `out`, newest first, reading it
/// in chunks by keyset so memory stays flat however long the log is. `progress` is called
/// with the running row count after each chunk. Returns how many rows were written.
pub fn export(
    conn: &mut DbConnection,
    registry: &Registry,
    viewer: Option<&Viewer>,
    filters: &Filters,
    format: ExportFormat,
    out: impl Write,
    progress: impl FnMut(u64),
) -> Result<u64> {
    let failed = |e: &dyn std::fmt::Display| Error::Export(e.to_string());
    match format {
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer
                .write_record(["ID", "Name", "Type", "Action type", "User", "Date/Time"])
                .map_err(|e| failed(&e))?;
            let written =
                for_each_chunk(conn, registry, viewer, filters, progress, |entry, user| {
                    let type_label = registry.type_label(entry.content_type.as_deref());
                    writer
                        .write_record([
                            entry.object_id.as_str(),
                            &spreadsheet_safe(&entry.label),
                            &spreadsheet_safe(&type_label),
                            &spreadsheet_safe(registry.label(&entry.action)),
                            &spreadsheet_safe(user),
                            &entry.timestamp.to_rfc3339(),
                        ])
                        .map_err(|e| failed(&e))
                })?;
            writer.flush().map_err(|e| failed(&e))?;
            Ok(written)
        }
        ExportFormat::JsonLines => {
            let mut writer = std::io::BufWriter::new(out);
            let written =
                for_each_chunk(conn, registry, viewer, filters, progress, |entry, user| {
                    let line = serde_json::json!({
                        "entry": entry,
                        "message": registry.message(entry),
                        "comment": registry.comment(entry),
                        "user": user,
                    });
                    serde_json::to_writer(&mut writer, &line).map_err(|e| failed(&e))?;
                    writer.write_all(b"\n").map_err(|e| failed(&e))
                })?;
            writer.flush().map_err(|e| failed(&e))?;
            Ok(written)
        }
    }
}

/// Calls `row` for every entry of the filtered site history with its user's display name,
/// newest first. Each log table is read by its own keyset cursor a chunk at a time and the
/// chunks are merged, so every row is read once and memory holds one chunk per table.
fn for_each_chunk(
    conn: &mut DbConnection,
    registry: &Registry,
    viewer: Option<&Viewer>,
    filters: &Filters,
    mut progress: impl FnMut(u64),
    mut row: impl FnMut(&LogEntry, &str) -> Result<()>,
) -> Result<u64> {
    let tables = registry.log_tables();
    let mut query = EntryQuery::new(EntryScope::All).limit(EXPORT_CHUNK);
    query.viewer = viewer.copied();
    query.filters = filters.clone();
    // Per table: its buffered entries (oldest last, popped from the end), whether it has
    // more, and where it stopped.
    let mut buffers: Vec<(std::collections::VecDeque<LogEntry>, bool, Option<Cursor>)> = tables
        .iter()
        .map(|_| (Default::default(), true, None))
        .collect();
    let mut names = crate::user::DisplayNames::default();
    let mut written = 0_u64;
    loop {
        for (table, (buffer, more, after)) in tables.iter().zip(buffers.iter_mut()) {
            if buffer.is_empty() && *more {
                let mut chunk_query = query.clone();
                chunk_query.after = after.clone();
                let chunk = table.query(conn, &chunk_query)?;
                *more = chunk.len() as i64 == EXPORT_CHUNK;
                *after = chunk.last().map(Cursor::after);
                let missing: Vec<Option<i64>> = chunk
                    .iter()
                    .map(|e| e.user_id)
                    .filter(|id| !names.contains(*id))
                    .collect();
                if !missing.is_empty() {
                    names.extend(crate::user::display_names(conn, missing)?);
                }
                buffer.extend(chunk);
            }
        }
        let next = buffers
            .iter()
            .enumerate()
            .filter_map(|(i, (buffer, _, _))| buffer.front().map(|entry| (i, entry)))
            .min_by(|(_, a), (_, b)| merge_key(a).cmp(&merge_key(b)))
            .map(|(i, _)| i);
        let Some(index) = next else {
            progress(written);
            return Ok(written);
        };
        if let Some(entry) = buffers[index].0.pop_front() {
            row(&entry, &names.get(entry.user_id))?;
            written += 1;
            if written % EXPORT_CHUNK as u64 == 0 {
                progress(written);
            }
        }
    }
}
