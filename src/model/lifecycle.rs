//! Create, update and delete: the change and its entry in one transaction; and
//! [`Lifecycle`], the trait that gives a derived model these operations.

use diesel::QueryResult;
use serde_json::Map;

use super::{ChangeRows, Deletable, FilterRows, LogOptions, Model, ModelStore, NewRow};
use crate::db::LogConnection;
use crate::error::{DatabaseContext, Error, Result};
use crate::revision::{self, Revision};
use crate::user_id::UserId;

pub(crate) use crate::db::retrying_transaction as in_transaction;

/// Saves a revision of `row` when the model keeps revisions.
pub(crate) fn save_revision<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    row: &M,
    user: Option<UserId>,
) -> Result<Option<Revision>> {
    let Some(content) = revision_content(row)? else {
        return Ok(None);
    };
    let object_id = row.key().to_string();
    revision::save(conn, M::CONTENT_TYPE, &object_id, &content, user).map(Some)
}

/// The error of a model whose revision content cannot be serialised.
fn unserialisable(error: serde_json::Error) -> Error {
    Error::Revision {
        revision_id: None,
        reason: format!("the model cannot be serialised: {error}"),
    }
}

/// Inserts a row with `insert` and logs `wagtail.create` (content_changed; the new revision
/// if the model keeps revisions), then `wagtail.publish` if the row was created live.
pub(crate) fn create<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    options: &LogOptions,
    mut insert: impl FnMut(&mut C) -> QueryResult<M>,
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
/// stored row first to compare (`update_from` when the caller holds it already).
pub(crate) fn update<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    new: &M,
    options: &LogOptions,
) -> Result<()> {
    let revision_content = revision_content(new)?;
    crate::db::atomically(conn, options.writes_plainly(new), |conn| {
        // Read in this transaction: its lock is current, no second read needed.
        let old = find::<M, _>(conn, &new.key())?;
        check_lock(&old, options)?;
        save_over(conn, &old, new, options, revision_content)
    })
}

/// Saves `new` over `old` (the row as stored) and logs `wagtail.edit`: content_changed when a
/// field changed, `data.changes = {"field": [old, new]}`, the new revision if the model keeps
/// revisions.
pub(crate) fn update_from<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old: &M,
    new: &M,
    options: &LogOptions,
) -> Result<()> {
    let revision_content = revision_content(new)?;
    // With no lock to read first, the update may be one statement (PostgreSQL), atomic by
    // itself: no transaction around it.
    #[cfg(feature = "postgres")]
    if revision_content.is_none()
        && (options.override_lock || old.lock_state().is_none())
        && super::one_statement::save(conn, old, new, options)?
    {
        return Ok(());
    }
    crate::db::atomically(conn, options.writes_plainly(new), |conn| {
        check_stored_locks(conn, std::slice::from_ref(old), options)?;
        save_over(conn, old, new, options, revision_content)
    })
}

/// What a revision of `row` stores, when the model keeps revisions.
fn revision_content<M: Model>(row: &M) -> Result<Option<serde_json::Value>> {
    row.revision_content()
        .map(|content| content.0.map_err(unserialisable))
        .transpose()
}

/// Saves `new` over `old` and logs the edit; the caller has checked the lock. Without a
/// revision to save (`revision_content`), on PostgreSQL, the UPDATE and the entry are one
/// statement where they can be. Otherwise everything that can fail before the database is
/// checked before the first write (the entry, the revision's content), so without a write
/// hook it runs without a savepoint of its own (see [`crate::db::atomically`]).
fn save_over<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old: &M,
    new: &M,
    options: &LogOptions,
    revision_content: Option<serde_json::Value>,
) -> Result<()> {
    #[cfg(feature = "postgres")]
    if revision_content.is_none() && super::one_statement::save(conn, old, new, options)? {
        return Ok(());
    }
    let entry = options.prepare(options.edit_entry(old, new, false)?)?;
    let saved = new.save_row(conn).context("updating the object")?;
    if saved == 0 {
        return Err(not_found(new));
    }
    let revision = match revision_content {
        Some(content) => Some(revision::save(
            conn,
            M::CONTENT_TYPE,
            &new.key().to_string(),
            &content,
            options.acting_user(),
        )?),
        None => None,
    };
    if let Some(entry) = entry {
        entry.write(conn, revision.map(|r| r.id))?;
    }
    Ok(())
}

/// Logs `wagtail.delete` (deleted = true) and then deletes the row, in one transaction.
pub(crate) fn delete<M: ModelStore<C>, C: LogConnection>(
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
pub(crate) fn find<M: ModelStore<C>, C: LogConnection>(conn: &mut C, key: &M::Key) -> Result<M> {
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

/// The lifecycle operations of a derived model with a table: each writes the change and its
/// entries in one transaction, on the application's connection. `#[derive(Loggable)]`
/// implements it; import it (or `loggable::prelude::*`) to call them. A model's own method of
/// the same name wins over these; call them as `Lifecycle::update(&row, ...)` then.
///
/// `options` carries the per-call choices ([`LogOptions`]: suppress, another action, the
/// acting user where authority needs one, ...); `&LogOptions::default()` logs as usual.
pub trait Lifecycle: Model {
    /// The stored row with `key`, or [`Error::NotFound`].
    fn find<C: LogConnection>(conn: &mut C, key: &Self::Key) -> Result<Self>
    where
        Self: ModelStore<C>,
    {
        find(conn, key)
    }

    /// Inserts `new` (the model's `new = Type`, by reference) and logs `wagtail.create`
    /// (then `wagtail.publish` if the row was created live).
    fn create<C: LogConnection, N: NewRow<C, Self> + Copy>(
        conn: &mut C,
        new: N,
        options: &LogOptions,
    ) -> Result<Self>
    where
        Self: ModelStore<C>,
    {
        create(conn, options, |conn| new.insert_row(conn))
    }

    /// Saves this value over its row and logs `wagtail.edit` with the changed fields; reads
    /// the stored row first to compare.
    fn update<C: LogConnection>(&self, conn: &mut C, options: &LogOptions) -> Result<()>
    where
        Self: ModelStore<C>,
    {
        update(conn, self, options)
    }

    /// [`update`](Self::update) when the caller holds the stored row `old` already (no
    /// extra read).
    fn update_over<C: LogConnection>(
        &self,
        conn: &mut C,
        old: &Self,
        options: &LogOptions,
    ) -> Result<()>
    where
        Self: ModelStore<C>,
    {
        update_from(conn, old, self, options)
    }

    /// Logs `wagtail.delete` (deleted = true) and deletes the row.
    fn delete<C: LogConnection>(&self, conn: &mut C, options: &LogOptions) -> Result<()>
    where
        Self: ModelStore<C> + Deletable,
    {
        delete(conn, self, options)
    }

    /// Deletes every row matching the Diesel `filter`, logging one `wagtail.delete` per row
    /// with multi-row INSERTs before the rows go. Returns how many rows went.
    fn delete_where<C: LogConnection, F>(
        conn: &mut C,
        filter: F,
        options: &LogOptions,
    ) -> Result<usize>
    where
        Self: FilterRows<C, F> + Deletable,
    {
        crate::db::transaction(conn, |conn| {
            let rows = Self::load_matching(conn, filter).context("finding the rows to change")?;
            super::delete_many(conn, &rows, options)
        })
    }

    /// Applies the Diesel `changes` to every row matching `filter` with one UPDATE and logs
    /// one `wagtail.edit` per row (with its changed fields) with multi-row INSERTs. Returns
    /// the rows as stored afterwards.
    fn update_where<C: LogConnection, F, U>(
        conn: &mut C,
        filter: F,
        changes: U,
        options: &LogOptions,
    ) -> Result<Vec<Self>>
    where
        Self: FilterRows<C, F> + ChangeRows<C, U>,
    {
        crate::db::transaction(conn, |conn| {
            let rows = Self::load_matching(conn, filter).context("finding the rows to change")?;
            super::update_many(conn, rows, options, move |conn, keys| {
                Self::change_rows(conn, keys, changes)
            })
        })
    }
}
