//! The chain head's move as a statement of fixed text, prepared once per connection. Diesel's
//! UPDATE would be parsed and planned on every write: Diesel calls every UPDATE uncacheable,
//! as an application's changeset of `Option`s can change its text from call to call. Raw SQL
//! for that reason; every value is bound.

use diesel::QueryResult;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Text};

use crate::db::MultiBackend;

/// `UPDATE loggable_log_chain_heads SET seq = ?, chain_hash = ? WHERE log_table = ?`.
pub(super) struct MoveHead<'a> {
    pub(super) table: &'a str,
    pub(super) seq: i64,
    pub(super) chain_hash: &'a str,
}

impl QueryFragment<MultiBackend> for MoveHead<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("UPDATE loggable_log_chain_heads SET seq = ");
        out.push_bind_param::<BigInt, i64>(&self.seq)?;
        out.push_sql(", chain_hash = ");
        out.push_bind_param::<Text, str>(self.chain_hash)?;
        out.push_sql(" WHERE log_table = ");
        out.push_bind_param::<Text, str>(self.table)?;
        Ok(())
    }
}

impl QueryId for MoveHead<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> diesel::RunQueryDsl<Conn> for MoveHead<'_> {}
