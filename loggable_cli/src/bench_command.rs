//! `loggable bench`: seeds the data set of issue #8 in a temporary SQLite file and in
//! PostgreSQL, measures every metric, and prints them beside Wagtail's figures.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use loggable::db::DbConnection;
use loggable::db::IsolatedSchema;
use loggable_cli::bench::{self, Measurement};

/// What to run.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// PostgreSQL server to measure (a schema of its own is created and dropped); default
    /// `DATABASE_URL` when it names PostgreSQL, else the local test server.
    #[arg(long)]
    postgres: Option<String>,
    /// Measure SQLite only.
    #[arg(long, conflicts_with_all = ["postgres", "mysql"])]
    sqlite_only: bool,
    /// A MySQL or MariaDB server to measure as well (a database of its own is created and
    /// dropped), e.g. mysql://root@127.0.0.1:3306/test.
    #[arg(long)]
    mysql: Option<String>,
    /// Measure the `--mysql` server only.
    #[arg(long, requires = "mysql", conflicts_with_all = ["postgres", "sqlite_only"])]
    mysql_only: bool,
    /// Page log entries in the data set.
    #[arg(long, default_value_t = 200_000)]
    entries: usize,
    /// Also measure the reads at this many entries (e.g. 2000000).
    #[arg(long)]
    scale: Option<usize>,
    /// Entries for each single-entry write metric.
    #[arg(long, default_value_t = bench::WRITES)]
    writes: usize,
    /// Timed runs per read metric (the median is reported).
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// One JSON line per metric instead of a table.
    #[arg(long)]
    json: bool,
    /// Keep the SQLite data set in this file (for EXPLAIN and by-hand queries) instead of a
    /// temporary one; it must not exist yet.
    #[arg(long)]
    keep_sqlite: Option<PathBuf>,
}

pub fn run(args: &BenchArgs, database: &str) -> Result<()> {
    let postgres = match &args.postgres {
        Some(url) => (url.clone(), true),
        None => bench::postgres_server(Some(database)),
    };
    let (with_sqlite, with_postgres) = (!args.mysql_only, !args.sqlite_only && !args.mysql_only);
    if with_postgres && postgres.1 {
        // A server named explicitly must be reachable: say so before minutes of SQLite.
        drop(IsolatedSchema::create(&postgres.0, "loggable_bench")?);
    }
    if let Some(url) = &args.mysql {
        drop(IsolatedSchema::create(url, "loggable_bench")?);
    }
    let mut figures = Vec::new();
    let mut sizes = vec![args.entries];
    sizes.extend(args.scale);
    for (index, &entries) in sizes.iter().enumerate().filter(|_| with_sqlite) {
        let file = SqliteFile::new()?;
        let path = match (&args.keep_sqlite, index) {
            (Some(kept), 0) => {
                anyhow::ensure!(!kept.exists(), "{} exists already", kept.display());
                kept.clone()
            }
            _ => file.path.clone(),
        };
        let mut conn = loggable::db::connect(&path.to_string_lossy())?;
        figures.extend(measure(&mut conn, args, entries, index == 0)?);
    }
    if with_postgres {
        let (url, explicit) = postgres;
        for (index, &entries) in sizes.iter().enumerate() {
            // A schema of its own per data set, dropped when it has been measured.
            let schema = match IsolatedSchema::create(&url, "loggable_bench") {
                Ok(schema) => schema,
                Err(error) if !explicit && index == 0 => {
                    eprintln!("PostgreSQL skipped: {error}");
                    break;
                }
                Err(error) => return Err(error.into()),
            };
            let mut conn = loggable::db::connect(schema.url())?;
            figures.extend(measure(&mut conn, args, entries, index == 0)?);
        }
    }
    if let Some(url) = &args.mysql {
        for (index, &entries) in sizes.iter().enumerate() {
            let database = IsolatedSchema::create(url, "loggable_bench")?;
            let mut conn = loggable::db::connect(database.url())?;
            figures.extend(measure(&mut conn, args, entries, index == 0)?);
        }
    }
    print(&figures, args.json)
}

/// Seeds `entries` and measures: the bulk write, the reads, and (on the first size) the
/// single-entry writes, after the reads so they do not change the data read.
fn measure(
    conn: &mut DbConnection,
    args: &BenchArgs,
    entries: usize,
    with_writes: bool,
) -> Result<Vec<Measurement>> {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(entries as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_message(format!("seeding {}", conn.backend()));
    let seeded = bench::seed(conn, entries, |written| bar.set_position(written as u64))?;
    bar.finish_and_clear();
    let mut figures = vec![seeded.bulk.clone()];
    figures.extend(bench::measure_reads(conn, &seeded, args.runs)?);
    if with_writes {
        figures.extend(bench::measure_writes(conn, &seeded, args.writes)?);
        figures.extend(bench::measure_updates(
            conn,
            args.writes / 4,
            seeded.entries,
        )?);
    }
    Ok(figures)
}

fn print(figures: &[Measurement], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        for figure in figures {
            writeln!(out, "{}", serde_json::to_string(figure)?)?;
        }
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        "db",
        "metric",
        "entries",
        "n",
        "time",
        "per second",
        "Wagtail",
        "speedup",
    ]);
    for figure in figures {
        let write = figure.is_throughput();
        let reference = bench::wagtail_reference(figure.db, figure.metric);
        table.add_row([
            figure.db.to_owned(),
            figure.metric.to_owned(),
            figure.entries.to_string(),
            figure.n.to_string(),
            if write {
                format!("{:.2} s", figure.seconds)
            } else {
                format!("{:.3} ms", figure.seconds * 1e3)
            },
            format!("{:.0}", figure.per_second),
            match reference {
                Some(r) if write => format!("{r:.0}/s"),
                Some(r) => format!("{:.2} ms", r * 1e3),
                None => String::new(),
            },
            figure
                .speedup()
                .map(|s| format!("{s:.1}x"))
                .unwrap_or_default(),
        ]);
    }
    writeln!(out, "{table}")?;
    let mut targets = Table::new();
    targets.load_preset(UTF8_FULL_CONDENSED).set_header([
        "db",
        "target (issue #20)",
        "this run",
        "wanted",
        "met",
    ]);
    for check in bench::check_targets(figures) {
        targets.add_row([
            check.db.to_owned(),
            check.target.clone(),
            format!("{:.2}", check.figure),
            format!(
                "{} {}",
                if check.at_least { ">=" } else { "<=" },
                check.bound
            ),
            if check.met() { "yes" } else { "no" }.to_owned(),
        ]);
    }
    writeln!(out, "{targets}")?;
    Ok(())
}

/// A temporary SQLite database file, removed with its WAL files when dropped.
struct SqliteFile {
    path: PathBuf,
}

impl SqliteFile {
    fn new() -> Result<Self> {
        let path = std::env::temp_dir().join(format!(
            "loggable-bench-{}.sqlite3",
            uuid::Uuid::new_v4().simple()
        ));
        Ok(Self { path })
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
}
