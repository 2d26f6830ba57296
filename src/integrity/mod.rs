//! Tamper evidence: an opt-in SHA-256 hash chain per log table, and the walk that verifies it.
//!
//! Each chained entry gets a link: the SHA-256 of the entry's canonical content (every field
//! but its id, `data` as JSON with sorted keys) and the chain hash
//! `SHA-256(previous chain hash || content hash)`. The head of each chain is a row that every
//! appender locks first (`UPDATE ... SET seq = seq`) inside the entry's own transaction, so
//! appends from any number of processes are serialised by the database, and entry ids grow
//! along the chain.
//!
//! Turn it on with [`enable`] (once, in the database: it also chains the entries already
//! there) and [`HashChain`] set as the table's write hook (in every process that writes the
//! table). A write that skips the chain shows up in [`verify`] as an inserted
//! entry: loud, never silent.
//!
//! A keyed chain ([`HashChain::keyed`], [`ChainKey`]) computes links as HMAC-SHA-256 under a
//! secret the database never holds, so a writer of the database without the key cannot
//! rebuild the chain over changed entries. [`verify_registry`] verifies every table with the
//! chain its registry sets, and fails a table that should be chained and is not.
//!
//! ```
//! use std::sync::Arc;
//! use loggable::{ObjectRef, integrity, log};
//! use loggable::entry::MODEL_LOG;
//!
//! let mut conn = loggable::db::connect(":memory:")?;
//! loggable::db::run_migrations(&mut conn)?;
//! let mut registry = loggable::registry::Registry::new();
//! registry.set_write_hook(MODEL_LOG.name(), Arc::new(integrity::HashChain::new()));
//! integrity::enable(&mut conn, &MODEL_LOG)?;
//! for n in 0..3 {
//!     log(&ObjectRef::new("shop.sprocket", n).title("S"), "wagtail.edit").write_with(&mut conn, &registry)?;
//! }
//! let report = integrity::verify(&mut conn, &MODEL_LOG)?;
//! assert_eq!((report.links, report.problem), (3, None));
//! # Ok::<(), loggable::Error>(())
//! ```

use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::{DbConnection, LogConnection};
use crate::entry::{LogEntry, LogTable, NewLogEntry, WriteHook};
use crate::error::{DatabaseContext, Result};
use crate::schema::{log_chain, log_chain_heads};
use crate::user_id::UserId;

mod head_statements;
mod key;
#[cfg(feature = "postgres")]
mod single_write;
mod verify;

use self::key::link_hash;
use self::verify::links_after;

pub use self::key::ChainKey;
pub use self::verify::{
    Anchor, Problem, Report, VerifyOptions, verify, verify_against, verify_registry, verify_with,
};

/// The chain hash before the first link.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Links read per round trip while verifying.
const VERIFY_CHUNK: i64 = 5_000;

/// The head of a chain, locked for the current transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Head {
    table: &'static str,
    seq: i64,
    chain_hash: String,
    /// The purge checkpoint: links up to here are gone.
    base_seq: i64,
    /// The key the chain is made with ([`ChainKey`]'s id), if any.
    key_id: Option<String>,
}

/// Starts the plain (unkeyed) chain of `table`: [`HashChain::enable`] of [`HashChain::new`].
pub fn enable(conn: &mut impl LogConnection, table: &LogTable) -> Result<()> {
    HashChain::new().enable(conn, table)
}

/// Locks the chain head of `table` for the current transaction, or `None` when the table has
/// no chain. Call it before inserting, so ids grow along the chain.
fn lock_head(conn: &mut DbConnection, table: &'static str) -> Result<Option<Head>> {
    let columns = (
        log_chain_heads::seq,
        log_chain_heads::chain_hash,
        log_chain_heads::base_seq,
        log_chain_heads::key_id,
    );
    let head: Option<(i64, String, i64, Option<String>)> = match conn {
        // Locks the head row until the transaction ends: every appender queues here.
        #[cfg(feature = "postgres")]
        DbConnection::Postgresql(pg) => log_chain_heads::table
            .filter(log_chain_heads::log_table.eq(table))
            .select(columns)
            .for_update()
            .first(pg)
            .optional(),
        // InnoDB's locking read sees the latest committed head, whatever the transaction's
        // snapshot (REPEATABLE READ), and holds the row until the transaction ends.
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(mysql) => log_chain_heads::table
            .filter(log_chain_heads::log_table.eq(table))
            .select(columns)
            .for_update()
            .first(mysql)
            .optional(),
        // SQLite has no row locks: a no-op UPDATE takes the database's write lock first, so
        // the transaction never has to upgrade a read lock (which fails under concurrency
        // instead of waiting); RETURNING reads the head in the same statement.
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(sqlite) => {
            diesel::update(log_chain_heads::table.filter(log_chain_heads::log_table.eq(table)))
                .set(log_chain_heads::seq.eq(log_chain_heads::seq))
                .returning(columns)
                .get_result(sqlite)
                .optional()
        }
    }
    .context("locking the chain head")?;
    Ok(head.map(|(seq, chain_hash, base_seq, key_id)| Head {
        table,
        seq,
        chain_hash,
        base_seq,
        key_id,
    }))
}

/// Locks the head of a table this process chains (see [`HashChain`]). A table without a chain
/// is an error rather than an unchained write: [`enable`] has not run (or has not committed
/// yet), and an entry written now could never be chained afterwards.
fn require_head(conn: &mut DbConnection, table: &'static str) -> Result<Head> {
    lock_head(conn, table)?.ok_or(crate::Error::ChainNotStarted { table })
}

/// Appends links for `entries` (as stored, in insertion order) after `head`, and moves the
/// head. Runs inside the transaction that holds the head's lock.
fn append(
    conn: &mut DbConnection,
    head: &mut Head,
    key: Option<&ChainKey>,
    entries: &[LogEntry],
) -> Result<()> {
    let mut links = Vec::with_capacity(entries.len());
    for entry in entries {
        let content_hash = content_hash(entry);
        let chain_hash = link_hash(key, &head.chain_hash, &content_hash);
        head.seq += 1;
        links.push((
            log_chain::log_table.eq(head.table),
            log_chain::seq.eq(head.seq),
            log_chain::entry_id.eq(entry.id),
            log_chain::content_hash.eq(content_hash),
            log_chain::chain_hash.eq(chain_hash.clone()),
        ));
        head.chain_hash = chain_hash;
    }
    for chunk in links.chunks(crate::entry::INSERT_CHUNK_ROWS) {
        let inserted = match chunk {
            // One link (a single write's) goes in as one row, not a batch: Diesel caches that
            // statement, where it calls every multi-row INSERT uncacheable.
            [link] => {
                let insert = diesel::insert_into(log_chain::table).values(link);
                crate::db::on_backend_connection!(conn, |c| insert.execute(c))
            }
            _ => {
                let insert = diesel::insert_into(log_chain::table).values(chunk);
                crate::db::on_backend_connection!(conn, |c| insert.execute(c))
            }
        };
        inserted.context("appending to the chain")?;
    }
    head_statements::MoveHead {
        table: head.table,
        seq: head.seq,
        chain_hash: &head.chain_hash,
    }
    .execute(conn)
    .context("moving the chain head")?;
    Ok(())
}

/// The write hook that extends a table's hash chain: set it on the registry of every process
/// that writes the table, after [`HashChain::enable`] ran once.
///
/// Each write takes the chain head's lock before its rows go in, so entry ids grow along the
/// chain, and appends the rows' links after them, in the write's transaction.
///
/// ```
/// use std::sync::Arc;
/// use loggable::integrity::{ChainKey, HashChain};
/// use loggable::entry::MODEL_LOG;
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// // In production, e.g. ChainKey::from_env("LOGGABLE_CHAIN_KEY")?.
/// let chain = HashChain::keyed(ChainKey::new("0123456789abcdef0123456789abcdef")?);
/// chain.enable(&mut conn, &MODEL_LOG)?;
/// let mut registry = loggable::registry::Registry::new();
/// registry.set_write_hook(MODEL_LOG.name(), Arc::new(chain));
/// let reports = loggable::integrity::verify_registry(&mut conn, &registry)?;
/// assert!(reports.iter().all(|report| report.problem.is_none()));
/// # Ok::<(), loggable::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct HashChain {
    key: Option<ChainKey>,
}

impl HashChain {
    /// A plain chain: links are SHA-256 hashes (see the module docs for what that catches).
    pub fn new() -> Self {
        Self::default()
    }

    /// A keyed chain: links are HMAC-SHA-256 under `key`.
    pub fn keyed(key: ChainKey) -> Self {
        Self { key: Some(key) }
    }

    /// The key, for a keyed chain.
    pub fn key(&self) -> Option<&ChainKey> {
        self.key.as_ref()
    }

    /// Starts the chain of `table` (nothing happens if it has one made the same way): chains
    /// every entry already in the table, in id order, in one transaction. A chain already
    /// made with another key, or without one, is [`Error::ChainKeyMismatch`](crate::Error::ChainKeyMismatch).
    pub fn enable(&self, conn: &mut impl LogConnection, table: &LogTable) -> Result<()> {
        crate::db::with_db(conn, |conn| {
            crate::db::transaction(conn, |conn| {
                if let Some(head) = lock_head(conn, table.name())? {
                    return self.check_key(&head);
                }
                let key_id = self.key.as_ref().map(|key| key.id().to_owned());
                diesel::insert_into(log_chain_heads::table)
                    .values((
                        log_chain_heads::log_table.eq(table.name()),
                        log_chain_heads::seq.eq(0_i64),
                        log_chain_heads::chain_hash.eq(GENESIS),
                        log_chain_heads::key_id.eq(&key_id),
                    ))
                    .execute(conn)
                    .context("starting the chain")?;
                crate::entry::record_table(conn, table)?;
                // The transaction holds the write lock (SQLite) or the new, uncommitted head
                // row (PostgreSQL): no appender can get ahead of the entries chained here.
                let mut head = Head {
                    table: table.name(),
                    seq: 0,
                    chain_hash: GENESIS.to_owned(),
                    base_seq: 0,
                    key_id,
                };
                let mut after = None;
                loop {
                    let chunk = table.scan(conn, after, None, VERIFY_CHUNK)?;
                    let Some(last) = chunk.last() else {
                        break;
                    };
                    after = Some(last.id);
                    append(conn, &mut head, self.key.as_ref(), &chunk)?;
                }
                Ok(())
            })
        })
    }

    /// Whether a chain whose head names `stored_key_id` is made like this one: with this
    /// chain's key, or like it with none.
    pub(super) fn made_with(&self, stored_key_id: Option<&str>) -> bool {
        match (stored_key_id, &self.key) {
            (None, None) => true,
            (Some(stored), Some(key)) => stored == key.id(),
            _ => false,
        }
    }

    /// [`made_with`](Self::made_with) `head`'s key, or the error saying how it differs.
    fn check_key(&self, head: &Head) -> Result<()> {
        if self.made_with(head.key_id.as_deref()) {
            return Ok(());
        }
        let problem = match (&head.key_id, &self.key) {
            (Some(_), None) => "is keyed; give this process its key",
            (None, _) => "is not keyed",
            (Some(_), Some(_)) => "is made with another key",
        };
        Err(crate::Error::ChainKeyMismatch {
            table: head.table,
            problem,
        })
    }
}

impl WriteHook for HashChain {
    fn around_write(
        &self,
        conn: &mut DbConnection,
        table: &LogTable,
        write: &mut dyn FnMut(&mut DbConnection) -> Result<Vec<LogEntry>>,
    ) -> Result<Vec<LogEntry>> {
        let mut head = require_head(conn, table.name())?;
        self.check_key(&head)?;
        let stored = write(conn)?;
        append(conn, &mut head, self.key.as_ref(), &stored)?;
        Ok(stored)
    }

    fn write_one(
        &self,
        conn: &mut DbConnection,
        table: &LogTable,
        entry: NewLogEntry,
    ) -> Result<LogEntry> {
        match conn {
            #[cfg(feature = "postgres")]
            DbConnection::Postgresql(pg) => {
                if self.key.is_none()
                    && let Some(stored) = single_write::write_plain(pg, table, &entry)?
                {
                    return Ok(stored);
                }
                // A keyed chain, or no plain one: lock and read the head first (which also
                // says what is wrong, if anything).
                single_write::write_chained(
                    pg,
                    self.key.as_ref(),
                    |head| self.check_key(head),
                    table,
                    entry,
                )
            }
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(_) => crate::entry::write_one_around(self, conn, table, entry),
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(_) => crate::entry::write_one_around(self, conn, table, entry),
        }
    }
}

/// Whether `table` has a hash chain in the database.
pub fn is_chained(conn: &mut impl LogConnection, table: &LogTable) -> Result<bool> {
    crate::db::with_db(conn, |conn| {
        let heads: i64 = log_chain_heads::table
            .filter(log_chain_heads::log_table.eq(table.name()))
            .count()
            .get_result(conn)
            .context("reading the chain head")?;
        Ok(heads > 0)
    })
}

/// Removes the first links of `table`'s chain, which must cover exactly `entry_ids` in order,
/// and records the last one as the checkpoint verification starts from. Runs inside the
/// transaction that deletes those entries, after taking the head's lock.
pub(crate) fn cut_prefix(
    conn: &mut DbConnection,
    table: &'static str,
    entry_ids: &[i64],
) -> Result<()> {
    let Head { base_seq, .. } = require_head(conn, table)?;
    let links = links_after(
        conn,
        table,
        base_seq,
        i64::try_from(entry_ids.len()).unwrap_or(i64::MAX),
    )?;
    let covered: Vec<i64> = links.iter().map(|(_, id, _, _)| *id).collect();
    let Some((last_seq, _, _, last_hash)) = links.last().filter(|_| covered == entry_ids) else {
        return Err(crate::Error::ChainPrefixMismatch { table });
    };
    diesel::delete(
        log_chain::table
            .filter(log_chain::log_table.eq(table))
            .filter(log_chain::seq.le(last_seq)),
    )
    .execute(conn)
    .context("removing purged links")?;
    diesel::update(log_chain_heads::table.filter(log_chain_heads::log_table.eq(table)))
        .set((
            log_chain_heads::base_seq.eq(last_seq),
            log_chain_heads::base_hash.eq(last_hash),
        ))
        .execute(conn)
        .context("moving the chain checkpoint")?;
    Ok(())
}

/// The SHA-256 (hex) of an entry's canonical content: every field but the id, in a fixed
/// order, `data` with its object keys sorted at every depth.
pub(crate) fn content_hash(entry: &LogEntry) -> String {
    // `[object_id, content_type, label, action, data, timestamp, uuid, user_id, revision_id,
    // content_changed, deleted]`, written field by field so `data` is not copied.
    let before_data = [
        Value::from(entry.object_id.as_str()),
        Value::from(entry.content_type.as_deref()),
        Value::from(entry.label.as_str()),
        Value::from(entry.action.as_str()),
    ];
    let after_data = [
        Value::from(entry.timestamp.timestamp_micros()),
        Value::from(entry.uuid.map(|u| u.hyphenated().to_string())),
        Value::from(entry.user_id.as_ref().map(UserId::as_str)),
        Value::from(entry.revision_id),
        Value::from(entry.content_changed),
        Value::from(entry.deleted),
    ];
    let mut text = String::from("[");
    for value in &before_data {
        write_canonical(value, &mut text);
        text.push(',');
    }
    write_canonical_map(&entry.data, &mut text);
    for value in &after_data {
        text.push(',');
        write_canonical(value, &mut text);
    }
    text.push(']');
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// JSON with object keys sorted, whatever order the map keeps them in (serde_json's
/// `preserve_order` feature may be on in the application's build).
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => write_canonical_map(map, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn write_canonical_map(map: &serde_json::Map<String, Value>, out: &mut String) {
    let mut fields: Vec<(&String, &Value)> = map.iter().collect();
    fields.sort_by_key(|(key, _)| *key);
    out.push('{');
    for (i, (key, inner)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(key.as_str()).to_string());
        out.push(':');
        write_canonical(inner, out);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_hash_to_lowercase_hex_of_sha256_as_chains_were_written() {
        // sha256("0" * 64 + "abc"), computed outside Rust: a chain written by any earlier
        // build must keep verifying.
        assert_eq!(
            link_hash(None, GENESIS, "abc"),
            "b64374d04ef9c4f39fddb1e0d6be38a0130f6c057fc0f4ee467ea0e18bc758f1"
        );
    }

    #[test]
    fn keyed_links_are_hmac_sha256_and_the_stored_id_is_not_the_key() -> Result<()> {
        // Both computed outside Rust (Python's hmac module).
        let key = ChainKey::new("0123456789abcdef0123456789abcdef")?;
        assert_eq!(
            link_hash(Some(&key), GENESIS, "abc"),
            "2ba10e684d13eadc7566d5323c0b0803a45bd3650bf5713887d020617a57170a"
        );
        assert_eq!(key.id(), "da0c7224c1d7f225b58e079e4a159a4e");
        Ok(())
    }
}
