//! The benchmark's data set: a page tree of 5,020 pages written straight into loggable's page
//! table, groups and users with their permissions, and the page log written through the bulk
//! path (the `seed_log_bulk` metric).

use std::time::Instant;

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::{DatabaseContext, FANOUT, Measurement, PAGE_TYPE, USERS, checkpoint, measurement};
use loggable::LogContext;
use loggable::ObjectRef;
use loggable::Result;
use loggable::db::{self, DbConnection};
use loggable::log;
use loggable::model::BulkEntries;
use loggable::permission::{
    PagePermission, Viewer, add_to_group, create_group, grant_page_permission,
};
use loggable::registry::{ModelType, Registry};
use loggable::user::{NewUser, create_user};

diesel::table! {
    /// The columns of loggable's page table that seeding a large tree writes (the others
    /// have defaults).
    #[sql_name = "loggable_pages"]
    pages (id) {
        id -> BigInt,
        path -> Text,
        depth -> Integer,
        title -> Text,
        draft_title -> Text,
        slug -> Text,
        content_type -> Text,
    }
}

/// What [`seed`] made.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// A user whose one group edits one section (about 5% of the pages).
    pub editor: Viewer,
    /// An active superuser.
    pub superuser: Viewer,
    /// A page with an average share of the log.
    pub history_page: i64,
    /// Page log entries written.
    pub entries: usize,
    /// How long writing those entries through the bulk path took, in batches of 20,000 per
    /// transaction (the `seed_log_bulk` metric).
    pub bulk: Measurement,
    /// The registry the reads use (the page type registered).
    pub registry: Registry,
}

/// Builds the data set in an empty database (migrating it first) with `entries` page log
/// entries written through the bulk path; `progress` is told the entries written so far.
pub fn seed(
    conn: &mut DbConnection,
    entries: usize,
    mut progress: impl FnMut(usize),
) -> Result<Seeded> {
    db::run_migrations(conn)?;
    let pages = seed_pages(conn)?;
    let sections: Vec<i64> = pages
        .iter()
        .filter(|(_, path)| path.len() == 8)
        .map(|(id, _)| *id)
        .collect();
    let mut groups = Vec::with_capacity(sections.len());
    for (i, section) in sections.iter().enumerate() {
        let group = create_group(conn, &format!("Section {i} editors"))?;
        grant_page_permission(conn, group.id, *section, PagePermission::Change)?;
        groups.push(group.id);
    }
    let mut users = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let user = create_user(conn, &NewUser::new(&format!("bench-user-{i}")))?;
        if let Some(group) = groups.get(i % groups.len().max(1)) {
            add_to_group(conn, user.id, *group)?;
        }
        users.push(user.id);
    }
    let admin = create_user(conn, &NewUser::new("bench-admin").superuser())?;

    let mut registry = Registry::new();
    registry.register_model(ModelType::page(PAGE_TYPE).verbose_name("bench page"));
    let deleted = entries / 100;
    let max_page = pages.iter().map(|(id, _)| *id).max().unwrap_or(0);
    // Pages and users are drawn by a fixed hash of the entry's number: spread like real
    // traffic (not in tree order, which would put one section's entries in runs), and the
    // same on every run and backend.
    let page_of = |i: usize| {
        if i < deleted {
            max_page + 1 + (i % 100) as i64
        } else {
            pages[spread(i as u64) as usize % pages.len()].0
        }
    };
    let start = Utc::now() - chrono::Duration::days(365);
    let step = chrono::Duration::microseconds((365 * 86_400 * 1_000_000 / entries.max(1)) as i64);
    // Timed like the write metrics: from an empty write-ahead log to one written back.
    checkpoint(conn)?;
    let begun = Instant::now();
    const BATCH: usize = 20_000;
    let mut written = 0;
    while written < entries {
        let batch = (written..entries.min(written + BATCH))
            .map(|i| {
                let page = page_of(i);
                (
                    ObjectRef::new(PAGE_TYPE, page).title(format!("Page {page}")),
                    i,
                )
            })
            .collect::<Vec<_>>();
        // Each entry is validated in its user's log context, the one way to name the actor.
        let mut bulk = BulkEntries::default();
        for (object, i) in &batch {
            let user = users[spread(!(*i as u64)) as usize % users.len()];
            LogContext::without_uuid(Some(user)).scope(|| {
                let builder = log(object, "wagtail.edit")
                    .content_changed(true)
                    .timestamp(start + step * (*i as i32));
                bulk.push(&registry, builder)
            })?;
        }
        written += loggable::model::log_bulk(conn, &bulk)?;
        progress(written);
    }
    checkpoint(conn)?;
    let bulk = measurement(
        conn,
        "seed_log_bulk",
        written as u64,
        begun.elapsed(),
        written,
    );
    // Statistics for the planner, and on PostgreSQL the visibility map that autovacuum keeps
    // on a live database (it lets counts read the index alone): the steady state, measured.
    let settle = match conn.backend() {
        db::BackendKind::Sqlite => "ANALYZE",
        db::BackendKind::Postgresql => "VACUUM ANALYZE",
        db::BackendKind::Mysql => {
            "ANALYZE TABLE loggable_page_log_entries, loggable_model_log_entries, loggable_pages, \
             loggable_users, loggable_groups, loggable_user_groups, \
             loggable_group_page_permissions, loggable_model_permissions"
        }
    };
    conn.batch_execute(settle)
        .context("analyzing the data set")?;
    let load = |conn: &mut DbConnection, id: i64| -> Result<Viewer> {
        Viewer::load(conn, id)?.ok_or_else(|| loggable::Error::NotFound {
            content_type: "auth.user".to_owned(),
            object_id: id.to_string(),
        })
    };
    Ok(Seeded {
        editor: load(conn, users[0])?,
        superuser: load(conn, admin.id)?,
        history_page: pages[pages.len() / 2].0,
        entries: written,
        bulk,
        registry,
    })
}

/// SplitMix64's finaliser: a fixed, well-spread hash of `n`.
fn spread(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The page tree, written straight into `pages` (the tree operations are not what is
/// measured); returns every page's id and path.
fn seed_pages(conn: &mut DbConnection) -> Result<Vec<(i64, String)>> {
    let mut rows = vec![("0001".to_owned(), 1)];
    let mut level = vec!["0001".to_owned()];
    for (depth, fanout) in FANOUT.iter().enumerate() {
        let mut next = Vec::new();
        for parent in &level {
            for n in 1..=*fanout {
                let path = format!("{parent}{}", page_path_step(n));
                rows.push((path.clone(), depth as i32 + 2));
                next.push(path);
            }
        }
        level = next;
    }
    for chunk in rows.chunks(500) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(path, depth)| {
                (
                    pages::path.eq(path.as_str()),
                    pages::depth.eq(*depth),
                    pages::title.eq(format!("Page {path}")),
                    pages::draft_title.eq(format!("Page {path}")),
                    pages::slug.eq(path.to_lowercase()),
                    pages::content_type.eq(PAGE_TYPE),
                )
            })
            .collect();
        let insert = diesel::insert_into(pages::table).values(values);
        crate::on_backend!(conn, |c| insert.execute(c)).context("seeding pages")?;
    }
    pages::table
        .select((pages::id, pages::path))
        .order(pages::path)
        .load(conn)
        .context("reading the seeded pages")
}

/// The path step of the `n`th child as loggable's page tree stores it: four base-36 digits.
fn page_path_step(n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut step = [b'0'; 4];
    let mut rest = n;
    for slot in step.iter_mut().rev() {
        *slot = DIGITS[(rest % 36) as usize];
        rest /= 36;
    }
    step.iter().map(|&b| char::from(b)).collect()
}
