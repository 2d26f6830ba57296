//! The `loggable` command line: a thin layer over the library.

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

#[derive(Subcommand)]
enum Command {
    /// Builds a small demo site, performs a day of edits, and prints the site history.
    Demo,
    /// Prints the history of one page or object, newest first.
    History {
        /// A page id.
        #[arg(long, conflicts_with = "object", required_unless_present = "object")]
        page: Option<i64>,
        /// An object as TYPE:ID, e.g. shop.product:7.
        #[arg(long)]
        object: Option<String>,
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
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        filters: FilterArgs,
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
    /// Lists the registered actions in registry order.
    Actions {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// The report filters of spec/reports.md.
#[derive(clap::Args, Default)]
struct FilterArgs {
    /// The name contains this text (case-insensitive).
    #[arg(long)]
    name: Option<String>,
    /// Only this type (repeatable), e.g. cms.blogpage.
    #[arg(long = "type")]
    types: Vec<String>,
    /// Only this action code (repeatable), e.g. wagtail.publish.
    #[arg(long = "action")]
    actions: Vec<String>,
    /// Only this user id (repeatable).
    #[arg(long = "user")]
    users: Vec<i64>,
    /// From this day (YYYY-MM-DD, inclusive).
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// To this day (YYYY-MM-DD, inclusive).
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    /// Only comment actions (true) or none of them (false).
    #[arg(long)]
    comments: Option<bool>,
}

impl FilterArgs {
    fn filters(&self) -> Result<loggable::report::Filters> {
        let registry = loggable::registry::global();
        if let Some(unknown) = self.actions.iter().find(|a| registry.action(a).is_none()) {
            anyhow::bail!("unknown action '{unknown}' (see `loggable actions`)");
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            anyhow::ensure!(from <= to, "--from {from} is after --to {to}");
        }
        Ok(loggable::report::Filters {
            name_contains: self.name.clone(),
            content_types: self.types.clone(),
            actions: self.actions.clone(),
            users: self.users.clone(),
            from: self.from,
            to: self.to,
            comment_actions: self.comments,
            utc_offset_seconds: 0,
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
    match cli.command {
        Command::Migrate => migrate(&cli.database),
        Command::Actions { format } => print_actions(format),
        Command::Demo => {
            let mut conn = open(&cli.database)?;
            let written = demo::run(&mut conn)?;
            eprintln!("Demo site created; {written} log entries in total.");
            report(&mut conn, None, 50, &FilterArgs::default(), Format::Table)
        }
        Command::History {
            page,
            object,
            format,
        } => {
            let mut conn = open(&cli.database)?;
            let registry = loggable::registry::global();
            let entries = match (page, object) {
                (Some(id), _) => {
                    use loggable::entry::{EntryQuery, EntryScope, LogTable, PageLogTable};
                    let scope = EntryScope::Object {
                        content_type: None,
                        object_id: id.to_string(),
                    };
                    PageLogTable.query(&mut conn, &EntryQuery::new(scope))?
                }
                (None, Some(object)) => loggable::entry::entries_for_object(
                    &mut conn,
                    &registry,
                    &parse_object(&object)?,
                )?,
                (None, None) => anyhow::bail!("give --page ID or --object TYPE:ID"),
            };
            print_entries(&mut conn, &entries, format)
        }
        Command::Report {
            as_user,
            limit,
            filters,
            format,
        } => {
            let mut conn = open(&cli.database)?;
            let viewer = viewer(&mut conn, as_user)?;
            report(&mut conn, viewer.as_ref(), limit, &filters, format)
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
                viewer.as_ref(),
                &filters,
                format,
                output.as_deref(),
            )
        }
    }
}

/// Connects and brings the schema up to date.
fn open(database: &str) -> Result<loggable::DbConnection> {
    let url = loggable::db::DatabaseUrl::parse(database)?;
    let mut conn = url.connect()?;
    loggable::db::run_migrations(&mut conn).with_context(|| format!("migrating {url}"))?;
    Ok(conn)
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
    conn: &mut loggable::DbConnection,
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
    conn: &mut loggable::DbConnection,
    viewer: Option<&loggable::permission::Viewer>,
    limit: i64,
    filters: &FilterArgs,
    format: Format,
) -> Result<()> {
    let registry = loggable::registry::global();
    let filters = filters.filters()?;
    let page = loggable::report::site_history_page(conn, &registry, viewer, &filters, None, limit)?;
    print_entries(conn, &page.entries, format)
}

/// Streams the export; a progress bar on stderr once it passes a few thousand rows, hidden
/// when stderr is not a terminal.
fn export(
    conn: &mut loggable::DbConnection,
    viewer: Option<&loggable::permission::Viewer>,
    filters: &loggable::report::Filters,
    format: ExportArg,
    output: Option<&std::path::Path>,
) -> Result<()> {
    let registry = loggable::registry::global();
    let format = match format {
        ExportArg::Csv => loggable::report::ExportFormat::Csv,
        ExportArg::Jsonl => loggable::report::ExportFormat::JsonLines,
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
            loggable::report::export(conn, &registry, viewer, filters, format, file, progress)?
        }
        None => {
            let stdout = io::stdout().lock();
            loggable::report::export(conn, &registry, viewer, filters, format, stdout, progress)?
        }
    };
    bar.finish_and_clear();
    eprintln!("Exported {written} entries.");
    Ok(())
}

fn print_entries(
    conn: &mut loggable::DbConnection,
    entries: &[loggable::LogEntry],
    format: Format,
) -> Result<()> {
    let registry = loggable::registry::global();
    let names = loggable::user::display_names(conn, entries.iter().map(|e| e.user_id))?;
    let mut out = io::stdout().lock();
    match format {
        Format::Json => {
            let rows: Vec<_> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "entry": e,
                        "message": registry.message(e),
                        "comment": registry.comment(e),
                        "user": names.get(e.user_id),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::Value::Array(rows))?;
        }
        Format::Table => {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header([
                "When (UTC)",
                "User",
                "Type",
                "Name",
                "Action",
            ]);
            for e in entries {
                let mut message = registry.message(e);
                let comment = registry.comment(e);
                if !comment.is_empty() {
                    message = format!("{message} — \"{comment}\"");
                }
                table.add_row([
                    e.timestamp.format("%Y-%m-%d %H:%M:%S").to_string(),
                    names.get(e.user_id),
                    registry.type_label(e.content_type.as_deref()),
                    e.label.clone(),
                    message,
                ]);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

fn migrate(database: &str) -> Result<()> {
    let url = loggable::db::DatabaseUrl::parse(database)?;
    let mut conn = url.connect()?;
    let applied =
        loggable::db::run_migrations(&mut conn).with_context(|| format!("migrating {url}"))?;
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
