//! Permission-filtered reads of the page log (issue: visibility): 5,021 pages in a tree of
//! depth 5, 20 groups each holding a page permission on a different section, 50 users,
//! 200,000 page entries of which 2,000 belong to deleted pages. Measures the first 50 entries
//! newest first and the count, for an editor with one section and for a superuser, on an
//! SQLite file and on PostgreSQL; prints each query's plan first.
//!
//! ```sh
//! cargo bench --bench visibility
//! ```

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use loggable::db::{self, BackendKind, DbConnection};
use loggable::entry::{EntryQuery, EntryScope, LogTable, NewLogEntry, PageLogTable};
use loggable::page::tree::encode_step;
use loggable::permission::{
    PagePermission, Viewer, add_to_group, count_viewable, create_group, grant_page_permission,
    viewable_entries,
};
use loggable::schema::pages;
use loggable::user::{NewUser, create_user};

const ENTRIES: usize = 200_000;
const DELETED_PAGE_ENTRIES: usize = 2_000;

/// Children per page at each depth: 1 root, 20 sections, 200, 1,200, 3,600 pages.
const FANOUT: [u32; 4] = [20, 10, 6, 3];

fn seed(conn: &mut DbConnection) -> (Viewer, Viewer) {
    db::run_migrations(conn).expect("migrations");
    // Pages straight into the table: the tree operations are not what is measured here.
    let mut rows = vec![("0001".to_owned(), 1)];
    let mut level = vec!["0001".to_owned()];
    for (depth, fanout) in FANOUT.iter().enumerate() {
        let mut next = Vec::new();
        for parent in &level {
            for n in 1..=*fanout {
                let path = format!("{parent}{}", encode_step(n).expect("step"));
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
                    pages::path.eq(path.clone()),
                    pages::depth.eq(*depth),
                    pages::title.eq(format!("Page {path}")),
                    pages::draft_title.eq(format!("Page {path}")),
                    pages::slug.eq(path.to_lowercase()),
                    pages::content_type.eq("cms.simplepage"),
                )
            })
            .collect();
        let insert = diesel::insert_into(pages::table).values(values);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c),
            DbConnection::Postgresql(c) => insert.execute(c),
        }
        .expect("pages");
    }
    let ids: Vec<(i64, String)> = pages::table
        .select((pages::id, pages::path))
        .order(pages::path)
        .load(conn)
        .expect("page ids");
    let sections: Vec<i64> = ids
        .iter()
        .filter(|(_, p)| p.len() == 8)
        .map(|(id, _)| *id)
        .collect();
    let mut groups = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let group = create_group(conn, &format!("Section {i} editors")).expect("group");
        grant_page_permission(conn, group.id, *section, PagePermission::Change).expect("grant");
        groups.push(group.id);
    }
    let mut editor = None;
    for i in 0..50 {
        let user = create_user(conn, &NewUser::new(&format!("user{i}"))).expect("user");
        add_to_group(conn, user.id, groups[i % groups.len()]).expect("member");
        editor.get_or_insert(user.id);
    }
    let admin = create_user(conn, &NewUser::new("admin").superuser()).expect("admin");

    let start = Utc::now() - Duration::days(365);
    let max_page = ids.iter().map(|(id, _)| *id).max().unwrap_or(0);
    let entries: Vec<NewLogEntry> = (0..ENTRIES)
        .map(|i| {
            let page_id = if i < DELETED_PAGE_ENTRIES {
                max_page + 1 + (i as i64 % 100)
            } else {
                ids[i % ids.len()].0
            };
            NewLogEntry {
                object_id: page_id.to_string(),
                content_type: Some("cms.simplepage".to_owned()),
                label: format!("Page {page_id}"),
                action: "wagtail.edit".to_owned(),
                data: Default::default(),
                timestamp: start + Duration::seconds(i as i64 * 150),
                uuid: None,
                user_id: Some(1 + (i as i64 % 50)),
                revision_id: None,
                content_changed: true,
                deleted: false,
            }
        })
        .collect();
    db::transaction(conn, |conn| PageLogTable.insert_many(conn, &entries)).expect("entries");
    conn.batch_execute("ANALYZE").expect("analyze");
    let load =
        |conn: &mut DbConnection, id| Viewer::load(conn, id).expect("viewer").expect("exists");
    (load(conn, editor.unwrap_or(1)), load(conn, admin.id))
}

/// Captures the SQL of the statements a connection runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Captured {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.lock().expect("capture").push(query.to_string());
        }
    }
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// Prints the plan of the statement `run` issues. Bench-only: the captured SQL's bind
/// markers are replaced by the integers it was run with before EXPLAIN.
fn print_plan(
    conn: &mut DbConnection,
    label: &str,
    user: i64,
    limit: Option<i64>,
    run: impl FnOnce(&mut DbConnection),
) {
    let captured = Captured::default();
    conn.set_instrumentation(captured.clone());
    run(conn);
    conn.set_instrumentation(
        diesel::connection::get_default_instrumentation()
            .unwrap_or_else(|| Box::new(None::<Captured>)),
    );
    let statement = captured
        .0
        .lock()
        .expect("capture")
        .last()
        .cloned()
        .unwrap_or_default();
    let sql = statement
        .split(" -- binds:")
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut filled = String::new();
    let mut rest = sql.as_str();
    let mut index = 0;
    let binds_count = sql.matches('?').count().max(sql.matches('$').count());
    while let Some(pos) = rest.find(['?', '$']) {
        filled.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        index += 1;
        let value = if index == binds_count && limit.is_some() {
            limit.unwrap_or(0)
        } else {
            user
        };
        filled.push_str(&value.to_string());
        rest = &after[digits..];
    }
    filled.push_str(rest);
    println!("\n== plan: {label} ({})", conn.backend());
    match conn.backend() {
        BackendKind::Sqlite => {
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Text)]
                detail: String,
            }
            match diesel::sql_query(format!("EXPLAIN QUERY PLAN {filled}")).load::<Row>(conn) {
                Ok(rows) => rows.iter().for_each(|r| println!("  {}", r.detail)),
                Err(e) => println!("  (no plan: {e})"),
            }
        }
        BackendKind::Postgresql => {
            match diesel::sql_query(format!("EXPLAIN (ANALYZE, COSTS OFF) {filled}"))
                .load::<PlanLine>(conn)
            {
                Ok(rows) => rows.iter().for_each(|r| println!("  {}", r.line)),
                Err(e) => println!("  (no plan: {e})"),
            }
        }
    }
}

fn bench_backend(c: &mut Criterion, name: &str, conn: &mut DbConnection) {
    let (editor, admin) = seed(conn);
    let first50 = || EntryQuery::new(EntryScope::All).limit(50);
    let all = || EntryQuery::new(EntryScope::All);
    for (label, viewer) in [("editor", editor), ("superuser", admin)] {
        print_plan(
            conn,
            &format!("first 50, {label}"),
            viewer.user_id,
            Some(50),
            |conn| {
                viewable_entries(conn, &PageLogTable, &viewer, first50()).expect("first 50");
            },
        );
        print_plan(
            conn,
            &format!("count, {label}"),
            viewer.user_id,
            None,
            |conn| {
                count_viewable(conn, &PageLogTable, &viewer, all()).expect("count");
            },
        );
    }
    println!(
        "\nvisible to the editor: {} of {} entries",
        count_viewable(conn, &PageLogTable, &editor, all()).expect("count"),
        ENTRIES
    );
    let mut group = c.benchmark_group(format!("visibility/{name}"));
    group.sample_size(20);
    group.bench_function("first50_editor", |b| {
        b.iter(|| viewable_entries(conn, &PageLogTable, &editor, first50()).expect("query"))
    });
    group.bench_function("first50_superuser", |b| {
        b.iter(|| viewable_entries(conn, &PageLogTable, &admin, first50()).expect("query"))
    });
    group.bench_function("count_editor", |b| {
        b.iter(|| count_viewable(conn, &PageLogTable, &editor, all()).expect("count"))
    });
    group.bench_function("count_superuser", |b| {
        b.iter(|| count_viewable(conn, &PageLogTable, &admin, all()).expect("count"))
    });
    group.finish();
}

fn visibility(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("visibility.sqlite3");
    let mut sqlite = db::connect(&path.display().to_string()).expect("sqlite");
    bench_backend(c, "sqlite_file_wal", &mut sqlite);

    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let Ok(mut admin) = db::connect(&url) else {
        eprintln!("PostgreSQL at {url} is not reachable: skipping its benchmarks");
        return;
    };
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("schema");
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut pg =
        db::connect(&format!("{url}{separator}options=-csearch_path%3D{schema}")).expect("pg");
    bench_backend(c, "postgresql", &mut pg);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .expect("drop schema");
}

criterion_group!(benches, visibility);
criterion_main!(benches);
