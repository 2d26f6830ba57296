//! The floor of a durable single `log()`: the same page entry's row written with a bare
//! Diesel INSERT, each in its own durable transaction, with no loggable code around it. What
//! separates it from the trivial commit is the row itself (its width and the log table's
//! indexes), which no logging library can leave out.

use diesel::prelude::*;

use loggable::Result;
use loggable::db::DbConnection;

use super::{DatabaseContext, Measurement, PAGE_TYPE, measurement, timed_write};

diesel::table! {
    /// loggable's page log table, written here without loggable.
    loggable_page_log_entries (id) {
        id -> BigInt,
        content_type -> Nullable<Text>,
        label -> Text,
        action -> Text,
        data -> Text,
        timestamp -> Timestamp,
        uuid -> Nullable<Text>,
        user_id -> Nullable<Text>,
        content_changed -> Bool,
        deleted -> Bool,
        page_id -> BigInt,
    }
}

/// `n` page entries about `page` by `user`, each a bare INSERT in its own durable transaction
/// (SQLite: at the connection's current `synchronous`), like the log() metrics' entries.
pub(super) fn entry_row_floor(
    conn: &mut DbConnection,
    n: usize,
    page: i64,
    user: i64,
    entries: usize,
) -> Result<Measurement> {
    let uuid = uuid::Uuid::now_v7().hyphenated().to_string();
    let user = user.to_string();
    let took = timed_write(conn, |conn| {
        for _ in 0..n {
            let row = (
                loggable_page_log_entries::content_type.eq(PAGE_TYPE),
                loggable_page_log_entries::label.eq("Written page"),
                loggable_page_log_entries::action.eq("wagtail.edit"),
                loggable_page_log_entries::data.eq("{}"),
                loggable_page_log_entries::timestamp.eq(chrono::Utc::now().naive_utc()),
                loggable_page_log_entries::uuid.eq(&uuid),
                loggable_page_log_entries::user_id.eq(&user),
                loggable_page_log_entries::content_changed.eq(true),
                loggable_page_log_entries::deleted.eq(false),
                loggable_page_log_entries::page_id.eq(page),
            );
            let insert = diesel::insert_into(loggable_page_log_entries::table).values(row);
            match conn {
                DbConnection::Postgresql(c) => insert.execute(c),
                DbConnection::Sqlite(c) => insert.execute(c),
            }
            .context("writing an entry's row by hand")?;
        }
        Ok(())
    })?;
    Ok(measurement(
        conn,
        "calibration_commit_entry_row",
        n as u64,
        took,
        entries,
    ))
}
