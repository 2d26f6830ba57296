//! Permission-filtered reads of the page log on the data set of `loggable::bench` (5,020
//! pages, 20 groups each editing a different section, 50 users, 200,000 page entries of which
//! 2,000 belong to deleted pages): the first 50 entries newest first and the count, for an
//! editor with one section and for a superuser, the site history's first page, and one page's
//! history, on an SQLite file and on PostgreSQL. Prints each SQLite query's plan first
//! (`EXPLAIN QUERY PLAN`); PostgreSQL's plans, with their real parameters and ANALYZE, go to
//! the server log through `auto_explain` (Diesel's connection drops notices, so they cannot
//! come back to the client).
//!
//! ```sh
//! cargo bench --bench visibility 2>&1 | tee visibility.txt
//! ```

use std::sync::{Arc, Mutex};

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use loggable::db::{BackendKind, DbConnection};
use loggable::entry::{EntryQuery, EntryScope, PAGE_LOG};
use loggable::permission::{count_viewable, viewable_entries};
use loggable::report::{Filters, site_history_page};
use loggable_cli::bench::Seeded;

const ENTRIES: usize = 200_000;

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

/// Prints the plans of the statements `run` issues.
fn print_plans(conn: &mut DbConnection, label: &str, mut run: impl FnMut(&mut DbConnection)) {
    println!("\n== plan: {label} ({})", conn.backend());
    match conn.backend() {
        BackendKind::Sqlite => {
            for statement in captured(conn, run) {
                let sql = statement.split(" -- binds:").next().unwrap_or_default();
                if !sql.trim_start().starts_with("SELECT") {
                    continue;
                }
                #[derive(QueryableByName)]
                struct Row {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    detail: String,
                }
                // Unbound parameters read as NULL; SQLite's plan does not depend on them.
                println!("  -- {}", &sql[..sql.len().min(160)]);
                match diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load::<Row>(conn) {
                    Ok(rows) => rows.iter().for_each(|r| println!("  {}", r.detail)),
                    Err(e) => println!("  (no plan: {e})"),
                }
            }
        }
        BackendKind::Postgresql => {
            // The plans the timed runs use: after five executions of a prepared statement
            // PostgreSQL may switch to its generic plan.
            for _ in 0..loggable_cli::bench::WARM_UP_RUNS {
                run(conn);
            }
            // auto_explain logs each plan with its real parameters; client_min_messages
            // sends that log to this client, whose notice handler prints it on stderr.
            conn.batch_execute(
                "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; \
                 SET auto_explain.log_analyze = on; SET client_min_messages = log",
            )
            .expect("auto_explain");
            run(conn);
            conn.batch_execute(
                "SET client_min_messages = notice; SET auto_explain.log_min_duration = -1",
            )
            .expect("auto_explain off");
        }
        BackendKind::Mysql => {
            for statement in captured(conn, run) {
                let Some((sql, binds)) = statement.split_once(" -- binds: ") else {
                    continue;
                };
                if !sql.trim_start().starts_with("SELECT") {
                    continue;
                }
                #[derive(QueryableByName)]
                struct Row {
                    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                    table: Option<String>,
                    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                    r#type: Option<String>,
                    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                    key: Option<String>,
                    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                    rows: Option<String>,
                    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                    #[diesel(column_name = "Extra")]
                    extra: Option<String>,
                }
                println!("  -- {}", &sql[..sql.len().min(160)]);
                // EXPLAIN takes no bound parameters: the values go into the text.
                let Some(inlined) = inline_binds(sql, binds) else {
                    println!("  (no plan: binds not inlined)");
                    continue;
                };
                match diesel::sql_query(format!("EXPLAIN {inlined}")).load::<Row>(conn) {
                    Ok(rows) => rows.iter().for_each(|r| {
                        println!(
                            "  {} {} key={} rows={} {}",
                            r.table.as_deref().unwrap_or("-"),
                            r.r#type.as_deref().unwrap_or("-"),
                            r.key.as_deref().unwrap_or("-"),
                            r.rows.as_deref().unwrap_or("-"),
                            r.extra.as_deref().unwrap_or("")
                        )
                    }),
                    Err(e) => println!("  (no plan: {e})"),
                }
            }
        }
    }
}

/// The statements `run` issues on `conn`, each with its bound values after ` -- binds: `.
fn captured(conn: &mut DbConnection, run: impl FnOnce(&mut DbConnection)) -> Vec<String> {
    let captured = Captured::default();
    conn.set_instrumentation(captured.clone());
    run(conn);
    conn.set_instrumentation(None::<Captured>);
    captured.0.lock().expect("capture").clone()
}

/// `sql` with each `?` replaced by the next of `binds` (Diesel's debug list of the bound
/// values: numbers, `"text"`, `Some(..)`, `None`, timestamps) as an SQL literal.
fn inline_binds(sql: &str, binds: &str) -> Option<String> {
    let inner = binds.trim().strip_prefix('[')?.strip_suffix(']')?;
    let mut values = Vec::new();
    let mut chars = inner.chars().peekable();
    let mut current = String::new();
    let mut in_text = false;
    while let Some(c) = chars.next() {
        match (c, in_text) {
            ('"', false) => {
                in_text = true;
                current.push('\'');
            }
            ('\\', true) => {
                let escaped = chars.next()?;
                match escaped {
                    '\'' => current.push_str("''"),
                    '\\' => current.push_str("\\\\"),
                    other => current.push(other),
                }
            }
            ('"', true) => {
                in_text = false;
                current.push('\'');
            }
            ('\'', true) => current.push_str("''"),
            (',', false) => values.push(std::mem::take(&mut current)),
            (other, _) => current.push(other),
        }
    }
    if !current.trim().is_empty() {
        values.push(current);
    }
    let literal = |value: &str| {
        let value = value.trim();
        let value = value
            .strip_prefix("Some(")
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or(value);
        if value == "None" {
            "NULL".to_owned()
        } else if value.chars().next().is_some_and(|c| c.is_ascii_digit()) && value.contains('T') {
            format!("'{}'", value.replace('T', " "))
        } else {
            value.to_owned()
        }
    };
    let mut out = String::with_capacity(sql.len());
    let mut values = values.iter();
    for c in sql.chars() {
        if c == '?' {
            out.push_str(&literal(values.next()?));
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn bench_backend(c: &mut Criterion, name: &str, conn: &mut DbConnection) {
    let seeded: Seeded = loggable_cli::bench::seed(conn, ENTRIES, |_| ()).expect("seed");
    let (editor, admin) = (seeded.editor, seeded.superuser);
    let first50 = || EntryQuery::new(EntryScope::All).limit(50);
    let all = || EntryQuery::new(EntryScope::All);
    let page_history = || {
        EntryQuery::new(EntryScope::Object {
            content_type: None,
            object_id: seeded.history_page.to_string(),
        })
        .grouped()
        .limit(50)
    };
    for (label, viewer) in [("editor", editor), ("superuser", admin)] {
        print_plans(conn, &format!("first 50, {label}"), |conn| {
            viewable_entries(conn, &PAGE_LOG, &viewer, first50()).expect("first 50");
        });
        print_plans(conn, &format!("count, {label}"), |conn| {
            count_viewable(conn, &PAGE_LOG, &viewer, all()).expect("count");
        });
    }
    print_plans(conn, "site history first 50, editor", |conn| {
        site_history_page(
            conn,
            &seeded.registry,
            Some(&editor),
            &Filters::default(),
            None,
            50,
        )
        .expect("site history");
    });
    print_plans(conn, "one page's history, first 50", |conn| {
        PAGE_LOG.query(conn, &page_history()).expect("history");
    });
    println!(
        "\nvisible to the editor: {} of {} entries",
        count_viewable(conn, &PAGE_LOG, &editor, all()).expect("count"),
        ENTRIES
    );
    let mut group = c.benchmark_group(format!("visibility/{name}"));
    group.sample_size(20);
    group.bench_function("first50_editor", |b| {
        b.iter(|| viewable_entries(conn, &PAGE_LOG, &editor, first50()).expect("query"))
    });
    group.bench_function("first50_superuser", |b| {
        b.iter(|| viewable_entries(conn, &PAGE_LOG, &admin, first50()).expect("query"))
    });
    group.bench_function("count_editor", |b| {
        b.iter(|| count_viewable(conn, &PAGE_LOG, &editor, all()).expect("count"))
    });
    group.bench_function("count_superuser", |b| {
        b.iter(|| count_viewable(conn, &PAGE_LOG, &admin, all()).expect("count"))
    });
    group.bench_function("page_history_first50", |b| {
        b.iter(|| PAGE_LOG.query(conn, &page_history()).expect("history"))
    });
    group.finish();
}

fn visibility(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    loggable_cli::bench::on_each_backend(dir.path(), |name, conn| {
        bench_backend(c, name, conn);
    })
    .expect("bench databases");
}

criterion_group!(benches, visibility);
criterion_main!(benches);
