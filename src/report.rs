//! Reports over the log (docs/reports.md): the history of one object, with status marks and
//! numbered pages of 20; the site history across every log table, with keyset pagination; the
//! filters both take and the choices those filters offer. Export lives in [`crate::export`].

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::{DbConnection, LogConnection};
pub use crate::entry::Cursor;
use crate::entry::{Condition, EntryQuery, EntryScope, LogEntry, TableChoices, Visibility};
use crate::error::Result;
use crate::model::Model;
use crate::object::Loggable;
use crate::registry::Registry;
use crate::user_id::UserId;

/// The code prefix of the comment actions.
const COMMENT_ACTIONS: &str = "wagtail.comments.";

/// The filters of the history reports. Empty lists and `None` filter nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Filters {
    /// The label contains this text (case-insensitive).
    pub name_contains: Option<String>,
    /// The entry's type is one of these.
    pub content_types: Vec<String>,
    /// The action is one of these codes.
    pub actions: Vec<String>,
    /// The user is one of these (the application's user keys).
    pub users: Vec<UserId>,
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

    /// The filters as the plain conditions an entry query takes.
    pub fn conditions(&self) -> Vec<Condition> {
        let mut conditions = Vec::new();
        if let Some(text) = &self.name_contains {
            conditions.push(Condition::LabelContains(text.clone()));
        }
        if !self.content_types.is_empty() {
            conditions.push(Condition::ContentTypeIn(self.content_types.clone()));
        }
        if !self.actions.is_empty() {
            conditions.push(Condition::ActionIn(self.actions.clone()));
        }
        if !self.users.is_empty() {
            conditions.push(Condition::UserIn(self.users.clone()));
        }
        if let Some(from) = self.from.and_then(|day| self.start_of(day)) {
            conditions.push(Condition::Since(from));
        }
        // The first instant after `to`.
        if let Some(until) = self
            .to
            .and_then(|day| day.succ_opt())
            .and_then(|day| self.start_of(day))
        {
            conditions.push(Condition::Before(until));
        }
        if let Some(comments) = self.comment_actions {
            conditions.push(Condition::ActionPrefix(
                COMMENT_ACTIONS.to_owned(),
                comments,
            ));
        }
        conditions
    }

    fn start_of(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        let local = day.and_hms_opt(0, 0, 0)?;
        self.offset()
            .from_local_datetime(&local)
            .single()
            .map(|at| at.with_timezone(&Utc))
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

/// Rows per site-history page (docs/reports.md).
pub const SITE_HISTORY_PAGE_SIZE: i64 = 50;

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
///     log(&ObjectRef::new("shop.sprocket", id).title("S"), "wagtail.create").write_with(&mut conn, &registry)?;
/// }
/// let first = site_history_page(&mut conn, &registry, None, &Filters::default(), None, 2)?;
/// assert_eq!(first.entries.len(), 2);
/// let rest = site_history_page(&mut conn, &registry, None, &Filters::default(), first.next, 2)?;
/// assert_eq!((rest.entries.len(), rest.next), (1, None));
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn site_history_page(
    conn: &mut impl LogConnection,
    registry: &Registry,
    viewer: Option<&dyn Visibility>,
    filters: &Filters,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        let limit = limit.max(1);
        // One row more than asked says whether a next page exists; a huge limit clamps.
        let mut query = site_query(filters).limit(limit.saturating_add(1));
        query.after = after;
        let tables = registry.all_log_tables(conn)?;
        let mut merged = crate::entry::merge_tables(conn, &tables, &query, viewer)?;
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
    })
}

/// The site history's query: every entry of a table that passes `filters`, newest first.
pub(crate) fn site_query(filters: &Filters) -> EntryQuery {
    let mut query = EntryQuery::new(EntryScope::All);
    query.conditions = filters.conditions();
    query
}

/// The site history by page number (from 1), for callers that want numbered pages.
pub fn site_history(
    conn: &mut impl LogConnection,
    registry: &Registry,
    viewer: Option<&dyn Visibility>,
    limit: i64,
    offset: i64,
) -> Result<Vec<LogEntry>> {
    crate::db::with_db(conn, |conn| {
        let window = offset.saturating_add(limit).max(0);
        let query = site_query(&Filters::default()).limit(window);
        let tables = registry.all_log_tables(conn)?;
        let merged = crate::entry::merge_tables(conn, &tables, &query, viewer)?;
        Ok(merged
            .into_iter()
            .skip(usize::try_from(offset.max(0)).unwrap_or(usize::MAX))
            .take(usize::try_from(limit.max(0)).unwrap_or(usize::MAX))
            .collect())
    })
}

/// One value a report filter offers, with the text to show for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice<T> {
    /// What the filter takes.
    pub value: T,
    /// What a person reads.
    pub label: String,
}

/// The values the report filters offer, drawn from the entries the report shows (for the site
/// history: those the viewer may see), each list sorted by label, ignoring case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FilterChoices {
    /// Registered actions present, labelled with the action's label.
    pub actions: Vec<Choice<String>>,
    /// Users present (the system is not a user to filter by), by display name.
    pub users: Vec<Choice<UserId>>,
    /// Types present, by their human name.
    pub content_types: Vec<Choice<String>>,
}

/// The filter choices offered by what each table `found`, labelled and sorted.
fn choices_of(
    conn: &mut DbConnection,
    registry: &Registry,
    found: Vec<TableChoices>,
) -> Result<FilterChoices> {
    use std::collections::BTreeSet;
    let (mut actions, mut users, mut content_types) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for found in found {
        actions.extend(found.actions);
        users.extend(found.users.into_iter().flatten());
        content_types.extend(found.content_types.into_iter().flatten());
    }
    let names = registry.display_names(conn, users.iter().cloned().map(Some))?;
    let mut choices = FilterChoices {
        actions: actions
            .into_iter()
            .filter_map(|code| {
                let label = registry.action(&code)?.label().to_owned();
                Some(Choice { value: code, label })
            })
            .collect(),
        users: users
            .into_iter()
            .map(|id| Choice {
                label: names.get(Some(&id)),
                value: id,
            })
            .collect(),
        content_types: content_types
            .into_iter()
            .map(|content_type| Choice {
                label: registry.type_label(Some(&content_type)),
                value: content_type,
            })
            .collect(),
    };
    choices
        .actions
        .sort_by_cached_key(|c| c.label.to_lowercase());
    choices.users.sort_by_cached_key(|c| c.label.to_lowercase());
    choices
        .content_types
        .sort_by_cached_key(|c| c.label.to_lowercase());
    Ok(choices)
}

/// The site history's filter choices: the actions, users and types of the entries `viewer`
/// may see (all entries for `None`), across every log table.
///
/// ```
/// use loggable::{ObjectRef, log, report};
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let registry = loggable::registry::Registry::new();
/// log(&ObjectRef::new("shop.sprocket", 1).title("S"), "wagtail.lock").write_with(&mut conn, &registry)?;
/// let choices = report::site_history_choices(&mut conn, &registry, None)?;
/// assert_eq!(choices.actions[0].value, "wagtail.lock");
/// assert_eq!(choices.actions[0].label, "Lock");
/// assert!(choices.users.is_empty()); // the system wrote it
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn site_history_choices(
    conn: &mut impl LogConnection,
    registry: &Registry,
    viewer: Option<&dyn Visibility>,
) -> Result<FilterChoices> {
    crate::db::with_db(conn, |conn| {
        let query = site_query(&Filters::default());
        let found = registry
            .all_log_tables(conn)?
            .iter()
            .map(|table| table.choices(conn, &query, viewer))
            .collect::<Result<Vec<_>>>()?;
        choices_of(conn, registry, found)
    })
}

/// Rows per page of an object's history (docs/reports.md).
pub const OBJECT_HISTORY_PAGE_SIZE: i64 = 20;

/// A status mark on an entry of a revisionable object's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StatusMark {
    /// The publish entry of the live revision.
    LiveVersion,
    /// The content-changing entry of the latest revision.
    CurrentDraft,
}

impl StatusMark {
    /// The text shown beside the entry.
    pub fn label(self) -> &'static str {
        match self {
            Self::LiveVersion => "Live version",
            Self::CurrentDraft => "Current draft",
        }
    }
}

/// Which revisions an object's history marks: its live and its latest one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevisionMarks {
    /// The published revision.
    pub live_revision: Option<i64>,
    /// The newest revision.
    pub latest_revision: Option<i64>,
}

impl RevisionMarks {
    /// The revisions of a model with draft state (pages included); none for other models.
    pub fn of(model: &impl Model) -> Self {
        model
            .draft_state()
            .map(|state| Self {
                live_revision: state.live_revision_id,
                latest_revision: state.latest_revision_id,
            })
            .unwrap_or_default()
    }

    /// The mark `entry` carries: `Live version` wins when both apply.
    pub fn mark(&self, entry: &LogEntry) -> Option<StatusMark> {
        let revision = entry.revision_id?;
        if Some(revision) == self.live_revision && entry.action == "wagtail.publish" {
            Some(StatusMark::LiveVersion)
        } else if Some(revision) == self.latest_revision && entry.content_changed {
            Some(StatusMark::CurrentDraft)
        } else {
            None
        }
    }
}

/// One row of an object's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    /// The entry (the newest of its uuid and action).
    pub entry: LogEntry,
    /// Its status mark, if any.
    pub mark: Option<StatusMark>,
}

/// One numbered page of an object's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectHistory {
    /// The rows, newest first.
    pub rows: Vec<HistoryRow>,
    /// This page's number, from 1.
    pub page: i64,
    /// How many pages the filtered history fills (at least 1).
    pub pages: i64,
    /// How many rows the filtered history has.
    pub total: i64,
    /// The filter choices, drawn from the whole history of the object.
    pub choices: FilterChoices,
}

/// Page `page` (from 1) of `object`'s history: newest first, collapsed by uuid and action
/// within the object, filtered, [`OBJECT_HISTORY_PAGE_SIZE`] rows a page, with status marks
/// from `marks` and the filter choices the history offers. Only what `viewer` may see, as in
/// every other report (`None`: everything, for callers that decided access already).
///
/// ```
/// use loggable::report::{self, Filters, RevisionMarks};
/// use loggable::{LogContext, ObjectRef, log};
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let registry = loggable::registry::Registry::new();
/// let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
/// LogContext::system().scope(|| -> loggable::Result<()> {
///     // One user action that edited twice: the history shows the newest edit only.
///     log(&sprocket, "wagtail.edit").revision(1).write_with(&mut conn, &registry)?;
///     log(&sprocket, "wagtail.edit").revision(2).content_changed(true).write_with(&mut conn, &registry)?;
///     Ok(())
/// })?;
/// let marks = RevisionMarks { live_revision: None, latest_revision: Some(2) };
/// let history = report::object_history(&mut conn, &registry, &sprocket, None, marks, &Filters::default(), 1)?;
/// assert_eq!((history.total, history.pages), (1, 1));
/// assert_eq!(history.rows[0].entry.revision_id, Some(2));
/// assert_eq!(history.rows[0].mark.map(|m| m.label()), Some("Current draft"));
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn object_history(
    conn: &mut impl LogConnection,
    registry: &Registry,
    object: &(impl Loggable + ?Sized),
    viewer: Option<&dyn Visibility>,
    marks: RevisionMarks,
    filters: &Filters,
    page: i64,
) -> Result<ObjectHistory> {
    crate::db::with_db(conn, |conn| {
        let (table, query) = crate::log::object_query(registry, object)?;
        let mut query = query.grouped();
        query.conditions = filters.conditions();
        // What the viewer may see, resolved once for the count, the page and the choices.
        let restriction = table.restriction(conn, viewer, true)?;
        let total = table.count_restricted(conn, &query, &restriction)?;
        let pages = ((total + OBJECT_HISTORY_PAGE_SIZE - 1) / OBJECT_HISTORY_PAGE_SIZE).max(1);
        let page = page.clamp(1, pages);
        let rows = table
            .read_restricted(
                conn,
                &query.clone().page(page, OBJECT_HISTORY_PAGE_SIZE),
                &restriction,
            )?
            .into_iter()
            .map(|entry| HistoryRow {
                mark: marks.mark(&entry),
                entry,
            })
            .collect();
        let found = table.choices_restricted(conn, &query, &restriction)?;
        let choices = choices_of(conn, registry, vec![found])?;
        Ok(ObjectHistory {
            rows,
            page,
            pages,
            total,
            choices,
        })
    })
}

/// One field an edit changed (`data.changes`), as a history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// Its old and new values as text (`(none)` for null); `None` for a redacted field, shown
    /// as changed without its values.
    pub values: Option<(String, String)>,
}

impl std::fmt::Display for FieldChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.values {
            Some((old, new)) => write!(f, "{}: {old} → {new}", self.field),
            None => write!(f, "{}: changed", self.field),
        }
    }
}

/// The fields `entry` records as changed, in the order stored.
///
/// ```
/// use loggable::{ObjectRef, log};
/// use loggable::report::field_changes;
///
/// let registry = loggable::registry::Registry::new();
/// let entry = log(&ObjectRef::new("shop.sprocket", 1).title("S"), "wagtail.edit")
///     .data(serde_json::json!({"changes": {
///         "teeth": [12, 14],
///         "secret": ["[redacted]", "[redacted]"],
///     }}))
///     .prepare(&registry)?
///     .1
///     .into_entry(1, "loggable_model_log_entries");
/// let shown: Vec<String> = field_changes(&entry).iter().map(ToString::to_string).collect();
/// assert!(shown.contains(&"teeth: 12 → 14".to_owned()));
/// assert!(shown.contains(&"secret: changed".to_owned()));
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn field_changes(entry: &LogEntry) -> Vec<FieldChange> {
    let Some(changes) = entry.data.get("changes").and_then(Value::as_object) else {
        return Vec::new();
    };
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    };
    let redacted = Value::String("[redacted]".to_owned());
    changes
        .iter()
        .map(|(field, values)| {
            let values = match values.as_array().map(Vec::as_slice) {
                Some([old, new]) if !(*old == redacted && *new == redacted) => {
                    Some((text(old), text(new)))
                }
                _ => None,
            };
            FieldChange {
                field: field.clone(),
                values,
            }
        })
        .collect()
}

/// When `at` was, as a history shows it: in `zone`, to the minute, and how long before `now`
/// (`2026-11-27 09:14 (5 min ago)`, `(just now)`, `(in 2 h)` for a time ahead of `now`).
///
/// ```
/// use chrono::{TimeZone, Utc};
///
/// let at = Utc.with_ymd_and_hms(2026, 11, 27, 9, 14, 0).unwrap();
/// let now = at + chrono::Duration::minutes(5);
/// assert_eq!(loggable::report::relative_time(at, now, &Utc), "2026-11-27 09:14 (5 min ago)");
/// ```
pub fn relative_time<Tz: TimeZone>(at: DateTime<Utc>, now: DateTime<Utc>, zone: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let local = at.with_timezone(zone).format("%Y-%m-%d %H:%M");
    let seconds = (now - at).num_seconds();
    let (amount, future) = (seconds.unsigned_abs(), seconds < 0);
    let span = match amount {
        0..60 => return format!("{local} (just now)"),
        60..3_600 => format!("{} min", amount / 60),
        3_600..86_400 => format!("{} h", amount / 3_600),
        _ => format!("{} d", amount / 86_400),
    };
    if future {
        format!("{local} (in {span})")
    } else {
        format!("{local} ({span} ago)")
    }
}
