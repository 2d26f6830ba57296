//! The `loggable` command line: a thin layer over the library.

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
    /// Creates or updates the schema.
    Migrate,
    /// Lists the registered actions in registry order.
    Actions {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
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
    }
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
