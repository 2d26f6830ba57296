//! Writing to one log table: one entry, many entries, deleting by id, and the hooks the layers
//! above run around a table's writes (the hash chain is one).

use chrono::NaiveDateTime;
use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Nullable, Text, Timestamp};

use super::{LogEntry, LogTable, NewLogEntry, ObjectKeyKind, StoredColumns};
use crate::db::{DbConnection, ListProbe, MultiBackend, SqlCondition};
use crate::error::{DatabaseContext, Result};

/// Rows per multi-row INSERT: 11 bound columns each stays under SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters per statement.
pub(crate) const INSERT_CHUNK_ROWS: usize = 2_000;

/// Rows per `UNNEST` INSERT on PostgreSQL: eleven bound arrays whatever the count, so only
/// memory bounds a chunk (a few MB at this size).
#[cfg(feature = "postgres")]
const UNNEST_CHUNK_ROWS: usize = 20_000;

/// Runs around every write to a log table it is set for
/// ([`Registry::set_write_hook`](crate::registry::Registry::set_write_hook)), inside the
/// transaction of the write: the hash chain ([`HashChain`](crate::integrity::HashChain::new())) takes
/// its head's lock before the rows go in and links them after.
///
/// A hook may run more than once for one write: when a transaction loggable opened itself
/// meets a deadlock, the server rolls it back and loggable runs it again (see
/// [`Error::Contention`](crate::Error::Contention)). Keep what a hook does inside that
/// transaction, on the connection it is given; an effect outside it (a message sent, a counter
/// kept in memory) would happen again.
pub trait WriteHook: std::any::Any + Send + Sync + std::fmt::Debug {
    /// Calls `write` (which inserts the entries into `table` and returns them as stored, in
    /// insertion order) and records what it wrote; returns what `write` returned.
    fn around_write(
        &self,
        conn: &mut DbConnection,
        table: &LogTable,
        write: &mut dyn FnMut(&mut DbConnection) -> Result<Vec<LogEntry>>,
    ) -> Result<Vec<LogEntry>>;

    /// Writes one entry into `table` with what the hook records about it, in one
    /// transaction, and returns it as stored. The default opens the transaction and runs
    /// [`around_write`](Self::around_write) around one INSERT; a hook that can do the same in
    /// fewer statements (the hash chain on PostgreSQL) does it its own way.
    fn write_one(
        &self,
        conn: &mut DbConnection,
        table: &LogTable,
        entry: NewLogEntry,
    ) -> Result<LogEntry> {
        write_one_around(self, conn, table, entry)
    }
}

/// [`WriteHook::write_one`]'s default: `hook`'s [`around_write`](WriteHook::around_write)
/// around one INSERT, in one transaction.
pub(crate) fn write_one_around<H: WriteHook + ?Sized>(
    hook: &H,
    conn: &mut DbConnection,
    table: &LogTable,
    entry: NewLogEntry,
) -> Result<LogEntry> {
    // A copy per attempt: a deadlock runs the transaction again.
    let stored = crate::db::retrying_transaction(conn, |conn| {
        let mut pending = Some(entry.clone());
        hook.around_write(conn, table, &mut |conn| {
            let Some(entry) = pending.take() else {
                return Ok(Vec::new());
            };
            let id = table.insert(conn, &entry)?;
            Ok(vec![entry.into_entry(id, table.name())])
        })
    })?;
    stored
        .into_iter()
        .next()
        .ok_or(crate::Error::WriteHookDroppedEntries)
}

/// `INSERT INTO {table} ({entry columns}, {object column})`, the start of every bulk and
/// single write.
pub(super) fn push_insert_into<DB: Backend>(
    out: &mut AstPass<'_, '_, DB>,
    table: &LogTable,
    with_id: bool,
) -> QueryResult<()> {
    out.push_sql("INSERT INTO ");
    super::table::push_table_name(out, table.name())?;
    out.push_sql(if with_id { " (id, " } else { " (" });
    out.push_sql(
        "content_type, label, action, data, timestamp, uuid, user_id, revision_id, \
         content_changed, deleted, ",
    );
    out.push_identifier(table.object_column())?;
    out.push_sql(")");
    Ok(())
}

/// An object id as its column stores it.
enum ObjectValue<'a> {
    Integer(i64),
    Text(&'a str),
}

/// `INSERT INTO {table} ({columns}) VALUES (...), (...)`, every value bound; on PostgreSQL
/// with `RETURNING id` when asked.
struct InsertRows<'a> {
    table: LogTable,
    rows: &'a [NewLogEntry],
    stored: Vec<StoredColumns>,
    objects: Vec<ObjectValue<'a>>,
    #[cfg(feature = "postgres")]
    returning: bool,
    /// A common table expression to select the (one) row from instead of `VALUES`: the row
    /// goes in once for each row it yields.
    #[cfg(feature = "postgres")]
    from: Option<&'static str>,
}

impl<'a> InsertRows<'a> {
    fn new(table: LogTable, rows: &'a [NewLogEntry]) -> Result<Self> {
        let objects = rows
            .iter()
            .map(|row| match table.object_key() {
                ObjectKeyKind::Text => Ok(ObjectValue::Text(&row.object_id)),
                ObjectKeyKind::Integer => {
                    table.integer_id(&row.object_id).map(ObjectValue::Integer)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            table,
            rows,
            stored: rows.iter().map(NewLogEntry::stored_columns).collect(),
            objects,
            #[cfg(feature = "postgres")]
            returning: false,
            #[cfg(feature = "postgres")]
            from: None,
        })
    }

    /// Where the rows are selected from, if not from `VALUES`.
    fn selected_from(&self) -> Option<&'static str> {
        #[cfg(feature = "postgres")]
        return self.from;
        #[cfg(not(feature = "postgres"))]
        None
    }

    fn walk_values<'b, DB>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: Backend
            + HasSqlType<Text>
            + HasSqlType<BigInt>
            + HasSqlType<Timestamp>
            + HasSqlType<Bool>,
        str: ToSql<Text, DB>,
        String: ToSql<Text, DB>,
        i64: ToSql<BigInt, DB>,
        NaiveDateTime: ToSql<Timestamp, DB>,
        bool: ToSql<Bool, DB>,
    {
        push_insert_into(&mut out, &self.table, false)?;
        let from = self.selected_from();
        out.push_sql(if from.is_some() {
            " SELECT "
        } else {
            " VALUES "
        });
        for (i, ((row, stored), object)) in self
            .rows
            .iter()
            .zip(&self.stored)
            .zip(&self.objects)
            .enumerate()
        {
            out.push_sql(match (from, i) {
                (Some(_), _) => "",
                (None, 0) => "(",
                (None, _) => ", (",
            });
            out.push_bind_param::<Nullable<Text>, Option<String>>(&row.content_type)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, String>(&row.label)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, String>(&row.action)?;
            out.push_sql(", ");
            out.push_bind_param::<Text, String>(&stored.data)?;
            out.push_sql(", ");
            out.push_bind_param::<Timestamp, NaiveDateTime>(&stored.timestamp)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Text>, Option<String>>(&stored.uuid)?;
            out.push_sql(", ");
            match &row.user_id {
                Some(user) => out.push_bind_param::<Text, str>(user.as_str())?,
                None => out.push_sql("NULL"),
            }
            out.push_sql(", ");
            out.push_bind_param::<Nullable<BigInt>, Option<i64>>(&row.revision_id)?;
            out.push_sql(", ");
            out.push_bind_param::<Bool, bool>(&row.content_changed)?;
            out.push_sql(", ");
            out.push_bind_param::<Bool, bool>(&row.deleted)?;
            out.push_sql(", ");
            match object {
                ObjectValue::Integer(id) => out.push_bind_param::<BigInt, i64>(id)?,
                ObjectValue::Text(id) => out.push_bind_param::<Text, str>(id)?,
            }
            match from {
                Some(source) => {
                    out.push_sql(" FROM ");
                    out.push_sql(source);
                }
                None => out.push_sql(")"),
            }
        }
        Ok(())
    }
}

impl QueryId for InsertRows<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for InsertRows<'_> {
    type SqlType = BigInt;
}

impl<Conn> diesel::RunQueryDsl<Conn> for InsertRows<'_> {}

#[cfg(feature = "postgres")]
impl QueryFragment<diesel::pg::Pg> for InsertRows<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        super::catalog::push_with_record_table(&mut out, &self.table)?;
        self.walk_values(out.reborrow())?;
        if self.returning {
            out.push_sql(" RETURNING id");
        }
        Ok(())
    }
}

#[cfg(feature = "sqlite")]
impl QueryFragment<diesel::sqlite::Sqlite> for InsertRows<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        self.walk_values(out)
    }
}

#[cfg(feature = "mysql")]
impl QueryFragment<diesel::mysql::Mysql> for InsertRows<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, diesel::mysql::Mysql>) -> QueryResult<()> {
        self.walk_values(out)
    }
}

/// `entries` cut into runs of at most [`INSERT_CHUNK_ROWS`] (within the 65,535 bound values of
/// a prepared statement) whose bound values take at most half of `packet_limit` bytes (the other half leaves room for the statement's framing and
/// each value's length prefix); an entry larger than that goes alone.
#[cfg(feature = "mysql")]
fn packet_sized_chunks(
    entries: &[NewLogEntry],
    packet_limit: usize,
) -> impl Iterator<Item = &[NewLogEntry]> {
    let budget = packet_limit / 2;
    let mut rest = entries;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let mut rows = 0;
        for entry in rest.iter().take(INSERT_CHUNK_ROWS) {
            let size = entry.bound_size();
            if rows > 0 && bytes + size > budget {
                break;
            }
            bytes += size;
            rows += 1;
        }
        let (chunk, after) = rest.split_at(rows);
        rest = after;
        Some(chunk)
    })
}

/// One entry's INSERT as the first common table expression of a statement that goes on with
/// `then` (see [`LogTable::insert_then`]).
#[cfg(feature = "postgres")]
struct InsertThen<'a> {
    /// Common table expressions before the entry's, which the row is selected from.
    before: Option<&'a dyn QueryFragment<diesel::pg::Pg>>,
    rows: InsertRows<'a>,
    then: Option<&'a dyn QueryFragment<diesel::pg::Pg>>,
}

#[cfg(feature = "postgres")]
impl QueryId for InsertThen<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

#[cfg(feature = "postgres")]
impl diesel::query_builder::Query for InsertThen<'_> {
    type SqlType = BigInt;
}

#[cfg(feature = "postgres")]
impl<Conn> diesel::RunQueryDsl<Conn> for InsertThen<'_> {}

#[cfg(feature = "postgres")]
impl QueryFragment<diesel::pg::Pg> for InsertThen<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql("WITH ");
        if super::catalog::push_record_table(&mut out, &self.rows.table)? {
            out.push_sql(", ");
        }
        if let Some(before) = self.before {
            before.walk_ast(out.reborrow())?;
            out.push_sql(", ");
        }
        out.push_sql("loggable_entry AS (");
        self.rows.walk_values(out.reborrow())?;
        out.push_sql(" RETURNING id)");
        if let Some(then) = self.then {
            out.push_sql(", ");
            then.walk_ast(out.reborrow())?;
        }
        out.push_sql(" SELECT id FROM loggable_entry");
        Ok(())
    }

    /// Cached by its text (with its bind types), so prepared once per table and `before`.
    /// Diesel calls any UPDATE uncacheable, as an application's changeset with `Option`
    /// fields can change its text from call to call and fill the cache; a derived model's
    /// UPDATE (the `before` of a logged update) sets every column every time, so its text
    /// is one per model.
    fn is_safe_to_cache_prepared(&self, _backend: &diesel::pg::Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

/// `DELETE FROM {table} WHERE {condition}`.
struct DeleteWhere {
    table: &'static str,
    condition: SqlCondition,
}

impl QueryId for DeleteWhere {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Conn> diesel::RunQueryDsl<Conn> for DeleteWhere {}

impl QueryFragment<MultiBackend> for DeleteWhere {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("DELETE FROM ");
        super::table::push_table_name(&mut out, self.table)?;
        out.push_sql(" WHERE ");
        self.condition.walk_ast(out)
    }
}

impl LogTable {
    /// Writes one entry with one INSERT and returns its id.
    pub(crate) fn insert(&self, conn: &mut DbConnection, entry: &NewLogEntry) -> Result<i64> {
        let insert = InsertRows::new(*self, std::slice::from_ref(entry))?;
        // Each backend's own connection: the hot path skips MultiConnection's
        // re-serialization of the statement.
        let id = match conn {
            #[cfg(feature = "postgres")]
            DbConnection::Postgresql(pg) => {
                use diesel::RunQueryDsl;
                let insert = InsertRows {
                    returning: true,
                    ..insert
                };
                insert.get_result::<i64>(pg)
            }
            // No RETURNING on SQLite: it makes an INSERT inside a transaction keep a
            // statement journal (a copy of every page it touches), about a third of the cost
            // of an entry; the rowid is read back instead.
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(sqlite) => {
                use diesel::RunQueryDsl;
                insert
                    .execute(sqlite)
                    .and_then(|_| crate::db::last_insert_rowid(sqlite))
            }
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(mysql) => {
                use diesel::RunQueryDsl;
                insert
                    .execute(mysql)
                    .and_then(|_| crate::db::last_insert_id(mysql))
            }
        };
        id.context("writing a log entry")
    }

    /// Writes many entries, a chunk per statement: a multi-row INSERT on SQLite (within its
    /// bind-parameter limit) and on MySQL (within its packet size), a `COPY` or an `UNNEST` of
    /// column arrays on PostgreSQL; returns how many were written.
    pub(crate) fn insert_many(
        &self,
        conn: &mut DbConnection,
        entries: &[NewLogEntry],
    ) -> Result<usize> {
        // How many rows go in one statement, per backend.
        let chunks: Box<dyn Iterator<Item = &[NewLogEntry]>> = match conn {
            // PostgreSQL binds a column per array, so a chunk is as large as memory allows.
            #[cfg(feature = "postgres")]
            DbConnection::Postgresql(_) => Box::new(entries.chunks(UNNEST_CHUNK_ROWS)),
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(_) => Box::new(entries.chunks(INSERT_CHUNK_ROWS)),
            // A statement's bound values travel in one packet.
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(mysql) => Box::new(packet_sized_chunks(
                entries,
                crate::db::max_allowed_packet(mysql).context("writing log entries")?,
            )),
        };
        let mut written = 0;
        for chunk in chunks {
            written += self.insert_chunk(conn, chunk)?;
        }
        Ok(written)
    }

    /// Writes `chunk` with one statement (on PostgreSQL, a `COPY` into the built-in tables).
    fn insert_chunk(&self, conn: &mut DbConnection, chunk: &[NewLogEntry]) -> Result<usize> {
        use diesel::RunQueryDsl;
        match conn {
            #[cfg(feature = "postgres")]
            DbConnection::Postgresql(pg) => match super::copy::copy_into_builtin(pg, self, chunk) {
                Some(copied) => return copied,
                None => super::unnest::UnnestRows::new(*self, chunk)?.execute(pg),
            },
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(sqlite) => InsertRows::new(*self, chunk)?.execute(sqlite),
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(mysql) => InsertRows::new(*self, chunk)?.execute(mysql),
        }
        .context("writing log entries")
    }

    /// Writes one entry and returns it as stored; `hook`, if any, runs around the write, in
    /// one transaction with it.
    pub(crate) fn write_one(
        &self,
        conn: &mut DbConnection,
        entry: NewLogEntry,
        hook: Option<&dyn WriteHook>,
    ) -> Result<LogEntry> {
        super::catalog::record_table_apart(conn, self)?;
        match hook {
            Some(hook) => hook.write_one(conn, self, entry),
            None => {
                let id = self.insert(conn, &entry)?;
                Ok(entry.into_entry(id, self.name()))
            }
        }
    }

    /// Writes one entry on PostgreSQL with one statement that also runs `then`, if any:
    /// `WITH loggable_entry AS (INSERT ... RETURNING id), {then} SELECT id FROM
    /// loggable_entry`, where `then` is more common table expressions (which may read
    /// `loggable_entry.id`). `context` says what failed, if it does.
    /// With `before` (common table expressions and the name of one of them), the row is
    /// selected from that one and goes in only if it yields a row. Returns the entry's id, or
    /// `None` when it did not go in.
    #[cfg(feature = "postgres")]
    pub(crate) fn insert_then(
        &self,
        conn: &mut diesel::PgConnection,
        entry: &NewLogEntry,
        before: Option<(&dyn QueryFragment<diesel::pg::Pg>, &'static str)>,
        then: Option<&dyn QueryFragment<diesel::pg::Pg>>,
        context: &'static str,
    ) -> Result<Option<i64>> {
        use diesel::{OptionalExtension, RunQueryDsl};
        let mut rows = InsertRows::new(*self, std::slice::from_ref(entry))?;
        rows.from = before.map(|(_, source)| source);
        InsertThen {
            before: before.map(|(fragment, _)| fragment),
            rows,
            then,
        }
        .get_result::<i64>(conn)
        .optional()
        .context(context)
    }

    /// Writes `entries` in order and returns how many were written: with multi-row INSERTs,
    /// or, when a `hook` runs around the write (it needs each entry's id), row by row, in one
    /// transaction with it.
    pub(crate) fn write_many(
        &self,
        conn: &mut DbConnection,
        entries: &[NewLogEntry],
        hook: Option<&dyn WriteHook>,
    ) -> Result<usize> {
        if entries.is_empty() {
            return Ok(0);
        }
        super::catalog::record_table_apart(conn, self)?;
        let Some(hook) = hook else {
            return self.insert_many(conn, entries);
        };
        let stored = crate::db::transaction(conn, |conn| {
            hook.around_write(conn, self, &mut |conn| {
                let mut stored = Vec::with_capacity(entries.len());
                for entry in entries {
                    let id = self.insert(conn, entry)?;
                    stored.push(entry.clone().into_entry(id, self.name()));
                }
                Ok(stored)
            })
        })?;
        Ok(stored.len())
    }

    /// Deletes the entries with these ids (retention); returns how many went.
    pub(crate) fn delete_ids(&self, conn: &mut DbConnection, ids: &[i64]) -> Result<usize> {
        use diesel::RunQueryDsl;
        let column = format!("{}.id", self.name());
        let mut deleted = 0;
        for chunk in ids.chunks(INSERT_CHUNK_ROWS) {
            let condition = SqlCondition::ids_in(&column, chunk, ListProbe::Index, conn.backend());
            deleted += DeleteWhere {
                table: self.name(),
                condition,
            }
            .execute(conn)
            .context("deleting log entries")?;
        }
        Ok(deleted)
    }
}
