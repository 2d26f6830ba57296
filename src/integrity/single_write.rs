//! One chained entry on PostgreSQL in one statement: the entry's INSERT, its link's INSERT and
//! the head's move as common table expressions of one `WITH`.
//!
//! An entry's link needs no id (the content hash leaves it out). A plain chain's link is
//! hashed by the database itself from the head the same statement locks, so a chained write
//! costs one round trip, as an unchained one does. A keyed chain's link needs the key, which
//! the database never sees: the head is locked and read first, the link computed here, and
//! the writes travel together after it.

use diesel::QueryResult;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{BigInt, Text};

use super::{ChainKey, content_hash, link_hash, require_head};
use crate::db::DbConnection;
use crate::entry::{LogEntry, LogTable, NewLogEntry};
use crate::error::Result;

/// `loggable_link AS (INSERT INTO loggable_log_chain (...) SELECT {table}, `: the start of a
/// link's insert, which the caller goes on with seq, entry id and hashes. Raw SQL because
/// Diesel's query builder has no common table expressions; every value is bound.
fn push_link_insert<'b>(
    out: &mut AstPass<'_, 'b, diesel::pg::Pg>,
    table: &'b str,
) -> QueryResult<()> {
    out.push_sql(
        "loggable_link AS (INSERT INTO loggable_log_chain \
         (log_table, seq, entry_id, content_hash, chain_hash) SELECT ",
    );
    out.push_bind_param::<Text, str>(table)?;
    out.push_sql(", ");
    Ok(())
}

/// The next link of a chain and the head's move to it, as common table expressions that read
/// the entry's id from `loggable_entry`.
struct NextLink<'a> {
    table: &'static str,
    seq: i64,
    content_hash: &'a str,
    chain_hash: &'a str,
}

impl QueryFragment<diesel::pg::Pg> for NextLink<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        push_link_insert(&mut out, self.table)?;
        out.push_bind_param::<BigInt, i64>(&self.seq)?;
        out.push_sql(", id, ");
        out.push_bind_param::<Text, str>(self.content_hash)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, str>(self.chain_hash)?;
        out.push_sql(
            " FROM loggable_entry), loggable_head AS (UPDATE loggable_log_chain_heads SET seq = ",
        );
        out.push_bind_param::<BigInt, i64>(&self.seq)?;
        out.push_sql(", chain_hash = ");
        out.push_bind_param::<Text, str>(self.chain_hash)?;
        out.push_sql(" WHERE log_table = ");
        out.push_bind_param::<Text, str>(self.table)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Writes `entry` into `table` and extends the table's chain (made with `key`), in one
/// transaction: the head's lock, then one statement.
pub(super) fn write_chained(
    conn: &mut diesel::PgConnection,
    key: Option<&ChainKey>,
    check_key: impl FnOnce(&super::Head) -> Result<()>,
    table: &LogTable,
    entry: NewLogEntry,
) -> Result<LogEntry> {
    crate::db::transaction(conn, |conn| {
        let head =
            crate::db::with_db(conn, |db: &mut DbConnection| require_head(db, table.name()))?;
        check_key(&head)?;
        let stored = entry.clone().into_entry(0, table.name());
        let content = content_hash(&stored);
        let chain_hash = link_hash(key, &head.chain_hash, &content);
        let link = NextLink {
            table: table.name(),
            seq: head.seq + 1,
            content_hash: &content,
            chain_hash: &chain_hash,
        };
        let id = table
            .insert_then(conn, &entry, None, Some(&link), "writing a log entry")?
            .ok_or(crate::Error::WriteHookDroppedEntries)?;
        Ok(LogEntry { id, ..stored })
    })
}

/// The head of `table`'s chain when it is a plain one, locked until the transaction ends:
/// `loggable_head AS (SELECT ... FOR UPDATE)`.
struct LockedPlainHead {
    table: &'static str,
}

impl QueryFragment<diesel::pg::Pg> for LockedPlainHead {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "loggable_head AS (SELECT seq, chain_hash FROM loggable_log_chain_heads \
             WHERE key_id IS NULL AND log_table = ",
        );
        out.push_bind_param::<Text, str>(self.table)?;
        out.push_sql(" FOR UPDATE)");
        Ok(())
    }
}

/// A plain chain's next link, hashed by the database from the locked head
/// (`SHA-256(previous chain hash || content hash)`, lowercase hex, as [`link_hash`] computes
/// it without a key), and the head's move to it.
struct PlainLink<'a> {
    table: &'static str,
    content_hash: &'a str,
}

impl QueryFragment<diesel::pg::Pg> for PlainLink<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        push_link_insert(&mut out, self.table)?;
        out.push_sql("loggable_head.seq + 1, loggable_entry.id, ");
        out.push_bind_param::<Text, str>(self.content_hash)?;
        out.push_sql(", encode(sha256(convert_to(loggable_head.chain_hash || ");
        out.push_bind_param::<Text, str>(self.content_hash)?;
        out.push_sql(
            ", 'UTF8')), 'hex') FROM loggable_head, loggable_entry RETURNING seq, chain_hash), \
             loggable_moved AS (UPDATE loggable_log_chain_heads \
             SET seq = loggable_link.seq, chain_hash = loggable_link.chain_hash \
             FROM loggable_link WHERE loggable_log_chain_heads.log_table = ",
        );
        out.push_bind_param::<Text, str>(self.table)?;
        out.push_sql(")");
        Ok(())
    }
}

/// Writes `entry` into `table` and extends its plain chain with one statement, no
/// transaction of its own: the head's lock, the entry, the link the database hashes, and the
/// head's move. `None` (nothing written) when the table has no plain chain: the caller goes
/// the way that says why.
pub(super) fn write_plain(
    conn: &mut diesel::PgConnection,
    table: &LogTable,
    entry: &NewLogEntry,
) -> Result<Option<LogEntry>> {
    let stored = entry.clone().into_entry(0, table.name());
    let content = content_hash(&stored);
    let head = LockedPlainHead {
        table: table.name(),
    };
    let link = PlainLink {
        table: table.name(),
        content_hash: &content,
    };
    let id = table.insert_then(
        conn,
        entry,
        Some((&head, "loggable_head")),
        Some(&link),
        "writing a log entry",
    )?;
    Ok(id.map(|id| LogEntry { id, ..stored }))
}
