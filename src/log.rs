//! Writing an entry by hand ([`log`]) and reading an object's entries, with a registry: the
//! registry says which actions exist and which table an object's entries go to.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::context::LogContext;
use crate::db::{DbConnection, LogConnection};
use crate::entry::{
    EntryQuery, EntryScope, LogEntry, LogTable, MAX_OBJECT_ID_CHARS, NewLogEntry, next_timestamp,
    truncate_label, truncate_to_micros,
};
use crate::error::{Error, JsonKind, Result};
use crate::object::{Loggable, default_label};
use crate::registry::{self, Registry};
use crate::user_id::UserId;

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
    /// The acting user, for the operations whose [`LogOptions`](crate::model::LogOptions)
    /// name one explicitly; everything else takes the log context's.
    pub(crate) fn user(mut self, user: impl Into<UserId>) -> Self {
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
    pub fn prepare(self, registry: &Registry) -> Result<(LogTable, NewLogEntry)> {
        crate::registry::check_code(&self.action)?;
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
        self.write_with(conn, &registry::global())
    }

    /// Writes the entry with `registry`; one INSERT, and no table is read.
    pub fn write_with(
        self,
        conn: &mut impl LogConnection,
        registry: &Registry,
    ) -> Result<LogEntry> {
        let (table, entry) = self.prepare(registry)?;
        write_prepared(conn, registry, table, entry)
    }
}

/// Writes an entry [`LogBuilder::prepare`] checked, with its table's write hook, if any.
pub(crate) fn write_prepared(
    conn: &mut (impl LogConnection + ?Sized),
    registry: &Registry,
    table: LogTable,
    entry: NewLogEntry,
) -> Result<LogEntry> {
    let hook = registry.write_hook(table.name()).map(|hook| &**hook);
    // Through a BufferedLog, an entry without a write hook waits to go in with others.
    if hook.is_none()
        && let Some((buffer, backend)) = conn.deferred_writes().and_then(crate::entry::log_buffer)
    {
        return buffer.take(backend, table, entry);
    }
    crate::db::with_db(conn, |conn| table.write_one(conn, entry, hook))
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
    table.read(conn, &query, None)
}

/// The table `object`'s entries live in and the (ungrouped, unfiltered) query for them.
pub(crate) fn object_query(
    registry: &Registry,
    object: &(impl Loggable + ?Sized),
) -> Result<(LogTable, EntryQuery)> {
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
        registry.log_table_for(content_type).read(
            conn,
            &EntryQuery::new(EntryScope::ContentType(content_type.to_owned())),
            None,
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
        let tables = registry.all_log_tables(conn)?;
        crate::entry::merge_tables(
            conn,
            &tables,
            &EntryQuery::new(EntryScope::User(user)),
            None,
        )
    })
}
