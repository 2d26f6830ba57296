//! PostgreSQL's bulk write: the rows as one array per column, unpacked by `UNNEST` into one
//! `INSERT ... SELECT`. Eleven bound values whatever the number of rows, so the statement is
//! prepared once and no bind-parameter limit applies; close to `COPY`'s speed, which needs a
//! table known at compile time.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};

use super::{LogTable, NewLogEntry, ObjectKeyKind};
use crate::error::Result;

/// The object ids of the rows, as the object column stores them.
enum ObjectIds<'a> {
    Integer(Vec<i64>),
    Text(Vec<&'a str>),
}

/// `INSERT INTO {table} ({columns}) SELECT * FROM UNNEST($1, ..., $11)`.
pub(super) struct UnnestRows<'a> {
    table: LogTable,
    /// The rows' ids, when they were taken from the table's sequence beforehand.
    ids: Option<&'a [i64]>,
    content_type: Vec<Option<&'a str>>,
    label: Vec<&'a str>,
    action: Vec<&'a str>,
    data: Vec<String>,
    timestamp: Vec<NaiveDateTime>,
    uuid: Vec<Option<String>>,
    user_id: Vec<Option<&'a str>>,
    revision_id: Vec<Option<i64>>,
    content_changed: Vec<bool>,
    deleted: Vec<bool>,
    objects: ObjectIds<'a>,
}

impl<'a> UnnestRows<'a> {
    pub(super) fn new(table: LogTable, rows: &'a [NewLogEntry]) -> Result<Self> {
        let objects = match table.object_key() {
            ObjectKeyKind::Text => {
                ObjectIds::Text(rows.iter().map(|r| r.object_id.as_str()).collect())
            }
            ObjectKeyKind::Integer => ObjectIds::Integer(
                rows.iter()
                    .map(|row| table.integer_id(&row.object_id))
                    .collect::<Result<_>>()?,
            ),
        };
        let stored: Vec<_> = rows.iter().map(NewLogEntry::stored_columns).collect();
        let (data, (timestamp, uuid)): (Vec<_>, (Vec<_>, Vec<_>)) = stored
            .into_iter()
            .map(|s| (s.data, (s.timestamp, s.uuid)))
            .unzip();
        Ok(Self {
            table,
            ids: None,
            content_type: rows.iter().map(|r| r.content_type.as_deref()).collect(),
            label: rows.iter().map(|r| r.label.as_str()).collect(),
            action: rows.iter().map(|r| r.action.as_str()).collect(),
            data,
            timestamp,
            uuid,
            user_id: rows
                .iter()
                .map(|r| r.user_id.as_ref().map(|u| u.as_str()))
                .collect(),
            revision_id: rows.iter().map(|r| r.revision_id).collect(),
            content_changed: rows.iter().map(|r| r.content_changed).collect(),
            deleted: rows.iter().map(|r| r.deleted).collect(),
            objects,
        })
    }
}

impl<'a> UnnestRows<'a> {
    /// The same rows with these ids (one per row, taken from the table's sequence).
    pub(super) fn with_ids(self, ids: &'a [i64]) -> Self {
        Self {
            ids: Some(ids),
            ..self
        }
    }
}

impl QueryId for UnnestRows<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> diesel::RunQueryDsl<Conn> for UnnestRows<'_> {}

impl QueryFragment<Pg> for UnnestRows<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        super::catalog::push_with_record_table(&mut out, &self.table)?;
        super::write::push_insert_into(&mut out, &self.table, self.ids.is_some())?;
        out.push_sql(" SELECT * FROM UNNEST(");
        if let Some(ids) = &self.ids {
            out.push_bind_param::<Array<BigInt>, _>(ids)?;
            out.push_sql(", ");
        }
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.content_type)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.label)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.action)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.data)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Timestamp>, _>(&self.timestamp)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.uuid)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<Text>>, _>(&self.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<BigInt>>, _>(&self.revision_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.content_changed)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Bool>, _>(&self.deleted)?;
        out.push_sql(", ");
        match &self.objects {
            ObjectIds::Integer(ids) => out.push_bind_param::<Array<BigInt>, _>(ids)?,
            ObjectIds::Text(ids) => out.push_bind_param::<Array<Text>, _>(ids)?,
        }
        out.push_sql(")");
        Ok(())
    }
}
