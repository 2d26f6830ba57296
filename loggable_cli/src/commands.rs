//! The commands that read the log and print it: reports, histories, export, verification,
//! purging, migrations and the action list.

use std::io::{self, Write};

use anyhow::{Context, Result};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

use crate::{ExportArg, FilterArgs, Format, open, open_existing, open_migrated};

pub(crate) fn report(
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
pub(crate) fn export(
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
pub(crate) fn print_entries(
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
                let mut action = terminal_safe(&registry.message_with_comment(e));
                // An object's history shows what each edit changed, one field a line.
                if marks.is_some() {
                    for change in loggable::report::field_changes(e) {
                        action.push_str("\n  ");
                        action.push_str(&terminal_safe(&change.to_string()));
                    }
                }
                let mut row = vec![
                    loggable::report::relative_time(e.timestamp, now, &chrono::Local),
                    terminal_safe(&names.get(e.user_id.as_ref())),
                    terminal_safe(&registry.type_label(e.content_type.as_deref())),
                    terminal_safe(&e.label),
                    action,
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

/// Prints the choices a report's filters offer.
pub(crate) fn print_choices(
    choices: &loggable::report::FilterChoices,
    format: Format,
) -> Result<()> {
    let mut out = io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_value(choices)?)?,
        Format::Table => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["Filter", "Value", "Shown as"]);
            for choice in &choices.actions {
                table.add_row([
                    "--action".to_owned(),
                    terminal_safe(&choice.value),
                    terminal_safe(&choice.label),
                ]);
            }
            for choice in &choices.users {
                table.add_row([
                    "--user".to_owned(),
                    terminal_safe(&choice.value.to_string()),
                    terminal_safe(&choice.label),
                ]);
            }
            for choice in &choices.content_types {
                table.add_row([
                    "--type".to_owned(),
                    terminal_safe(&choice.value),
                    terminal_safe(&choice.label),
                ]);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

/// Which tables `verify` expects to be chained, and with which key.
pub(crate) struct ExpectedChains {
    /// Table names, or `all`.
    pub(crate) tables: Vec<String>,
    /// The key every chain is expected to be made with.
    pub(crate) key: Option<loggable::integrity::ChainKey>,
}

impl ExpectedChains {
    /// The chain `table` must have, if any: one is expected when the table is named (or
    /// `all`); with a key, every chain there is must be made with it.
    fn chain_for(&self, table: &str, has_chain: bool) -> Option<loggable::integrity::HashChain> {
        let named = self
            .tables
            .iter()
            .any(|name| name == "all" || name == table);
        if !named && !has_chain {
            return None;
        }
        match &self.key {
            Some(key) => Some(loggable::integrity::HashChain::keyed(key.clone())),
            None if named => Some(loggable::integrity::HashChain::new()),
            None => None,
        }
    }
}

pub(crate) fn verify(
    database: &str,
    only: Option<&str>,
    expect: Option<&std::path::Path>,
    expected: &ExpectedChains,
    format: Format,
) -> Result<()> {
    let mut conn = open_existing(database)?;
    let registry = loggable::registry::global();
    let tables: Vec<_> = registry
        .all_log_tables(&mut conn)?
        .into_iter()
        .filter(|table| only.is_none_or(|name| table.name() == name))
        .collect();
    if let (Some(name), true) = (only, tables.is_empty()) {
        anyhow::bail!("no log table named '{name}'");
    }
    if let Some(unknown) = expected
        .tables
        .iter()
        .find(|name| *name != "all" && tables.iter().all(|t| t.name() != name.as_str()))
    {
        anyhow::bail!("--chained {unknown}: no log table of that name");
    }
    let anchors = match expect {
        None => Vec::new(),
        Some(path) => recorded_heads(path)?,
    };
    let mut reports = Vec::with_capacity(tables.len());
    for table in &tables {
        let anchor = anchors
            .iter()
            .find(|(name, _)| name == table.name())
            .map(|(_, anchor)| anchor);
        let has_chain = loggable::integrity::is_chained(&mut conn, table)?;
        let chain = expected.chain_for(table.name(), has_chain);
        let mut options = loggable::integrity::VerifyOptions::new();
        if let Some(anchor) = anchor {
            options = options.anchor(anchor);
        }
        if let Some(chain) = &chain {
            options = options.expect_chain(chain);
        }
        reports.push(loggable::integrity::verify_with(&mut conn, table, options)?);
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
                if let Some(head) = &report.head {
                    writeln!(
                        out,
                        "  head: link {} {} (entry {})",
                        head.seq,
                        head.chain_hash,
                        head.last_entry_id
                            .map_or_else(|| "none".to_owned(), |id| id.to_string())
                    )?;
                }
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

/// The heads an earlier `verify --format json` printed, by table.
fn recorded_heads(path: &std::path::Path) -> Result<Vec<(String, loggable::integrity::Anchor)>> {
    #[derive(serde::Deserialize)]
    struct Recorded {
        table: String,
        head: Option<loggable::integrity::Anchor>,
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the recorded heads in {}", path.display()))?;
    let recorded: Vec<Recorded> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not the output of `verify --format json`",
            path.display()
        )
    })?;
    Ok(recorded
        .into_iter()
        .filter_map(|r| Some((r.table, r.head?)))
        .collect())
}

pub(crate) fn purge(
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

pub(crate) fn migrate(database: &str) -> Result<()> {
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

pub(crate) fn print_actions(format: Format) -> Result<()> {
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

/// `text` as a terminal shows it harmlessly: control characters (escape sequences that retitle
/// or clear the terminal, bells, backspaces) and bidirectional overrides (which reorder what
/// the reader sees) become `\u{fffd}`. Entries hold what their writers gave; the table shows
/// it without letting it act.
pub(crate) fn terminal_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_defused() {
        assert_eq!(
            terminal_safe("\u{1b}]0;pwned\u{7}\u{1b}[2Jok\u{202e}x"),
            "\u{fffd}]0;pwned\u{fffd}\u{fffd}[2Jok\u{fffd}x"
        );
        assert_eq!(terminal_safe("Café – ok"), "Café – ok");
    }

    proptest! {
        #[test]
        fn nothing_that_acts_on_a_terminal_gets_through(text in any::<String>()) {
            let shown = terminal_safe(&text);
            prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
            prop_assert_eq!(shown.chars().count(), text.chars().count());
        }
    }
}
