//! The benchmark data set and measurements behind `loggable bench` and the criterion benches:
//! a page tree of 5,020 pages (depth 5), 20 groups each editing a different section, 50 users,
//! and a page log of which 1% belongs to deleted pages, the shape of the reference
//! measurements of Wagtail in issue #8.
//!
//! Write metrics time `n` entries in all (`per_second` = entries per second); read metrics take
//! the median of several timed runs after a warm-up (`n` = rows returned, `per_second` = runs
//! per second).
//!
//! ```
//! let mut conn = loggable::db::connect(":memory:")?;
//! let seeded = loggable_cli::bench::seed(&mut conn, 1_000, |_| ())?;
//! assert_eq!(seeded.entries, 1_000);
//! let reads = loggable_cli::bench::measure_reads(&mut conn, &seeded, 3)?;
//! let rows = |metric: &str| reads.iter().find(|m| m.metric == metric).map(|m| m.n);
//! assert_eq!(rows("viewable_by_user_first50_superuser"), Some(50));
//! assert_eq!(rows("viewable_by_user_count_superuser"), Some(1_000));
//! // The editor edits one section of twenty: a small share of the log.
//! assert!(rows("viewable_by_user_count_editor").is_some_and(|n| 0 < n && n < 200));
//! # Ok::<(), loggable::Error>(())
//! ```

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use loggable::LogContext;
use loggable::ObjectRef;
use loggable::db::{self, DbConnection};
use loggable::entry::{EntryQuery, EntryScope, PAGE_LOG};
use loggable::log;
use loggable::model::prepare_bulk;
use loggable::permission::{count_viewable, viewable_entries};
use loggable::registry::Registry;
use loggable::report::{Filters, site_history_page};
use loggable::{Error, Result};

mod floors;
mod seed;
mod targets;
mod updates;

pub use self::seed::{Seeded, seed};
pub use self::targets::{TargetCheck, check_targets};
pub use self::updates::{BATCH, Widget, bench_widgets, measure_updates, prepare_widgets};

/// The page type of the data set.
pub const PAGE_TYPE: &str = "bench.page";

/// Children per page at each depth: 1 root, 20 sections, 200, 1,200 and 3,600 pages below.
const FANOUT: [u32; 4] = [20, 10, 6, 3];

/// Users in the data set; user `i` is in group `i % 20`.
const USERS: usize = 50;

/// Entries of single-entry write metrics (as in the reference measurements).
pub const WRITES: usize = 20_000;

/// The PostgreSQL server the benchmarks fall back to: the local test server.
pub const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The PostgreSQL server to measure: `named` when it is a PostgreSQL URL (then `true`), else
/// [`LOCAL_POSTGRES`] (then `false`: a caller may skip it quietly when it is down).
///
/// ```
/// use loggable_cli::bench::{LOCAL_POSTGRES, postgres_server};
///
/// assert_eq!(postgres_server(Some("loggable.sqlite3")), (LOCAL_POSTGRES.to_owned(), false));
/// assert_eq!(postgres_server(Some("postgres://u@db/x")), ("postgres://u@db/x".to_owned(), true));
/// ```
pub fn postgres_server(named: Option<&str>) -> (String, bool) {
    match named.filter(|url| {
        db::DatabaseUrl::parse(url).is_ok_and(|u| u.backend() == db::BackendKind::Postgresql)
    }) {
        Some(url) => (url.to_owned(), true),
        None => (LOCAL_POSTGRES.to_owned(), false),
    }
}

/// A scratch schema for the criterion benches on the server [`postgres_server`] picks from
/// `DATABASE_URL`, or `None` (said on stderr) when that server is not reachable.
fn postgres_bench_schema() -> Option<db::IsolatedSchema> {
    let (url, _) = postgres_server(std::env::var("DATABASE_URL").ok().as_deref());
    let schema = db::IsolatedSchema::create(&url, "bench").ok();
    if schema.is_none() {
        eprintln!("PostgreSQL at {url} is not reachable: skipping its benchmarks");
    }
    schema
}

/// Runs `bench` on a migrated SQLite file (WAL) in `dir`, named `sqlite_file_wal`, then on a
/// migrated scratch schema of the PostgreSQL server `DATABASE_URL` names (else the local test
/// server), named `postgresql`, when that server is reachable, then, when
/// `LOGGABLE_BENCH_MYSQL` names a MySQL or MariaDB server, on a scratch database there, named
/// `mysql`: the shape of every criterion bench.
///
/// ```no_run
/// let dir = std::env::temp_dir();
/// loggable_cli::bench::on_each_backend(&dir, |name, conn| {
///     println!("{name} ready");
/// })?;
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn on_each_backend(
    dir: &std::path::Path,
    mut bench: impl FnMut(&str, &mut DbConnection),
) -> Result<()> {
    let path = dir.join("bench.sqlite3");
    let mut sqlite = db::connect(&path.display().to_string())?;
    db::run_migrations(&mut sqlite)?;
    bench("sqlite_file_wal", &mut sqlite);
    if let Some(schema) = postgres_bench_schema() {
        let mut pg = db::connect(schema.url())?;
        db::run_migrations(&mut pg)?;
        bench("postgresql", &mut pg);
    }
    if let Ok(url) = std::env::var("LOGGABLE_BENCH_MYSQL") {
        let database = db::IsolatedSchema::create(&url, "bench")?;
        let mut mysql = db::connect(database.url())?;
        db::run_migrations(&mut mysql)?;
        bench("mysql", &mut mysql);
    }
    Ok(())
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// `sqlite` or `postgresql`.
    pub db: &'static str,
    /// The metric's name.
    pub metric: &'static str,
    /// Entries written, or rows a read returned.
    pub n: u64,
    /// Time of the whole write, or the median time of one read.
    pub seconds: f64,
    /// Entries per second (writes) or runs per second (reads).
    pub per_second: f64,
    /// Page log entries in the data set when it was measured.
    pub entries: u64,
}

/// Wagtail 8.0.1's figures for the same metric on the same data set and machine kind:
/// entries per second for writes, seconds per run for reads. SQLite and PostgreSQL from issue
/// #8; MariaDB 10.11 (reads only, the faster of two runs of
/// `docs/benchmarks/wagtail/bench.py mysql`, request-shaped) from 2026-12-02.
pub fn wagtail_reference(db: &str, metric: &str) -> Option<f64> {
    // A bare read's floor is compared with Wagtail's figure for the same read.
    let metric = metric.strip_suffix("_bare_diesel").unwrap_or(metric);
    let (sqlite, postgresql, mysql) = match metric {
        "write_log_autocommit_one_logcontext" | "write_log_autocommit_synchronous_full" => {
            (473.0, 532.0, None)
        }
        "write_log_one_transaction" | "write_log_bulk" | "seed_log_bulk" => (1_234.0, 624.0, None),
        "viewable_by_user_first50_editor" => (0.0167, 0.0085, Some(0.0511)),
        "site_history_first50_editor" => (0.0167, 0.0085, Some(0.0437)),
        "viewable_by_user_first50_superuser" => (0.365, 0.0041, Some(0.0057)),
        "viewable_by_user_count_editor" => (0.0065, 0.0288, Some(0.0098)),
        "page_history_first50" => (0.00105, 0.00114, Some(0.00257)),
        _ => return None,
    };
    match db {
        "sqlite" => Some(sqlite),
        "postgresql" => Some(postgresql),
        "mysql" => mysql,
        _ => None,
    }
}

impl Measurement {
    /// Whether the figure is a rate (entries or rows written per second) rather than the
    /// time one read takes.
    pub fn is_throughput(&self) -> bool {
        ["write_", "seed_", "update_", "calibration_commit"]
            .iter()
            .any(|prefix| self.metric.starts_with(prefix))
    }

    /// How many times faster than Wagtail's reference figure, when there is one.
    pub fn speedup(&self) -> Option<f64> {
        let reference = wagtail_reference(self.db, self.metric)?;
        if self.is_throughput() {
            Some(self.per_second / reference)
        } else {
            Some(reference / self.seconds.max(f64::MIN_POSITIVE))
        }
    }
}
fn measurement(
    conn: &DbConnection,
    metric: &'static str,
    n: u64,
    took: Duration,
    entries: usize,
) -> Measurement {
    let seconds = took.as_secs_f64();
    Measurement {
        entries: entries as u64,
        db: conn.backend().name(),
        metric,
        n,
        seconds,
        per_second: if seconds > 0.0 {
            n as f64 / seconds
        } else {
            f64::INFINITY
        },
    }
}

/// Untimed calls before a read is timed. PostgreSQL plans a prepared statement for its bound
/// values in its first five executions and only then settles on one generic plan; a pooled
/// connection serving a report lives past that, so the figures are that steady state.
pub const WARM_UP_RUNS: usize = 10;

/// The median of `runs` timed calls of `read` after [`WARM_UP_RUNS`] untimed ones; returns it
/// with the rows the read returned.
fn median_of(
    conn: &mut DbConnection,
    runs: usize,
    mut read: impl FnMut(&mut DbConnection) -> Result<u64>,
) -> Result<(u64, Duration)> {
    let rows = read(conn)?;
    for _ in 1..WARM_UP_RUNS {
        read(conn)?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let begun = Instant::now();
        read(conn)?;
        times.push(begun.elapsed());
    }
    times.sort();
    Ok((rows, times[times.len() / 2]))
}

/// One read metric: reads on the connection, returns how many rows it read (or counted).
type Read<'a> = Box<dyn FnMut(&mut DbConnection) -> Result<u64> + 'a>;

/// Times the read metrics, each the median of `runs` runs.
pub fn measure_reads(
    conn: &mut DbConnection,
    seeded: &Seeded,
    runs: usize,
) -> Result<Vec<Measurement>> {
    let first50 = || EntryQuery::new(EntryScope::All).limit(50);
    let all = || EntryQuery::new(EntryScope::All);
    let as_rows = |n: usize| n as u64;
    let as_count = |n: i64| u64::try_from(n).unwrap_or(0);
    let (editor, superuser) = (&seeded.editor, &seeded.superuser);
    let mut reads: Vec<(&'static str, Read<'_>)> = vec![
        (
            "viewable_by_user_first50_editor",
            Box::new(move |c| {
                Ok(as_rows(
                    viewable_entries(c, &PAGE_LOG, editor, first50())?.len(),
                ))
            }),
        ),
        (
            "viewable_by_user_first50_superuser",
            Box::new(move |c| {
                Ok(as_rows(
                    viewable_entries(c, &PAGE_LOG, superuser, first50())?.len(),
                ))
            }),
        ),
        (
            "viewable_by_user_count_editor",
            Box::new(move |c| Ok(as_count(count_viewable(c, &PAGE_LOG, editor, all())?))),
        ),
        (
            "viewable_by_user_count_superuser",
            Box::new(move |c| Ok(as_count(count_viewable(c, &PAGE_LOG, superuser, all())?))),
        ),
        (
            "site_history_first50_editor",
            Box::new(move |c| {
                let page = site_history_page(
                    c,
                    &seeded.registry,
                    Some(editor),
                    &Filters::default(),
                    None,
                    50,
                )?;
                Ok(as_rows(page.entries.len()))
            }),
        ),
        (
            "page_history_first50",
            Box::new(move |c| {
                let scope = EntryScope::Object {
                    content_type: None,
                    object_id: seeded.history_page.to_string(),
                };
                let query = EntryQuery::new(scope).grouped().limit(50);
                Ok(as_rows(PAGE_LOG.query(c, &query)?.len()))
            }),
        ),
    ];
    reads.extend(floors::bare_reads(conn, seeded)?);
    let mut measured = Vec::with_capacity(reads.len());
    for (metric, mut read) in reads {
        let (rows, median) = median_of(conn, runs, &mut read)?;
        let mut figure = measurement(conn, metric, rows, median, seeded.entries);
        figure.per_second = 1.0 / figure.seconds.max(f64::MIN_POSITIVE);
        measured.push(figure);
    }
    Ok(measured)
}

/// Times `n` single entries each in its own transaction inside one log context, then `n`
/// entries in one transaction, both through [`log`] on one page.
pub fn measure_writes(
    conn: &mut DbConnection,
    seeded: &Seeded,
    n: usize,
) -> Result<Vec<Measurement>> {
    let page = Writes {
        object: ObjectRef::new(PAGE_TYPE, seeded.history_page).title("Written page"),
        content_changed: true,
        registry: seeded.registry.clone(),
        user: Some(seeded.editor.user_id),
        n,
    };
    let timed =
        |conn: &mut DbConnection, metric, write: &dyn Fn(&mut DbConnection) -> Result<()>| {
            let took = timed_write(conn, write)?;
            Ok::<_, loggable::Error>(measurement(conn, metric, n as u64, took, seeded.entries))
        };
    let mut figures = vec![
        timed(conn, "write_log_autocommit_one_logcontext", &|c| {
            page.run(c, false)
        })?,
        timed(conn, "write_log_one_transaction", &|c| page.run(c, true))?,
        // The same through a BufferedLog: entries wait and go in together (PostgreSQL).
        timed(conn, "write_log_one_transaction_buffered", &|c| {
            page.run_buffered(c)
        })?,
        // One user action per entry, the shape of a web application's requests: each entry
        // has a uuid of its own, which the uuid index must take.
        timed(conn, "write_log_autocommit_context_per_entry", &|c| {
            page.run_context_per_entry(c)
        })?,
        // The same entries through the bulk path: built, checked and written in one
        // transaction.
        timed(conn, "write_log_bulk", &|c| page.run_bulk(c))?,
    ];
    // What the hash chain costs: single entries to the (empty) generic table, without and then
    // with its chain.
    let mut widget = Writes {
        object: ObjectRef::new("bench.widget", 1).title("Widget"),
        content_changed: false,
        ..page.clone()
    };
    figures.push(timed(conn, "write_log_autocommit_generic_table", &|c| {
        widget.run(c, false)
    })?);
    loggable::integrity::enable(conn, &loggable::entry::MODEL_LOG)?;
    widget.registry.set_write_hook(
        loggable::entry::MODEL_LOG.name(),
        std::sync::Arc::new(loggable::integrity::HashChain::new()),
    );
    figures.push(timed(conn, "write_log_autocommit_hash_chain", &|c| {
        widget.run(c, false)
    })?);
    if conn.backend() == db::BackendKind::Sqlite {
        // The same single-entry writes with every commit synced to disk (SQLite's default
        // outside WAL, and what Django runs with), beside loggable's WAL + NORMAL.
        conn.batch_execute("PRAGMA synchronous = FULL")
            .context("syncing every commit")?;
        let figure = timed(conn, "write_log_autocommit_synchronous_full", &|c| {
            page.run(c, false)
        })
        .and_then(|figure| {
            Ok([
                figure,
                commit_ceiling(conn, n, seeded.entries)?,
                floors::entry_row_floor(conn, n, seeded)?,
            ])
        });
        conn.batch_execute("PRAGMA synchronous = NORMAL")
            .context("restoring synchronous = NORMAL")?;
        figures.extend(figure?);
    } else {
        figures.push(commit_ceiling(conn, n, seeded.entries)?);
        figures.push(floors::entry_row_floor(conn, n, seeded)?);
    }
    figures.push(round_trip(conn, seeded.entries)?);
    Ok(figures)
}

diesel::table! {
    bench_calibration (id) {
        id -> BigInt,
        v -> Integer,
    }
}

/// What this machine allows, for reading the single-entry figures: `n` one-row INSERTs into
/// a table with no other index, each its own durable transaction (SQLite: at the
/// connection's current `synchronous`). Like pgbench's simplest write; no log can beat it.
fn commit_ceiling(conn: &mut DbConnection, n: usize, entries: usize) -> Result<Measurement> {
    let key = match conn.backend() {
        db::BackendKind::Sqlite => "INTEGER PRIMARY KEY",
        db::BackendKind::Postgresql => "BIGSERIAL PRIMARY KEY",
        db::BackendKind::Mysql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE bench_calibration (id {key}, v INTEGER NOT NULL)"
    ))
    .context("creating the calibration table")?;
    let took = timed_write(conn, |conn| {
        for _ in 0..n {
            diesel::insert_into(bench_calibration::table)
                .values(bench_calibration::v.eq(1))
                .execute(conn)
                .context("writing a calibration row")?;
        }
        Ok(())
    })?;
    conn.batch_execute("DROP TABLE bench_calibration")
        .context("dropping the calibration table")?;
    Ok(measurement(
        conn,
        "calibration_commit_trivial_insert",
        n as u64,
        took,
        entries,
    ))
}

/// How long `write` takes from an empty write-ahead log to one written back into the database
/// file (SQLite). A checkpoint is the deferred half of a WAL commit: this way each write
/// metric pays for its own and none for an earlier one's, whatever order they run in.
/// PostgreSQL's checkpoints are the server's, outside any client's time.
fn timed_write(
    conn: &mut DbConnection,
    write: impl FnOnce(&mut DbConnection) -> Result<()>,
) -> Result<Duration> {
    checkpoint(conn)?;
    let begun = Instant::now();
    write(conn)?;
    checkpoint(conn)?;
    Ok(begun.elapsed())
}

/// Writes SQLite's write-ahead log back into the database file and empties it.
fn checkpoint(conn: &mut DbConnection) -> Result<()> {
    if conn.backend() == db::BackendKind::Sqlite {
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .context("checkpointing the write-ahead log")?;
    }
    Ok(())
}

/// A constant read, of fixed text (prepared once): MySQL cannot say what type a bound value
/// selected alone has, so no value is bound.
#[derive(Clone, Copy)]
struct SelectOne(&'static str);

impl<DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB> for SelectOne {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

impl diesel::query_builder::QueryId for SelectOne {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for SelectOne {
    type SqlType = diesel::sql_types::BigInt;
}

impl RunQueryDsl<DbConnection> for SelectOne {}

/// The median time of `SELECT 1`: what one statement costs before any work (on PostgreSQL,
/// the round trip to the server).
fn round_trip(conn: &mut DbConnection, entries: usize) -> Result<Measurement> {
    let one = SelectOne(match conn.backend() {
        db::BackendKind::Mysql => "SELECT CAST(1 AS SIGNED)",
        _ => "SELECT CAST(1 AS BIGINT)",
    });
    let (_, took) = median_of(conn, 201, |conn| {
        one.get_result::<i64>(conn)
            .context("timing a round trip")
            .map(|_| 1)
    })?;
    Ok(measurement(
        conn,
        "calibration_round_trip",
        1,
        took,
        entries,
    ))
}

/// `n` entries about one object through [`log`], in one log context.
#[derive(Clone)]
struct Writes {
    object: ObjectRef,
    content_changed: bool,
    registry: Registry,
    user: Option<i64>,
    n: usize,
}

impl Writes {
    /// One entry, not yet written.
    fn entry(&self) -> loggable::LogBuilder<'_, ObjectRef> {
        log(&self.object, "wagtail.edit").content_changed(self.content_changed)
    }

    /// Writes them with one bulk write (multi-row INSERTs, COPY on PostgreSQL).
    fn run_bulk(&self, conn: &mut DbConnection) -> Result<()> {
        LogContext::new(self.user).scope(|| {
            let builders = (0..self.n).map(|_| self.entry());
            let bulk = prepare_bulk(&self.registry, builders)?;
            loggable::model::log_bulk(conn, &bulk).map(drop)
        })
    }

    /// One entry through [`log`], in the active log context.
    fn write_one(&self, conn: &mut DbConnection) -> Result<()> {
        self.entry().write_with(conn, &self.registry).map(drop)
    }

    /// Writes them in one [`loggable::entry::buffered_transaction`].
    fn run_buffered(&self, conn: &mut DbConnection) -> Result<()> {
        LogContext::new(self.user).scope(|| {
            loggable::entry::buffered_transaction(conn, |conn| {
                (0..self.n)
                    .try_for_each(|_| self.entry().write_with(conn, &self.registry).map(drop))
            })
        })
    }

    /// Writes them, each committed on its own and in a log context of its own.
    fn run_context_per_entry(&self, conn: &mut DbConnection) -> Result<()> {
        (0..self.n).try_for_each(|_| LogContext::new(self.user).scope(|| self.write_one(conn)))
    }

    /// Writes them, each committed on its own, or `together` in one transaction.
    fn run(&self, conn: &mut DbConnection, together: bool) -> Result<()> {
        let each = |conn: &mut DbConnection| (0..self.n).try_for_each(|_| self.write_one(conn));
        LogContext::new(self.user).scope(|| {
            if together {
                db::transaction(conn, each)
            } else {
                each(conn)
            }
        })
    }
}

/// Attaches what the benchmark was doing to a Diesel error.
pub(crate) trait DatabaseContext<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> DatabaseContext<T> for diesel::QueryResult<T> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Database { context, source })
    }
}
