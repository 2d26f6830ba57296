//! Create, update and delete: the change and its entry in one transaction.

use std::sync::Arc;

use diesel::QueryResult;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::LogConnection;
use crate::entry::{LogBuilder, LogEntry, log};
use crate::error::{DatabaseContext, Error, Result};
use crate::model::{DraftState, Loggable};
use crate::registry::{self, Registry};
use crate::revision::{self, Revision};
use crate::user_id::UserId;

/// A derived model: its type name, key, and how its versions compare; `#[derive(Loggable)]`
/// implements this for models with a Diesel table. Library code builds every lifecycle
/// operation on it and [`ModelStore`].
pub trait Model: Loggable + Sized {
    /// The type name entries record (see [`Loggable::content_type`]).
    const CONTENT_TYPE: &'static str;

    /// The primary key type.
    type Key: Clone + ToString + std::str::FromStr;

    /// The primary key.
    fn key(&self) -> Self::Key;

    /// `{"field": [old, new]}` for each field that differs (skipped fields left out, redacted
    /// ones shown as `"[redacted]"`).
    fn field_changes(old: &Self, new: &Self) -> Map<String, Value>;

    /// The published title the rename rule compares (default: the entry title).
    fn live_title(&self) -> Option<String> {
        self.log_title()
    }

    /// The JSON a revision stores, when the model keeps revisions.
    fn revision_content(&self) -> Option<serde_json::Result<Value>> {
        None
    }

    /// The draft-state columns, when the model has them.
    fn draft_state(&self) -> Option<DraftState> {
        None
    }

    /// The lock columns, when the model is lockable.
    fn lock_state(&self) -> Option<crate::model::LockState> {
        None
    }
}

/// The statements a derived model runs on a connection of type `C`; `#[derive(Loggable)]`
/// implements it for every connection the model's statements compile for (a model with
/// PostgreSQL-only column types, for `PgConnection` and what wraps one).
pub trait ModelStore<C: ?Sized>: Model {
    /// The stored row with `key`.
    fn find(conn: &mut C, key: &Self::Key) -> QueryResult<Option<Self>>;

    /// The stored rows with these keys.
    fn find_many(conn: &mut C, keys: &[Self::Key]) -> QueryResult<Vec<Self>>;

    /// Writes every column of `self` to its row; returns the rows changed.
    fn save_row(&self, conn: &mut C) -> QueryResult<usize>;

    /// Deletes the rows with these keys; returns how many went.
    fn delete_rows(conn: &mut C, keys: &[Self::Key]) -> QueryResult<usize>;

    /// Records `revision_id` as the row's latest revision (draft-state models; others keep no
    /// such column).
    fn record_latest_revision(
        _conn: &mut C,
        _key: &Self::Key,
        _revision_id: i64,
    ) -> QueryResult<()> {
        Ok(())
    }
}

/// An insertable that creates a row of `M` on a connection of type `C`; `#[derive(Loggable)]`
/// implements it for `&T` of the model's `new = T` type.
pub trait NewRow<C: ?Sized, M> {
    /// Inserts the row and returns it as stored.
    fn insert_row(self, conn: &mut C) -> QueryResult<M>;
}

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
    /// differ, and content changed exactly when some do.
    pub(crate) fn edit_entry<'a, M: Model>(
        &self,
        old: &M,
        new: &'a M,
    ) -> Result<LogBuilder<'a, M>> {
        let changes = M::field_changes(old, new);
        let changed = !changes.is_empty();
        let mut data = Map::new();
        if changed {
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

    /// Writes one entry of the operation unless logging is suppressed.
    pub(crate) fn write<O: Loggable + ?Sized, C: LogConnection>(
        &self,
        conn: &mut C,
        builder: LogBuilder<'_, O>,
    ) -> Result<Option<LogEntry>> {
        if self.suppress {
            return Ok(None);
        }
        builder
            .write_with(&self.registry_or_global(), conn)
            .map(Some)
    }
}

pub(crate) use crate::db::transaction as in_transaction;

/// Saves a revision of `row` when the model keeps revisions.
pub(crate) fn save_revision<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    row: &M,
    user: Option<UserId>,
) -> Result<Option<Revision>> {
    let Some(content) = row.revision_content() else {
        return Ok(None);
    };
    let content = content.map_err(|e| Error::Revision {
        revision_id: None,
        reason: format!("the model cannot be serialised: {e}"),
    })?;
    let object_id = row.key().to_string();
    revision::save(conn, M::CONTENT_TYPE, &object_id, &content, user).map(Some)
}

/// Inserts a row with `insert` and logs `wagtail.create` (content_changed; the new revision
/// if the model keeps revisions), then `wagtail.publish` if the row was created live.
pub fn create<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    options: &LogOptions,
    insert: impl FnOnce(&mut C) -> QueryResult<M>,
) -> Result<M> {
    in_transaction(conn, |conn| {
        let row = insert(conn).context("creating the object")?;
        let revision = save_revision(conn, &row, options.acting_user())?;
        let row = match &revision {
            Some(revision) if row.draft_state().is_some() => {
                M::record_latest_revision(conn, &row.key(), revision.id)
                    .context("recording the first revision")?;
                find::<M, _>(conn, &row.key())?
            }
            _ => row,
        };
        let entry = options
            .entry(&row, "wagtail.create", true, Map::new())?
            .content_changed(true);
        options.write(conn, entry.revision_if_any(revision.as_ref().map(|r| r.id)))?;
        let created_live = row.draft_state().is_some_and(|state| state.live);
        if created_live {
            let publish = options
                .entry(&row, "wagtail.publish", false, Map::new())?
                .content_changed(true);
            options.write(
                conn,
                publish.revision_if_any(revision.as_ref().map(|r| r.id)),
            )?;
        }
        Ok(row)
    })
}

/// Saves `new` over its stored row and logs `wagtail.edit` with `data.changes`; reads the
/// stored row first to compare (use [`update_from`] when you hold it already).
pub fn update<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    new: &M,
    options: &LogOptions,
) -> Result<()> {
    in_transaction(conn, |conn| {
        // Read in this transaction: its lock is current, no second read needed.
        let old = find::<M, _>(conn, &new.key())?;
        check_lock(&old, options)?;
        save_over(conn, &old, new, options)
    })
}

/// Saves `new` over `old` (the row as stored) and logs `wagtail.edit`: content_changed when a
/// field changed, `data.changes = {"field": [old, new]}`, the new revision if the model keeps
/// revisions.
pub fn update_from<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old: &M,
    new: &M,
    options: &LogOptions,
) -> Result<()> {
    in_transaction(conn, |conn| {
        check_stored_locks(conn, std::slice::from_ref(old), options)?;
        save_over(conn, old, new, options)
    })
}

/// Saves `new` over `old` and logs the edit; the caller has checked the lock.
fn save_over<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old: &M,
    new: &M,
    options: &LogOptions,
) -> Result<()> {
    let saved = new.save_row(conn).context("updating the object")?;
    if saved == 0 {
        return Err(not_found(new));
    }
    let revision = save_revision(conn, new, options.acting_user())?;
    let entry = options.edit_entry(old, new)?;
    options.write(conn, entry.revision_if_any(revision.as_ref().map(|r| r.id)))?;
    Ok(())
}

/// Logs `wagtail.delete` (deleted = true) and then deletes the row, in one transaction.
pub fn delete<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    row: &M,
    options: &LogOptions,
) -> Result<()> {
    in_transaction(conn, |conn| {
        check_stored_locks(conn, std::slice::from_ref(row), options)?;
        options.write(conn, options.delete_entry(row)?)?;
        let deleted = M::delete_rows(conn, &[row.key()]).context("deleting the object")?;
        if deleted == 0 {
            return Err(not_found(row));
        }
        Ok(())
    })
}

/// The stored row with `key`, or [`Error::NotFound`].
pub fn find<M: ModelStore<C>, C: LogConnection>(conn: &mut C, key: &M::Key) -> Result<M> {
    M::find(conn, key)
        .context("reading the object")?
        .ok_or_else(|| Error::NotFound {
            content_type: M::CONTENT_TYPE.to_owned(),
            object_id: key.to_string(),
        })
}

/// Refuses to change `row` while a user other than the acting one holds its lock, unless the
/// options override the lock. The acting user is the one the options name explicitly: the
/// log context only attributes entries and never unlocks anything.
pub(crate) fn check_lock<M: Model>(row: &M, options: &LogOptions) -> Result<()> {
    let Some(lock) = row.lock_state() else {
        return Ok(());
    };
    if !lock.locked || options.override_lock {
        return Ok(());
    }
    if lock.locked_by.is_some() && lock.locked_by == options.user {
        return Ok(());
    }
    Err(Error::Locked {
        content_type: row.content_type().into_owned(),
        object_id: row.key().to_string(),
        holder: lock.locked_by,
    })
}

/// [`check_lock`] on the rows as stored, read with one query (a lockable model's copies in
/// hand may be stale); nothing is read for models without a lock or when overriding.
pub(crate) fn check_stored_locks<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    rows: &[M],
    options: &LogOptions,
) -> Result<()> {
    if options.override_lock || rows.iter().all(|row| row.lock_state().is_none()) {
        return Ok(());
    }
    let keys: Vec<M::Key> = rows.iter().map(Model::key).collect();
    let stored = M::find_many(conn, &keys).context("reading the objects' locks")?;
    stored.iter().try_for_each(|row| check_lock(row, options))
}

pub(crate) fn not_found<M: Model>(row: &M) -> Error {
    Error::NotFound {
        content_type: row.content_type().into_owned(),
        object_id: row.key().to_string(),
    }
}
