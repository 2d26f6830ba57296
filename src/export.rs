//! Export of the filtered site history: CSV with the spec's columns, spreadsheet-safe, and
//! JSON Lines with every field; streamed, so memory stays flat (docs/reports.md).

use std::io::Write;

use crate::db::{DbConnection, LogConnection};
use crate::directory::DisplayNames;
use crate::entry::{Cursor, LogEntry, Visibility, merge_key};
use crate::error::{Error, Result};
use crate::registry::Registry;
use crate::report::Filters;
use crate::user_id::UserId;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `ID, Name, Type, Action type, User, Date/Time`, spreadsheet-safe.
    Csv,
    /// One JSON object per line with every field, its message and user name.
    JsonLines,
}

/// Rows read per round trip while exporting.
const EXPORT_CHUNK: i64 = 2_000;

/// Text a spreadsheet would run as a formula is written as plain text, after OWASP's
/// CSV-injection guidance: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return, or does so after leading whitespace or a byte-order mark, gets a leading `'`.
/// (Every text cell is also quoted, so a spreadsheet splitting on `;` cannot cut one.)
fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let formula = |c: char| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r');
    let after_padding = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if text.starts_with(formula) || after_padding.starts_with(formula) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Writes the filtered site history that `viewer` may see to `out`, newest first, reading it
/// in chunks by keyset so memory stays flat however long the log is. `progress` is called
/// with the running row count after each chunk. Returns how many rows were written.
pub fn site_history(
    conn: &mut impl LogConnection,
    registry: &Registry,
    viewer: Option<&dyn Visibility>,
    filters: &Filters,
    format: ExportFormat,
    out: impl Write,
    progress: impl FnMut(u64),
) -> Result<u64> {
    crate::db::with_db(conn, |conn| {
        let failed = |e: &dyn std::fmt::Display| Error::Export(e.to_string());
        match format {
            ExportFormat::Csv => {
                // Text cells quoted: a cell holding `;` stays one cell in a spreadsheet that
                // splits on it.
                let mut writer = csv::WriterBuilder::new()
                    .quote_style(csv::QuoteStyle::NonNumeric)
                    .from_writer(out);
                writer
                    .write_record(["ID", "Name", "Type", "Action type", "User", "Date/Time"])
                    .map_err(|e| failed(&e))?;
                let written =
                    for_each_chunk(conn, registry, viewer, filters, progress, |entry, user| {
                        let type_label = registry.type_label(entry.content_type.as_deref());
                        let timestamp = entry.timestamp.to_rfc3339();
                        writer
                            .write_record([
                                spreadsheet_safe(&entry.object_id).as_ref(),
                                &spreadsheet_safe(&entry.label),
                                &spreadsheet_safe(&type_label),
                                &spreadsheet_safe(registry.label(&entry.action)),
                                &spreadsheet_safe(user),
                                &timestamp,
                            ])
                            .map_err(|e| failed(&e))
                    })?;
                writer.flush().map_err(|e| failed(&e))?;
                Ok(written)
            }
            ExportFormat::JsonLines => {
                let mut writer = std::io::BufWriter::new(out);
                let written =
                    for_each_chunk(conn, registry, viewer, filters, progress, |entry, user| {
                        serde_json::to_writer(&mut writer, &json_row(registry, entry, user))
                            .map_err(|e| failed(&e))?;
                        writer.write_all(b"\n").map_err(|e| failed(&e))
                    })?;
                writer.flush().map_err(|e| failed(&e))?;
                Ok(written)
            }
        }
    })
}

/// One entry as the JSON exports show it: the entry, its message and comment as the registry
/// renders them, and its user's display name.
///
/// ```
/// use loggable::{ObjectRef, log, registry::Registry};
///
/// let registry = Registry::new();
/// let entry = log(&ObjectRef::new("shop.sprocket", 7).title("Left"), "wagtail.create")
///     .prepare(&registry)?
///     .1
///     .into_entry(1, "loggable_model_log_entries");
/// let row = loggable::export::json_row(&registry, &entry, "system");
/// assert_eq!(row["user"], "system");
/// assert_eq!(row["entry"]["object_id"], "7");
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn json_row(registry: &Registry, entry: &LogEntry, user: &str) -> serde_json::Value {
    serde_json::json!({
        "entry": entry,
        "message": registry.message(entry),
        "comment": registry.comment(entry),
        "user": user,
    })
}

/// Calls `row` for every entry of the filtered site history with its user's display name,
/// newest first. Each log table is read by its own keyset cursor a chunk at a time and the
/// chunks are merged, so every row is read once and memory holds one chunk per table.
fn for_each_chunk(
    conn: &mut DbConnection,
    registry: &Registry,
    viewer: Option<&dyn Visibility>,
    filters: &Filters,
    mut progress: impl FnMut(u64),
    mut row: impl FnMut(&LogEntry, &str) -> Result<()>,
) -> Result<u64> {
    let tables = registry.all_log_tables(conn)?;
    let query = crate::report::site_query(filters).limit(EXPORT_CHUNK);
    // Per table: its buffered entries (newest first, taken from the front), whether it has
    // more, and where it stopped.
    let mut buffers: Vec<(std::collections::VecDeque<LogEntry>, bool, Option<Cursor>)> = tables
        .iter()
        .map(|_| (Default::default(), true, None))
        .collect();
    // What the viewer may see of each table, resolved once for the whole export.
    let restrictions = tables
        .iter()
        .map(|table| table.restriction(conn, viewer, true))
        .collect::<Result<Vec<_>>>()?;
    let mut names = DisplayNames::default();
    let mut written = 0_u64;
    loop {
        for ((table, restriction), (buffer, more, after)) in
            tables.iter().zip(&restrictions).zip(buffers.iter_mut())
        {
            if buffer.is_empty() && *more {
                let mut chunk_query = query.clone();
                chunk_query.after = after.clone();
                let chunk = table.read_restricted(conn, &chunk_query, restriction)?;
                *more = chunk.len() as i64 == EXPORT_CHUNK;
                *after = chunk.last().map(Cursor::after);
                let missing: Vec<Option<UserId>> = chunk
                    .iter()
                    .map(|e| e.user_id.clone())
                    .filter(|id| !names.contains(id.as_ref()))
                    .collect();
                if !missing.is_empty() {
                    names.extend(registry.display_names(conn, missing)?);
                }
                buffer.extend(chunk);
            }
        }
        let next = buffers
            .iter()
            .enumerate()
            .filter_map(|(i, (buffer, _, _))| buffer.front().map(|entry| (i, entry)))
            .min_by(|(_, a), (_, b)| merge_key(a).cmp(&merge_key(b)))
            .map(|(i, _)| i);
        let Some(index) = next else {
            progress(written);
            return Ok(written);
        };
        if let Some(entry) = buffers[index].0.pop_front() {
            row(&entry, &names.get(entry.user_id.as_ref()))?;
            written += 1;
            if written.is_multiple_of(EXPORT_CHUNK as u64) {
                progress(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;
    use proptest::prelude::*;

    /// What a spreadsheet reads as the start of a formula, once leading padding is gone.
    fn starts_a_formula(cell: &str) -> bool {
        let formula = |c: char| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r');
        cell.starts_with(formula)
            || cell
                .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                .starts_with(formula)
    }

    #[test]
    fn formulas_behind_padding_are_neutralised() {
        for cell in [
            "=1+1",
            " =1+1",
            "\u{feff}=1+1",
            "\n=1+1",
            "\t1",
            "\r1",
            "@SUM(A1)",
            "-2",
            "+3",
        ] {
            assert_eq!(spreadsheet_safe(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["x;=1+1", "plain", "a=b", ""] {
            assert_eq!(spreadsheet_safe(cell), cell, "{cell:?}");
        }
    }

    proptest! {
        #[test]
        fn no_cell_starts_a_formula(
            prefix in prop::sample::select(vec!["", " ", "\u{feff}", "\n", "\t", "\r", "  \u{feff}"]),
            head in prop::sample::select(vec!["=", "+", "-", "@", "x", ";", ","]),
            rest in any::<String>(),
        ) {
            let cell = format!("{prefix}{head}{rest}");
            let safe = spreadsheet_safe(&cell);
            prop_assert!(!starts_a_formula(&safe), "{safe:?}");
            prop_assert!(safe.ends_with(cell.as_str()));
        }

        #[test]
        fn random_text_never_starts_a_formula(cell in any::<String>()) {
            prop_assert!(!starts_a_formula(&spreadsheet_safe(&cell)));
        }
    }
}
