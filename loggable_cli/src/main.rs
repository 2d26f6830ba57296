//! The `loggable` command line: a thin layer over the library.

mod bench_command;
mod demo;

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

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
}

#[derive(Subcommand)]
enum Command {
    /// Builds a small demo site, performs a day of edits, and prints the site history.
    Demo,
    /// Prints the history of one page or object: newest first, one row per user action, 20 a page.
    History {
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
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
        Command::Verify { table, format } => verify(&cli.database, table.as_deref(), format),
        Command::Actions { format } => print_actions(format),
        Command::WriteMigrations {
            backend,
            to,
            core_only,
        } => {
            let backend = match backend {
                BackendArg::Sqlite => loggable::db::BackendKind::Sqlite,
                BackendArg::Postgres => loggable::db::BackendKind::Postgresql,
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
            page,
            object,
            page_number,
            filters,
            choices,
            format,
        } => {
            let filters = filters.filters()?;
            let object = object.as_deref().map(parse_object).transpose()?;
            let mut conn = open(&cli.database)?;
            let registry = loggable::registry::global();
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
                        marks,
                        &filters,
                        page_number,
                    )?
                }
                (None, Some(object)) => loggable::report::object_history(
                    &mut conn,
                    &registry,
                    &object,
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
            let mut conn = open(&cli.database)?;
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
            let mut conn = open(&cli.database)?;
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

fn report(
    conn: &mut loggable::db::DbConnection,
    viewer: Option<&dyn loggable::entry::Visibility>,
    limit: i64,
    filters: &FilterArgs,
    format: Format,
) -> Result<()> {
    let registry = loggable::registry::global();
    let filters = filters.filters()?;
    let page = loggable::report::site_history_page(conn, &registry, viewer, &filters, None, limit)?;
    print_entries(conn, &page.entries, None, format)
}

/// Streams the export; a progress bar on stderr once it passes a few thousand rows, hidden
/// when stderr is not a terminal.
fn export(
    conn: &mut loggable::db::DbConnection,
    viewer: Option<&dyn loggable::entry::Visibility>,
    filters: &loggable::report::Filters,
    format: ExportArg,
    output: Option<&std::path::Path>,
) -> Result<()> {
    let registry = loggable::registry::global();
    let format = match format {
        ExportArg::Csv => loggable::export::ExportFormat::Csv,
        ExportArg::Jsonl => loggable::export::ExportFormat::JsonLines,
    };
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let progress = |rows: u64| {
        if rows >= 5_000 {
            bar.set_position(rows);
        }
    };
    let written = match output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            loggable::export::site_history(
                conn, &registry, viewer, filters, format, file, progress,
            )?
        }
        None => {
            let stdout = io::stdout().lock();
            loggable::export::site_history(
                conn, &registry, viewer, filters, format, stdout, progress,
            )?
        }
    };
    bar.finish_and_clear();
    eprintln!("Exported {written} entries.");
    Ok(())
}

/// Prints entries as JSON or as a table with local and relative times; `marks` adds a status
/// column (an object's history).
fn print_entries(
    conn: &mut loggable::db::DbConnection,
    entries: &[loggable::LogEntry],
    marks: Option<&[Option<loggable::report::StatusMark>]>,
    format: Format,
) -> Result<()> {
    let registry = loggable::registry::global();
    let names = registry.display_names(conn, entries.iter().map(|e| e.user_id.clone()))?;
    let mark_of = |index: usize| {
        marks
            .and_then(|marks| marks.get(index).copied().flatten())
            .map(loggable::report::StatusMark::label)
    };
    let mut out = io::stdout().lock();
    match format {
        Format::Json => {
            let rows: Vec<_> = entries
                .iter()
                .enumerate()
                .map(|(index, e)| {
                    let mut row =
                        loggable::export::json_row(&registry, e, &names.get(e.user_id.as_ref()));
                    if marks.is_some() {
                        row["status"] = serde_json::json!(mark_of(index));
                    }
                    row
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(rows))?;
        }
        Format::Table => {
            let now = chrono::Utc::now();
            let mut header = vec!["When", "User", "Type", "Name", "Action"];
            if marks.is_some() {
                header.push("Status");
            }
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
            for (index, e) in entries.iter().enumerate() {
                let mut message = registry.message(e);
                let comment = registry.comment(e);
                if !comment.is_empty() {
                    message = format!("{message} — \"{comment}\"");
                }
                let mut row = vec![
                    when(e.timestamp, now),
                    names.get(e.user_id.as_ref()),
                    registry.type_label(e.content_type.as_deref()),
                    e.label.clone(),
                    message,
                ];
                if marks.is_some() {
                    row.push(mark_of(index).unwrap_or_default().to_owned());
                }
                table.add_row(row);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

/// Local time, and how long ago it was: `2026-11-27 09:14 (5 min ago)`.
fn when(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M");
    let seconds = (now - at).num_seconds();
    let (amount, future) = (seconds.unsigned_abs(), seconds < 0);
    let span = match amount {
        0..60 => return format!("{local} (just now)"),
        60..3_600 => format!("{} min", amount / 60),
        3_600..86_400 => format!("{} h", amount / 3_600),
        _ => format!("{} d", amount / 86_400),
    };
    if future {
        format!("{local} (in {span})")
    } else {
        format!("{local} ({span} ago)")
    }
}

/// Prints the choices a report's filters offer.
fn print_choices(choices: &loggable::report::FilterChoices, format: Format) -> Result<()> {
    let mut out = io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_value(choices)?)?,
        Format::Table => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["Filter", "Value", "Shown as"]);
            for choice in &choices.actions {
                table.add_row(["--action", &choice.value, &choice.label]);
            }
            for choice in &choices.users {
                table.add_row(["--user", &choice.value.to_string(), &choice.label]);
            }
            for choice in &choices.content_types {
                table.add_row(["--type", &choice.value, &choice.label]);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

fn verify(database: &str, only: Option<&str>, format: Format) -> Result<()> {
    let mut conn = open(database)?;
    let registry = loggable::registry::global();
    let tables: Vec<_> = registry
        .log_tables()
        .into_iter()
        .filter(|table| only.is_none_or(|name| table.name() == name))
        .collect();
    if let (Some(name), true) = (only, tables.is_empty()) {
        anyhow::bail!("no log table named '{name}'");
    }
    let mut reports = Vec::with_capacity(tables.len());
    for table in &tables {
        reports.push(loggable::integrity::verify(&mut conn, table)?);
    }
    let mut out = io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_value(&reports)?)?,
        Format::Table => {
            for report in &reports {
                let outcome = match (&report.problem, report.chained) {
                    (Some(problem), _) => format!("TAMPERED: {problem}"),
                    (None, true) => format!("ok, {} entries chained", report.links),
                    (None, false) => "no hash chain".to_owned(),
                };
                writeln!(out, "{}: {outcome}", report.table)?;
            }
        }
    }
    if let Some(report) = reports.iter().find(|r| r.problem.is_some()) {
        let problem = report
            .problem
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        anyhow::bail!("{}: {problem}", report.table);
    }
    Ok(())
}

fn purge(
    database: &str,
    before: chrono::NaiveDate,
    archive: Option<&std::path::Path>,
    batch: usize,
) -> Result<()> {
    let mut conn = open(database)?;
    let registry = loggable::registry::global();
    let before = before.and_time(chrono::NaiveTime::MIN).and_utc();
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    let purged = loggable::retention::purge(&mut conn, &registry, before, archive, batch, |n| {
        bar.set_position(n)
    })?;
    bar.finish_and_clear();
    for table in purged {
        println!(
            "{}: {} entries purged, {} archived",
            table.table, table.deleted, table.archived
        );
    }
    Ok(())
}

fn migrate(database: &str) -> Result<()> {
    let (_, applied) = open_migrated(database)?;
    if applied.is_empty() {
        println!("Schema is up to date.");
    } else {
        for version in applied {
            println!("Applied migration {version}");
        }
    }
    Ok(())
}

fn print_actions(format: Format) -> Result<()> {
    let registry = loggable::registry::global();
    let mut out = io::stdout().lock();
    match format {
        Format::Json => {
            let actions: Vec<_> = registry
                .actions()
                .map(|action| serde_json::json!({"code": action.code(), "label": action.label()}))
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(actions))?;
        }
        Format::Table => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["Code", "Label"]);
            for action in registry.actions() {
                table.add_row([action.code(), action.label()]);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}
