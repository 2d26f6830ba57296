//! Retention: purge entries older than a date, archiving them first, in batches that each
//! commit on their own, so an interrupted purge loses nothing (an entry is still in its table,
//! or already in the archive, or both).
//!
//! ```
//! use chrono::{Duration, Utc};
//! use loggable::{ObjectRef, log, retention};
//!
//! let mut conn = loggable::db::connect(":memory:")?;
//! loggable::db::run_migrations(&mut conn)?;
//! let registry = loggable::registry::Registry::new();
//! let widget = ObjectRef::new("shop.widget", 1).title("W");
//! log(&widget, "wagtail.edit").timestamp(Utc::now() - Duration::days(400)).write_with(&mut conn, &registry)?;
//! log(&widget, "wagtail.edit").write_with(&mut conn, &registry)?;
//!
//! let archive = std::env::temp_dir().join(format!("doc-archive-{}.jsonl", std::process::id()));
//! let year_ago = Utc::now() - Duration::days(365);
//! let purged = retention::purge(&mut conn, &registry, year_ago, Some(&archive), 1_000, |_| ())?;
//! assert_eq!(purged.iter().map(|p| p.deleted).sum::<u64>(), 1);
//! assert_eq!(std::fs::read_to_string(&archive).unwrap().lines().count(), 1);
//! # std::fs::remove_file(&archive).ok();
//! # Ok::<(), loggable::Error>(())
//! ```

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::{DbConnection, LogConnection};
use crate::entry::{LogEntry, LogTable};
use crate::error::{Error, Result};
use crate::registry::Registry;

/// What a purge did to one log table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purged {
    /// The table.
    pub table: &'static str,
    /// Entries written to the archive.
    pub archived: u64,
    /// Entries deleted.
    pub deleted: u64,
}

/// An archive opened on first use.
struct LazyArchive<'a> {
    path: &'a Path,
    open: Option<Archive>,
}

impl LazyArchive<'_> {
    fn get(&mut self) -> Result<&mut Archive> {
        let archive = match self.open.take() {
            Some(archive) => archive,
            None => Archive::open(self.path)?,
        };
        Ok(self.open.insert(archive))
    }
}

/// Appends batches to a JSON Lines archive and makes each durable before it returns.
struct Archive {
    file: std::fs::File,
    path: String,
}

impl Archive {
    /// Opens `path` for appending under an exclusive lock (held until the purge ends; a second
    /// purge on the same archive is refused rather than interleaved). Only a half-written
    /// record of an earlier purge is ever cut from the end; anything else is left as it is.
    fn open(path: &Path) -> Result<Self> {
        let failed = |e: std::io::Error| Error::Export(format!("{}: {e}", path.display()));
        let created = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(failed)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::ArchiveBusy(path.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(failed(e)),
        }
        if created {
            // The new file's name must survive a power cut too, or a batch deleted from the
            // database could lose its only copy with it.
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(failed)?;
            }
        }
        match own_partial_line(&mut file).map_err(failed)? {
            LastLine::Complete => {}
            LastLine::OwnPartial { starts_at } => {
                file.set_len(starts_at).map_err(failed)?;
                file.sync_data().map_err(failed)?;
            }
            LastLine::Foreign => {
                return Err(Error::Export(format!(
                    "{}: its last line has no end and is no archive record of loggable; \
                     refusing to append to it (choose another file)",
                    path.display()
                )));
            }
        }
        Ok(Self {
            file,
            path: path.display().to_string(),
        })
    }

    fn write(&mut self, entries: &[LogEntry]) -> Result<()> {
        let failed = |e: &dyn std::fmt::Display| Error::Export(format!("{}: {e}", self.path));
        let mut buffer = Vec::new();
        for entry in entries {
            serde_json::to_writer(&mut buffer, entry).map_err(|e| failed(&e))?;
            buffer.push(b'\n');
        }
        let before = self.file.metadata().map_err(|e| failed(&e))?.len();
        let written = self
            .file
            .write_all(&buffer)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Leave no half line behind (the batch stays in the database and is archived again
            // next time); if even that fails, the next open trims it.
            let _ = self.file.set_len(before);
            return Err(failed(&e));
        }
        // On disk before the entries are deleted: a crash between the two leaves them in
        // both places, never in neither.
        Ok(())
    }
}

/// How an archive file ends.
enum LastLine {
    /// Empty, or its last line ends with a newline.
    Complete,
    /// A record of an earlier purge cut short (a crash or a full disk mid-write): it starts
    /// like one (`{"id":`) and does not parse. Its entries were never deleted, so it goes.
    OwnPartial { starts_at: u64 },
    /// A last line without its end that loggable did not write: not ours to touch.
    Foreign,
}

/// Reads the end of `file` to tell how its last line stands.
fn own_partial_line(file: &mut std::fs::File) -> std::io::Result<LastLine> {
    use std::io::{Read, Seek, SeekFrom};
    let length = file.metadata()?.len();
    let mut end = length;
    let mut chunk = vec![0_u8; 64 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let size = usize::try_from(end - start).unwrap_or(chunk.len());
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk[..size])?;
        if let Some(newline) = chunk[..size].iter().rposition(|b| *b == b'\n') {
            tail.splice(0..0, chunk[newline + 1..size].iter().copied());
            end = start + newline as u64 + 1;
            break;
        }
        tail.splice(0..0, chunk[..size].iter().copied());
        end = start;
    }
    if tail.is_empty() {
        return Ok(LastLine::Complete);
    }
    let ours = tail.starts_with(br#"{"id":"#)
        && serde_json::from_slice::<serde_json::Value>(&tail).is_err();
    Ok(if ours {
        LastLine::OwnPartial { starts_at: end }
    } else {
        LastLine::Foreign
    })
}

/// Deletes every entry older than `before` from every log table of `registry`, `batch` at a
/// time, each batch archived to `archive` (JSON Lines, appended and synced) before the
/// transaction that deletes it. On a hash-chained table only the chain's oldest stretch goes,
/// up to the first entry that is not older than `before`, and the chain keeps a checkpoint
/// so the rest still verifies. `progress` is told the entries deleted so far.
pub fn purge(
    conn: &mut impl LogConnection,
    registry: &Registry,
    before: DateTime<Utc>,
    archive: Option<&Path>,
    batch: usize,
    mut progress: impl FnMut(u64),
) -> Result<Vec<Purged>> {
    crate::db::with_db(conn, |conn| {
        // Opened (and locked) when the first batch is about to be archived: a purge that
        // deletes nothing leaves the file alone.
        let mut archive = archive.map(|path| LazyArchive { path, open: None });
        let batch = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
        let mut done = Vec::new();
        let mut total = 0;
        for table in registry.all_log_tables(conn)? {
            let purged = purge_table(conn, &table, before, archive.as_mut(), batch, |n| {
                progress(total + n);
            })?;
            total += purged.deleted;
            done.push(purged);
        }
        Ok(done)
    })
}

fn purge_table(
    conn: &mut DbConnection,
    table: &LogTable,
    before: DateTime<Utc>,
    mut archive: Option<&mut LazyArchive<'_>>,
    batch: i64,
    mut progress: impl FnMut(u64),
) -> Result<Purged> {
    let chained = crate::integrity::is_chained(conn, table)?;
    let mut purged = Purged {
        table: table.name(),
        archived: 0,
        deleted: 0,
    };
    // Unchained tables are walked in id order over the old entries only (the database skips
    // the rest); a chain is cut from its start only, so its walk always begins at the lowest
    // id left and stops at the first entry that stays.
    let mut after = None;
    let old_only = (!chained).then_some(before);
    loop {
        let scanned = table.scan(conn, after, old_only, batch)?;
        let Some(last) = scanned.last() else {
            break;
        };
        let exhausted = scanned.len() < usize::try_from(batch).unwrap_or(usize::MAX);
        if !chained {
            after = Some(last.id);
        }
        let old: Vec<LogEntry> = scanned
            .into_iter()
            .take_while(|e| e.timestamp < before)
            .collect();
        let reached_newer = chained && i64::try_from(old.len()).unwrap_or(i64::MAX) < batch;
        if !old.is_empty() {
            if let Some(archive) = archive.as_deref_mut() {
                archive.get()?.write(&old)?;
                purged.archived += old.len() as u64;
            }
            let ids: Vec<i64> = old.iter().map(|e| e.id).collect();
            let deleted = crate::db::transaction(conn, |conn| {
                if chained {
                    crate::integrity::cut_prefix(conn, table.name(), &ids)?;
                }
                table.delete_ids(conn, &ids)
            })?;
            purged.deleted += deleted as u64;
            progress(purged.deleted);
        }
        if exhausted || reached_newer {
            break;
        }
    }
    Ok(purged)
}
