//! Floors: what the database and Diesel take for the same work with no loggable code. A
//! durable single `log()` against the same page entry's row written with a bare Diesel
//! INSERT, each in its own durable transaction (what separates it from the trivial commit is
//! the row itself: its width and the log table's indexes, which no log can leave out); and
//! two reads against the same rows read with a bare Diesel query.

use diesel::prelude::*;

use loggable::Result;
use loggable::db::DbConnection;

use super::{DatabaseContext, Measurement, PAGE_TYPE, Read, Seeded, measurement, timed_write};

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
        revision_id -> Nullable<BigInt>,
        content_changed -> Bool,
        deleted -> Bool,
        page_id -> BigInt,
    }
}

diesel::table! {
    /// loggable's page tree, the columns a bare read needs.
    loggable_pages (id) {
        id -> BigInt,
        path -> Text,
    }
}

diesel::table! {
    /// Which group holds which permission on which page.
    loggable_group_page_permissions (id) {
        id -> BigInt,
        group_id -> BigInt,
        page_id -> BigInt,
    }
}

diesel::table! {
    /// Which user is in which group.
    loggable_user_groups (user_id, group_id) {
        user_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::joinable!(loggable_group_page_permissions -> loggable_pages (page_id));
diesel::allow_tables_to_appear_in_same_query!(
    loggable_page_log_entries,
    loggable_pages,
    loggable_group_page_permissions,
    loggable_user_groups,
);

/// `n` page entries about the single-entry metrics' page by their user, each a bare INSERT in
/// its own durable transaction (SQLite: at the connection's current `synchronous`), like the
/// log() metrics' entries.
pub(super) fn entry_row_floor(
    conn: &mut DbConnection,
    n: usize,
    seeded: &Seeded,
) -> Result<Measurement> {
    let uuid = uuid::Uuid::now_v7().hyphenated().to_string();
    let (page, user) = (seeded.history_page, seeded.editor.user_id.to_string());
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
            crate::on_backend!(conn, |c| insert.execute(c))
                .context("writing an entry's row by hand")?;
        }
        Ok(())
    })?;
    Ok(measurement(
        conn,
        "calibration_commit_entry_row",
        n as u64,
        took,
        seeded.entries,
    ))
}

/// A page log row as a bare query reads it: every column, `data` left as text.
type EntryRow = (
    i64,
    Option<String>,
    String,
    String,
    String,
    chrono::NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<i64>,
    bool,
    bool,
    i64,
);

/// The floors of two reads, beside loggable's: one page's first 50 entries, newest first,
/// loaded with a bare Diesel query (`page_history_first50_bare_diesel`; loggable's read also
/// keeps one entry per user action and parses each entry's data), and a bare `COUNT(*)` of
/// the page log (`viewable_by_user_count_superuser_bare_diesel`).
pub(super) fn bare_reads<'a>(
    conn: &mut DbConnection,
    seeded: &'a Seeded,
) -> Result<[(&'static str, Read<'a>); 3]> {
    use loggable_page_log_entries as log;
    let page = seeded.history_page;
    // The editor's permission pages, looked up once: the floor counts below them without
    // asking which pages the editor may see.
    let permission_paths: Vec<String> = loggable_pages::table
        .inner_join(loggable_group_page_permissions::table)
        .inner_join(
            loggable_user_groups::table
                .on(loggable_user_groups::group_id.eq(loggable_group_page_permissions::group_id)),
        )
        .filter(loggable_user_groups::user_id.eq(seeded.editor.user_id))
        .select(loggable_pages::path)
        .distinct()
        .load(conn)
        .context("reading the editor's permission pages by hand")?;
    Ok([
        (
            "page_history_first50_bare_diesel",
            Box::new(move |conn| {
                let rows: Vec<EntryRow> = log::table
                    .filter(log::page_id.eq(page))
                    .order((log::timestamp.desc(), log::id.desc()))
                    .limit(50)
                    .load(conn)
                    .context("reading one page's entries by hand")?;
                Ok(rows.len() as u64)
            }),
        ),
        (
            "viewable_by_user_count_superuser_bare_diesel",
            Box::new(|conn| {
                let count: i64 = log::table
                    .count()
                    .get_result(conn)
                    .context("counting the page log by hand")?;
                Ok(u64::try_from(count).unwrap_or(0))
            }),
        ),
        (
            // The entries of the pages below the editor's permission pages (not of the pages
            // above them, which the editor may see too: a floor), joined by hand.
            "viewable_by_user_count_editor_bare_diesel",
            Box::new(move |conn| {
                let mut below = log::table
                    .inner_join(loggable_pages::table.on(loggable_pages::id.eq(log::page_id)))
                    .into_boxed();
                for (i, path) in permission_paths.iter().enumerate() {
                    let subtree = loggable_pages::path
                        .ge(path.clone())
                        .and(loggable_pages::path.lt(format!("{path}~")));
                    below = if i == 0 {
                        below.filter(subtree)
                    } else {
                        below.or_filter(subtree)
                    };
                }
                let count: i64 = below
                    .count()
                    .get_result(conn)
                    .context("counting the editor's entries by hand")?;
                Ok(u64::try_from(count).unwrap_or(0))
            }),
        ),
    ])
}
