//! Set-based operations: one entry per affected row, written with multi-row INSERTs in the
//! same transaction as the change, sharing the context's uuid.

use std::collections::HashMap;

use diesel::QueryResult;

use super::lifecycle::{check_lock, check_stored_locks, in_transaction};
use super::{LogOptions, Model, ModelStore};
use crate::db::LogConnection;
use std::sync::Arc;

use crate::entry::{LogTable, NewLogEntry, WriteHook};
use crate::error::{DatabaseContext, Result};
use crate::log::LogBuilder;
use crate::object::Loggable;
use crate::registry::Registry;

/// Entries validated for [`log_bulk`], grouped by the table they go to.
#[derive(Debug, Default)]
pub struct BulkEntries {
    tables: Vec<TableEntries>,
}

/// One table's share of a [`BulkEntries`].
#[derive(Debug)]
struct TableEntries {
    table: LogTable,
    hook: Option<Arc<dyn WriteHook>>,
    entries: Vec<NewLogEntry>,
}

impl BulkEntries {
    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.tables.iter().map(|t| t.entries.len()).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Validates one more entry (in memory, against `registry`) and adds it.
    pub fn push<O: Loggable + ?Sized>(
        &mut self,
        registry: &Registry,
        builder: LogBuilder<'_, O>,
    ) -> Result<()> {
        let (table, entry) = builder.prepare(registry)?;
        match self
            .tables
            .iter_mut()
            .find(|t| t.table.name() == table.name())
        {
            Some(share) => share.entries.push(entry),
            None => self.tables.push(TableEntries {
                hook: registry.write_hook(table.name()).cloned(),
                table,
                entries: vec![entry],
            }),
        }
        Ok(())
    }
}

/// Validates many entries at once; nothing is written until [`log_bulk`].
pub fn prepare_bulk<'a, O: Loggable + ?Sized + 'a>(
    registry: &Registry,
    builders: impl IntoIterator<Item = LogBuilder<'a, O>>,
) -> Result<BulkEntries> {
    let mut bulk = BulkEntries::default();
    for builder in builders {
        bulk.push(registry, builder)?;
    }
    Ok(bulk)
}

/// Writes prepared entries with multi-row INSERTs (one per table and chunk); returns how
/// many were written.
pub fn log_bulk<C: LogConnection>(conn: &mut C, entries: &BulkEntries) -> Result<usize> {
    crate::db::with_db(conn, |conn| {
        in_transaction(conn, |conn| {
            let mut written = 0;
            for share in &entries.tables {
                written += share
                    .table
                    .write_many(conn, &share.entries, share.hook.as_deref())?;
            }
            Ok(written)
        })
    })
}

/// One `wagtail.delete` entry (deleted = true) per row with one multi-row INSERT, unless
/// `options` suppress logging. Call it before the rows go.
pub(crate) fn log_deletes<O: Loggable, C: LogConnection>(
    conn: &mut C,
    rows: &[O],
    options: &LogOptions,
) -> Result<()> {
    if options.suppress {
        return Ok(());
    }
    let registry = options.registry_or_global();
    let mut bulk = BulkEntries::default();
    for row in rows {
        bulk.push(&registry, options.delete_entry(row)?)?;
    }
    log_bulk(conn, &bulk).map(drop)
}

/// Deletes `rows`: one `wagtail.delete` entry per row (deleted = true), all written before
/// the rows go, then one DELETE; one transaction.
pub(crate) fn delete_many<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    rows: &[M],
    options: &LogOptions,
) -> Result<usize> {
    in_transaction(conn, |conn| {
        check_stored_locks(conn, rows, options)?;
        log_deletes(conn, rows, options)?;
        let keys: Vec<M::Key> = rows.iter().map(Model::key).collect();
        M::delete_rows(conn, &keys).context("deleting objects")
    })
}

/// Runs `update` (a set-based UPDATE of the rows with the given keys) over `old_rows`, reads
/// the rows back, and writes one `wagtail.edit` entry per row with its `data.changes`; one
/// transaction. Returns the rows as stored after the update.
pub(crate) fn update_many<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    old_rows: Vec<M>,
    options: &LogOptions,
    update: impl FnOnce(&mut C, &[M::Key]) -> QueryResult<usize>,
) -> Result<Vec<M>> {
    // Called inside the transaction that read `old_rows`, so never run again on its own.
    crate::db::transaction(conn, |conn| {
        let keys: Vec<M::Key> = old_rows.iter().map(Model::key).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // The rows were read in this transaction: their locks are current.
        for row in &old_rows {
            check_lock(row, options)?;
        }
        update(conn, &keys).context("updating objects")?;
        let new_rows = M::find_many(conn, &keys).context("reading updated objects")?;
        if !options.suppress {
            let old_by_key: HashMap<String, &M> = old_rows
                .iter()
                .map(|row| (row.key().to_string(), row))
                .collect();
            let registry = options.registry_or_global();
            let mut bulk = BulkEntries::default();
            for new in &new_rows {
                let Some(old) = old_by_key.get(&new.key().to_string()) else {
                    continue;
                };
                bulk.push(&registry, options.edit_entry(*old, new, false)?)?;
            }
            log_bulk(conn, &bulk)?;
        }
        Ok(new_rows)
    })
}
