//! One chained entry on PostgreSQL in one statement: the entry's INSERT, its link's INSERT and
//! the head's move as common table expressions of one `WITH`, after the head's lock.
//!
//! An entry's link needs no id (the content hash leaves it out), so the link is computed
//! before the INSERT and the three writes travel together: a chained write costs the lock's
//! round trip and the transaction's, not one per statement.

use diesel::QueryResult;
use diesel::query_builder::{AstPass, QueryFragment};
use diesel::sql_types::{BigInt, Text};

use super::{ChainKey, content_hash, link_hash, require_head};
use crate::db::DbConnection;
use crate::entry::{LogEntry, LogTable, NewLogEntry};
use crate::error::Result;

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
        // Raw SQL because Diesel's query builder has no common table expressions; every value
        // is bound.
        out.push_sql(
            "loggable_link AS (INSERT INTO loggable_log_chain \
             (log_table, seq, entry_id, content_hash, chain_hash) SELECT ",
        );
        out.push_bind_param::<Text, str>(self.table)?;
        out.push_sql(", ");
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
        let id = table.insert_then(conn, &entry, &link)?;
        Ok(LogEntry { id, ..stored })
    })
}
