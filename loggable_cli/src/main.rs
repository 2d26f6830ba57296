//! The `loggable` command line: a thin layer over the library.

mod bench_command;
mod commands;
mod demo;
mod serve;

use commands::{
    export, migrate, print_actions, print_choices, print_entries, purge, report, verify,
};

use std::io;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "loggable",
    version,
    about = "Audit log for Diesel applications"
)]
struct Cli {
    /// Database URL: a SQLite file path, sqlite://PATH, :memory:, or postgres://...
    #[arg(long, global = true, env = "DATABASE_URL", default_value = loggable::db::DEFAULT_DATABASE_URL)]
    database: String,

    #[command(subcommand)]
    command: Command,
}

/// A backend whose migrations to write.
#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
}

#[derive(Subcommand)]
enum Command {
    /// Builds a small demo site, performs a day of edits, and prints the site history.
    Demo,
    /// Prints the history of one page or object: newest first, one row per user action, 20 a page.
    History {
        /// Only what this user (id) may see.
        #[arg(long = "as")]
        as_user: Option<i64>,
        /// A page id.
        #[arg(long, conflicts_with = "object", required_unless_present = "object")]
        page: Option<i64>,
        /// An object as TYPE:ID, e.g. shop.product:7.
        #[arg(long)]
        object: Option<String>,
        /// Which page of the history (20 rows each), from 1.
        #[arg(long, default_value_t = 1)]
        page_number: i64,
        #[command(flatten)]
        filters: HistoryFilterArgs,
        /// Print the filter choices this history offers instead of its rows.
        #[arg(long)]
        choices: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Prints the site history (all log tables), newest first.
    Report {
        /// Only what this user (id) may see.
        #[arg(long = "as")]
        as_user: Option<i64>,
        /// Rows to show.
        #[arg(long, default_value_t = loggable::report::SITE_HISTORY_PAGE_SIZE)]
        limit: i64,
        #[command(flatten)]
        filters: FilterArgs,
        /// Print the filter choices of what the viewer may see instead of the rows.
        #[arg(long)]
        choices: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Writes the filtered site history to a file (or stdout), streaming.
    Export {
        /// csv or jsonl.
        #[arg(long, value_enum)]
        format: ExportArg,
        /// Only what this user (id) may see.
        #[arg(long = "as")]
        as_user: Option<i64>,
        /// Where to write (default: stdout).
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// Creates or updates the schema.
    Migrate,
    /// Walks the hash chain of each log table (or one) and reports the first entry that was
    /// changed, removed, inserted or moved; exits non-zero if it finds one.
    Verify {
        /// Only this log table, e.g. loggable_page_log_entries.
        #[arg(long)]
        table: Option<String>,
        /// Also check that each chain still passes through the heads recorded in this file
        /// (the JSON `verify --format json` prints); keep that file outside the database.
        #[arg(long)]
        expect: Option<std::path::PathBuf>,
        /// Fail unless this table has a hash chain (`all`: every log table); repeatable.
        /// A chain can go missing with every trace of it: say which tables must have one.
        #[arg(long, value_name = "TABLE")]
        chained: Vec<String>,
        /// The chains are keyed (HMAC) with the key in this file; fail any that is not.
        #[arg(long, value_name = "FILE", conflicts_with = "key_env")]
        key_file: Option<std::path::PathBuf>,
        /// The chains are keyed (HMAC) with the key in this environment variable.
        #[arg(long, value_name = "VARIABLE")]
        key_env: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Serves the site history and object histories in a browser, as one user sees them, on
    /// this machine only unless told otherwise.
    Serve {
        /// Show what this user (id) may see.
        #[arg(long = "as")]
        as_user: i64,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        bind: std::net::SocketAddr,
    },
    /// Deletes entries older than a day, archiving them first, in batches that each commit on
    /// their own (an interrupted purge loses nothing; run it again to finish).
    Purge {
        /// Entries before the start of this day (UTC) go, e.g. 2025-01-01.
        #[arg(long)]
        before: chrono::NaiveDate,
        /// Append them to this JSON Lines file (synced before each batch is deleted).
        #[arg(long)]
        archive: Option<std::path::PathBuf>,
        /// Entries per batch.
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
    },
    /// Writes products and their entries as fast as it can (for the crash tests).
    #[command(hide = true)]
    Stress {
        /// How many operations.
        #[arg(long, default_value_t = 1_000_000)]
        ops: u64,
    },
    /// Seeds the benchmark data set (SQLite and PostgreSQL) and measures it against Wagtail.
    Bench(bench_command::BenchArgs),
    /// Writes loggable's migrations into an application's own migrations folder, so that
    /// `diesel migration run`, `revert` and `redo` cover them.
    WriteMigrations {
        /// The backend whose SQL to write.
        #[arg(long, value_enum)]
        backend: BackendArg,
        /// The folder (the application's `migrations/`).
        #[arg(long)]
        to: std::path::PathBuf,
        /// Only the core (the generic log table and the hash chain), without the CMS layer.
        #[arg(long)]
        core_only: bool,
    },
    /// Lists the registered actions in registry order.
    Actions {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// The site-history filters of docs/reports.md.
#[derive(clap::Args, Default)]
struct FilterArgs {
    /// The name contains this text (case-insensitive).
    #[arg(long)]
    name: Option<String>,
    /// Only this type (repeatable), e.g. cms.blogpage.
    #[arg(long = "type")]
    types: Vec<String>,
    #[command(flatten)]
    common: HistoryFilterArgs,
}

/// The filters an object's history and the site history share.
#[derive(clap::Args, Default)]
struct HistoryFilterArgs {
    /// Only this action code (repeatable), e.g. wagtail.publish.
    #[arg(long = "action")]
    actions: Vec<String>,
    /// Only this user key, an integer or a UUID (repeatable).
    #[arg(long = "user")]
    users: Vec<String>,
    /// From this day (YYYY-MM-DD, inclusive, local time).
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// To this day (YYYY-MM-DD, inclusive, local time).
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    /// Only comment actions (true) or none of them (false).
    #[arg(long)]
    comments: Option<bool>,
}

impl FilterArgs {
    fn filters(&self) -> Result<loggable::report::Filters> {
        Ok(loggable::report::Filters {
            name_contains: self.name.clone(),
            content_types: self.types.clone(),
            ..self.common.filters()?
        })
    }
}

impl HistoryFilterArgs {
    fn filters(&self) -> Result<loggable::report::Filters> {
        let registry = loggable::registry::global();
        if let Some(unknown) = self.actions.iter().find(|a| registry.action(a).is_none()) {
            anyhow::bail!("unknown action '{unknown}' (see `loggable actions`)");
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
        }
        Ok(loggable::report::Filters {
            actions: self.actions.clone(),
            users: self.users.iter().map(|id| id.as_str().into()).collect(),
            from: self.from,
            to: self.to,
            comment_actions: self.comments,
            // Whole days are counted in the local timezone, the one the tables show.
            utc_offset_seconds: chrono::Local::now().offset().local_minus_utc(),
            ..Default::default()
        })
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportArg {
    Csv,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, skipping a cause whose text the message before it already shows
/// (loggable's errors name their reason in their own message).
fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

/// `loggable actions | head` closes stdout early; that is not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> Result<()> {
    demo::register_types();
    match cli.command {
        Command::Migrate => migrate(&cli.database),
        Command::Bench(args) => bench_command::run(&args, &cli.database),
        Command::Purge {
            before,
            archive,
            batch,
        } => purge(&cli.database, before, archive.as_deref(), batch),
        Command::Stress { ops } => demo::stress(&mut open(&cli.database)?, ops),
        Command::Verify {
            table,
            expect,
            chained,
            key_file,
            key_env,
            format,
        } => {
            let key = match (key_file, key_env) {
                (Some(path), _) => Some(loggable::integrity::ChainKey::from_file(&path)?),
                (None, Some(name)) => Some(loggable::integrity::ChainKey::from_env(&name)?),
                (None, None) => None,
            };
            let expected = commands::ExpectedChains {
                tables: chained,
                key,
            };
            verify(
                &cli.database,
                table.as_deref(),
                expect.as_deref(),
                &expected,
                format,
            )
        }
        Command::Actions { format } => print_actions(format),
        Command::Serve { as_user, bind } => serve::run(&cli.database, as_user, bind),
        Command::WriteMigrations {
            backend,
            to,
            core_only,
        } => {
            let backend = match backend {
                BackendArg::Sqlite => loggable::db::BackendKind::Sqlite,
                BackendArg::Postgres => loggable::db::BackendKind::Postgresql,
                BackendArg::Mysql => loggable::db::BackendKind::Mysql,
            };
            let layers: &[loggable::db::Layer] = if core_only {
                &[loggable::db::Layer::Core]
            } else {
                &[loggable::db::Layer::Core, loggable::db::Layer::Cms]
            };
            for folder in loggable::db::write_migrations(&to, backend, layers)? {
                println!("{}", folder.display());
            }
            Ok(())
        }
        Command::Demo => {
            let mut conn = open(&cli.database)?;
            let written = demo::run(&mut conn)?;
            eprintln!("Demo site created; {written} log entries in total.");
            report(
                &mut conn,
                None,
                loggable::report::SITE_HISTORY_PAGE_SIZE,
                &FilterArgs::default(),
                Format::Table,
            )
        }
        Command::History {
            as_user,
            page,
            object,
            page_number,
            filters,
            choices,
            format,
        } => {
            let filters = filters.filters()?;
            let object = object.as_deref().map(parse_object).transpose()?;
            let mut conn = open_existing(&cli.database)?;
            let registry = loggable::registry::global();
            let viewer = viewer(&mut conn, as_user)?;
            let viewer = viewer
                .as_ref()
                .map(|v| v as &dyn loggable::entry::Visibility);
            let history = match (page, object) {
                (Some(id), _) => {
                    let page = loggable::page::find(&mut conn, id).map_err(|e| match e {
                        loggable::Error::NotFound { .. } => anyhow::anyhow!("no page with id {id}"),
                        other => other.into(),
                    })?;
                    let marks = loggable::report::RevisionMarks::of(&page);
                    loggable::report::object_history(
                        &mut conn,
                        &registry,
                        &page,
                        viewer,
                        marks,
                        &filters,
                        page_number,
                    )?
                }
                (None, Some(object)) => loggable::report::object_history(
                    &mut conn,
                    &registry,
                    &object,
                    viewer,
                    loggable::report::RevisionMarks::default(),
                    &filters,
                    page_number,
                )?,
                (None, None) => anyhow::bail!("give --page ID or --object TYPE:ID"),
            };
            if choices {
                return print_choices(&history.choices, format);
            }
            let marks: Vec<_> = history.rows.iter().map(|row| row.mark).collect();
            let entries: Vec<_> = history.rows.into_iter().map(|row| row.entry).collect();
            print_entries(&mut conn, &entries, Some(&marks), format)?;
            if matches!(format, Format::Table) {
                eprintln!(
                    "Page {} of {} ({} rows)",
                    history.page, history.pages, history.total
                );
            }
            Ok(())
        }
        Command::Report {
            as_user,
            limit,
            filters,
            choices,
            format,
        } => {
            let mut conn = open_existing(&cli.database)?;
            let viewer = viewer(&mut conn, as_user)?;
            if choices {
                let registry = loggable::registry::global();
                let choices = loggable::report::site_history_choices(
                    &mut conn,
                    &registry,
                    viewer.as_ref().map(|v| v as _),
                )?;
                return print_choices(&choices, format);
            }
            report(
                &mut conn,
                viewer.as_ref().map(|v| v as _),
                limit,
                &filters,
                format,
            )
        }
        Command::Export {
            format,
            as_user,
            output,
            filters,
        } => {
            let filters = filters.filters()?;
            let mut conn = open_existing(&cli.database)?;
            let viewer = viewer(&mut conn, as_user)?;
            export(
                &mut conn,
                viewer.as_ref().map(|v| v as _),
                &filters,
                format,
                output.as_deref(),
            )
        }
    }
}

/// Connects and brings the schema up to date.
/// Opens an existing database for a command that only reads: nothing is created or migrated,
/// and the session refuses writes (SQLite `query_only`, PostgreSQL read-only transactions), so
/// a read-only role serves and a mistyped path fails instead of leaving an empty file.
fn open_existing(database: &str) -> Result<loggable::db::DbConnection> {
    use diesel::connection::SimpleConnection;
    let url = loggable::db::DatabaseUrl::parse(database)?;
    if url.backend() == loggable::db::BackendKind::Sqlite {
        let path = std::path::Path::new(url.driver_target());
        if url.driver_target() != ":memory:" && !path.exists() {
            anyhow::bail!(
                "no database at {}; create it with `loggable migrate --database {}`",
                path.display(),
                database
            );
        }
    }
    let mut conn = url.connect()?;
    let read_only = match conn.backend() {
        loggable::db::BackendKind::Sqlite => "PRAGMA query_only = ON;",
        loggable::db::BackendKind::Postgresql => {
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;"
        }
        loggable::db::BackendKind::Mysql => "SET SESSION TRANSACTION READ ONLY;",
    };
    conn.batch_execute(read_only)
        .with_context(|| format!("opening {url} read-only"))?;
    loggable::db::check_schema(&mut conn).with_context(|| format!("reading {url}"))?;
    Ok(conn)
}

fn open(database: &str) -> Result<loggable::db::DbConnection> {
    Ok(open_migrated(database)?.0)
}

/// Connects and brings the schema up to date; also returns the migrations it applied.
fn open_migrated(database: &str) -> Result<(loggable::db::DbConnection, Vec<String>)> {
    let url = loggable::db::DatabaseUrl::parse(database)?;
    let mut conn = url.connect()?;
    let applied =
        loggable::db::run_migrations(&mut conn).with_context(|| format!("migrating {url}"))?;
    Ok((conn, applied))
}

fn parse_object(text: &str) -> Result<loggable::ObjectRef> {
    match text.split_once(':') {
        Some((content_type, id)) if !content_type.is_empty() && !id.is_empty() => {
            Ok(loggable::ObjectRef::new(content_type, id))
        }
        _ => anyhow::bail!("--object takes TYPE:ID, e.g. shop.product:7 (got '{text}')"),
    }
}

fn viewer(
    conn: &mut loggable::db::DbConnection,
    user: Option<i64>,
) -> Result<Option<loggable::permission::Viewer>> {
    match user {
        Some(id) => Ok(Some(
            loggable::permission::Viewer::load(conn, id)?
                .ok_or_else(|| anyhow::anyhow!("no user with id {id}"))?,
        )),
        None => Ok(None),
    }
}
