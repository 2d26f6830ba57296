//! Reports over the log: site history across every log table, per-object history.

use crate::db::DbConnection;
use crate::entry::{EntryQuery, EntryScope, LogEntry};
use crate::error::Result;
use crate::permission::Viewer;
use crate::registry::Registry;

/// One page of the site history: every log table's entries that `viewer` may see (all of
/// them for `None`), merged newest first (`timestamp DESC, id DESC`), `limit` rows after
/// skipping `offset`.
///
/// Each table is asked only for its own first `offset + limit` rows, and those are merged:
/// nothing sorts or deduplicates whole tables.
///
/// ```
/// use loggable::{ObjectRef, log, report::site_history};
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let registry = loggable::registry::Registry::new();
/// log(&ObjectRef::new("shop.sprocket", 1).title("S"), "wagtail.create").write_with(&registry, &mut conn)?;
/// let page = site_history(&mut conn, &registry, None, 50, 0)?;
/// assert_eq!(page.len(), 1);
/// # Ok::<(), loggable::Error>(())
/// ```
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
    let mut merged: Vec<LogEntry> = Vec::new();
    for table in registry.log_tables() {
        merged.extend(table.query(conn, &query)?);
    }
    merged.sort_by_key(|entry| std::cmp::Reverse((entry.timestamp, entry.id)));
    Ok(merged
        .into_iter()
        .skip(usize::try_from(offset.max(0)).unwrap_or(usize::MAX))
        .take(usize::try_from(limit.max(0)).unwrap_or(usize::MAX))
        .collect())
}
