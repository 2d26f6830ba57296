//! PostgreSQL's binary `COPY` into loggable's own two log tables: about a third faster than
//! an `UNNEST` INSERT for bulk writes. Diesel's `COPY` needs a table known at compile time,
//! so it serves only these two; an application's own log table takes the `UNNEST` path.

use diesel::prelude::*;

use super::{LogTable, NewLogEntry, PAGE_LOG_TABLE};
use crate::error::{Error, Result};
use crate::schema::{loggable_model_log_entries, loggable_page_log_entries};

/// The values of one row of log table `$t`, borrowed from the entry and its stored form.
macro_rules! log_row {
    ($t:ident, $entry:expr, $stored:expr, $object:expr) => {
        (
            $t::content_type.eq($entry.content_type.as_deref()),
            $t::label.eq(&$entry.label),
            $t::action.eq(&$entry.action),
            $t::data.eq(&$stored.data),
            $t::timestamp.eq($stored.timestamp),
            $t::uuid.eq($stored.uuid.as_deref()),
            $t::user_id.eq($entry.user_id.as_ref().map(|user| user.as_str())),
            $t::revision_id.eq($entry.revision_id),
            $t::content_changed.eq($entry.content_changed),
            $t::deleted.eq($entry.deleted),
            $object,
        )
    };
}

/// Copies `rows` into `table` when it is one of loggable's own log tables; `None` for any
/// other table.
pub(super) fn copy_into_builtin(
    pg: &mut diesel::PgConnection,
    table: &LogTable,
    rows: &[NewLogEntry],
) -> Option<Result<usize>> {
    if !table.is_builtin() {
        return None;
    }
    let stored: Vec<_> = rows.iter().map(NewLogEntry::stored_columns).collect();
    let copied = if table.name() == PAGE_LOG_TABLE {
        use loggable_page_log_entries as t;
        let values = rows
            .iter()
            .zip(&stored)
            .map(|(entry, stored)| {
                let page = table.integer_id(&entry.object_id)?;
                Ok(log_row!(t, entry, stored, t::page_id.eq(page)))
            })
            .collect::<Result<Vec<_>>>();
        match values {
            Ok(values) => diesel::copy_from(t::table)
                .from_insertable(values)
                .execute(pg),
            Err(error) => return Some(Err(error)),
        }
    } else {
        use loggable_model_log_entries as t;
        let values: Vec<_> = rows
            .iter()
            .zip(&stored)
            .map(|(entry, stored)| log_row!(t, entry, stored, t::object_id.eq(&entry.object_id)))
            .collect();
        diesel::copy_from(t::table)
            .from_insertable(values)
            .execute(pg)
    };
    Some(copied.map_err(|source| Error::database("writing log entries", source)))
}
