//! [`LogOptions`]: the per-call choices of a lifecycle operation, and the entries it writes
//! with them.

use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

use super::Model;
use crate::db::LogConnection;
use crate::entry::LogEntry;
use crate::error::{Error, Result};
use crate::log::{LogBuilder, log};
use crate::object::Loggable;
use crate::registry::{self, Registry};
use crate::user_id::UserId;

/// Per-call choices for a lifecycle operation: suppress its logging, name another action,
/// or give user, uuid, data or a registry explicitly (else the log context and the global
/// registry supply them).
///
/// ```
/// use loggable::model::LogOptions;
/// use serde_json::json;
///
/// let copy = LogOptions::new().action("wagtail.copy").user(3).data(json!({"source": 1}));
/// let quiet = LogOptions::new().suppress();
/// # let _ = (copy, quiet);
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub(crate) suppress: bool,
    pub(crate) action: Option<String>,
    pub(crate) user: Option<UserId>,
    pub(crate) uuid: Option<Uuid>,
    pub(crate) data: Option<Value>,
    pub(crate) registry: Option<Arc<Registry>>,
    pub(crate) override_lock: bool,
    pub(crate) content_changed: Option<bool>,
}

impl LogOptions {
    /// Log as usual.
    pub fn new() -> Self {
        Self::default()
    }

    /// Make the change without logging it.
    pub fn suppress(mut self) -> Self {
        self.suppress = true;
        self
    }

    /// Log the operation's main entry under `action` instead of its usual one.
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// Acts on a locked object whoever holds the lock (an administrator's edit or unlock);
    /// the entries are written as usual.
    pub fn override_lock(mut self) -> Self {
        self.override_lock = true;
        self
    }

    /// The acting user: whom the entries name (default: the context's), and who may act on
    /// an object they locked.
    pub fn user(mut self, user: impl Into<UserId>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The uuid grouping the entries (default: the context's).
    pub fn uuid(mut self, uuid: Uuid) -> Self {
        self.uuid = Some(uuid);
        self
    }

    /// Extra data merged over the operation's own data (must be a JSON object).
    pub fn data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Whether the operation's main entry records a content change, for a caller who knows
    /// better than the operation's own rule (an edit compares fields; publishing counts as a
    /// change). Wagtail's `save_revision(changed=...)`: e.g. a draft saved only to attach a
    /// comment changes nothing.
    ///
    /// ```
    /// use loggable::model::LogOptions;
    ///
    /// let comment_only = LogOptions::new().content_changed(false);
    /// # let _ = comment_only;
    /// ```
    pub fn content_changed(mut self, changed: bool) -> Self {
        self.content_changed = Some(changed);
        self
    }

    /// The registry to validate against (default: the global one).
    pub fn registry(mut self, registry: Arc<Registry>) -> Self {
        self.registry = Some(registry);
        self
    }

    pub(crate) fn registry_or_global(&self) -> Arc<Registry> {
        self.registry.clone().unwrap_or_else(registry::global)
    }

    /// The acting user: the given one, else the context's.
    pub(crate) fn acting_user(&self) -> Option<UserId> {
        self.user
            .clone()
            .or_else(|| crate::LogContext::current().and_then(|c| c.user()))
    }

    /// The `wagtail.edit` entry of `new` replacing `old`: `data.changes` with the fields that
    /// differ, and content changed when some do, or `always_changed` (a first revision), unless
    /// the caller said otherwise.
    pub(crate) fn edit_entry<'a, M: Model>(
        &self,
        old: &M,
        new: &'a M,
        always_changed: bool,
    ) -> Result<LogBuilder<'a, M>> {
        let changes = M::field_changes(old, new).into_map();
        let changed = self
            .content_changed
            .unwrap_or(always_changed || !changes.is_empty());
        let mut data = Map::new();
        if !changes.is_empty() {
            data.insert("changes".to_owned(), Value::Object(changes));
        }
        Ok(self
            .entry(new, "wagtail.edit", true, data)?
            .content_changed(changed))
    }

    /// The `wagtail.delete` entry of `row` (deleted = true), written before the row goes.
    pub(crate) fn delete_entry<'a, O: Loggable + ?Sized>(
        &self,
        row: &'a O,
    ) -> Result<LogBuilder<'a, O>> {
        Ok(self
            .entry(row, "wagtail.delete", true, Map::new())?
            .deleted(true))
    }

    /// The entry builder for one of the operation's entries; `main` entries take the
    /// caller's action instead of `action`.
    pub(crate) fn entry<'a, O: Loggable + ?Sized>(
        &self,
        object: &'a O,
        action: &str,
        main: bool,
        data: Map<String, Value>,
    ) -> Result<LogBuilder<'a, O>> {
        let action = match (&self.action, main) {
            (Some(own), true) => own.clone(),
            _ => action.to_owned(),
        };
        let mut data = data;
        match &self.data {
            None => {}
            Some(Value::Object(extra)) => {
                data.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Some(other) => {
                return Err(Error::DataNotObject(
                    crate::JsonKind::of(other).unwrap_or(crate::JsonKind::Null),
                ));
            }
        }
        let mut builder = log(object, action).data(Value::Object(data));
        if let Some(user) = &self.user {
            builder = builder.user(user.clone());
        }
        if let Some(uuid) = self.uuid {
            builder = builder.uuid(uuid);
        }
        Ok(builder)
    }

    /// Whether an entry about `object` goes in with one plain INSERT (or not at all): no write
    /// hook on its table, which could refuse it after the change is written.
    pub(crate) fn writes_plainly<O: Loggable + ?Sized>(&self, object: &O) -> bool {
        if self.suppress {
            return true;
        }
        let registry = self.registry_or_global();
        registry
            .write_hook(registry.log_table_of(object).name())
            .is_none()
    }

    /// One entry of the operation checked against the registry, ready to write; `None` when
    /// logging is suppressed. Operations that must not fail between their writes check their
    /// entries this way before the first one.
    pub(crate) fn prepare<O: Loggable + ?Sized>(
        &self,
        builder: LogBuilder<'_, O>,
    ) -> Result<Option<PreparedEntry>> {
        if self.suppress {
            return Ok(None);
        }
        let registry = self.registry_or_global();
        let (table, entry) = builder.prepare(&registry)?;
        Ok(Some(PreparedEntry {
            table,
            entry,
            registry,
        }))
    }

    /// Writes one entry of the operation unless logging is suppressed.
    pub(crate) fn write<O: Loggable + ?Sized, C: LogConnection>(
        &self,
        conn: &mut C,
        builder: LogBuilder<'_, O>,
    ) -> Result<Option<LogEntry>> {
        self.prepare(builder)?
            .map(|entry| entry.write(conn, None))
            .transpose()
    }
}

/// An entry checked against its registry ([`LogOptions::prepare`]), written later.
pub(crate) struct PreparedEntry {
    table: crate::entry::LogTable,
    entry: crate::entry::NewLogEntry,
    registry: Arc<Registry>,
}

impl PreparedEntry {
    /// Writes it, about `revision` when there is one: one INSERT (with the table's write hook,
    /// if any, around it).
    pub(crate) fn write<C: LogConnection>(
        self,
        conn: &mut C,
        revision: Option<i64>,
    ) -> Result<LogEntry> {
        let Self {
            table,
            mut entry,
            registry,
        } = self;
        if revision.is_some() {
            entry.revision_id = revision;
        }
        crate::log::write_prepared(conn, &registry, table, entry)
    }

    /// Whether its table has no write hook in the registry it was checked with: it may go in
    /// with a plain INSERT ([`write_after`](Self::write_after)).
    #[cfg(feature = "postgres")]
    pub(crate) fn writes_plainly(&self) -> bool {
        self.registry.write_hook(self.table.name()).is_none()
    }

    /// Writes it on PostgreSQL in one statement after `before` (the change: common table
    /// expressions and the one the row is selected from, so it goes in once if that yields a
    /// row). Only for a table without a write hook ([`writes_plainly`](Self::writes_plainly)).
    /// Returns its id, or `None` when it did not go in.
    #[cfg(feature = "postgres")]
    pub(crate) fn write_after(
        self,
        conn: &mut diesel::PgConnection,
        before: (
            &dyn diesel::query_builder::QueryFragment<diesel::pg::Pg>,
            &'static str,
        ),
    ) -> Result<Option<i64>> {
        self.table.insert_then(
            conn,
            &self.entry,
            Some(before),
            None,
            "updating the object and writing its entry",
        )
    }
}
