//! Verification: walking a chain and its entries, and checking a chain against a head
//! recorded outside the database.

use diesel::prelude::*;
use serde::Serialize;

use super::{ChainKey, HashChain, VERIFY_CHUNK, content_hash, link_hash};
use crate::db::{DbConnection, LogConnection};
use crate::entry::{LogEntry, LogTable};
use crate::error::{DatabaseContext, Result};
use crate::registry::Registry;
use crate::schema::{log_chain, log_chain_heads};

/// What [`verify`] found first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// The entry's content differs from what was chained.
    Changed {
        /// The entry.
        entry_id: i64,
    },
    /// A chained entry is gone (or the newest links went with it).
    Removed {
        /// The missing entry (or the last one the head still counts).
        entry_id: i64,
    },
    /// An entry that was never chained: written around loggable, or by a process without the
    /// chain turned on.
    Inserted {
        /// The entry.
        entry_id: i64,
    },
    /// The entry holds content that was chained at another position.
    Reordered {
        /// The entry.
        entry_id: i64,
    },
    /// The chain's own links were edited.
    BrokenLink {
        /// The link's position.
        seq: i64,
    },
    /// The chain ends before a head recorded earlier: its newest entries and links went.
    Truncated {
        /// The recorded head's position.
        seq: i64,
    },
    /// The chain no longer passes through a head recorded earlier: it was rebuilt over
    /// changed entries.
    Rewritten {
        /// The recorded head's position.
        seq: i64,
    },
    /// The table has no chain, and one is expected: a head was recorded for it, or the
    /// registry chains it.
    ChainMissing,
    /// The chain's links are there but its head is gone.
    HeadMissing,
    /// Links go on past the chain's head: the head was moved back.
    HeadMoved {
        /// The head's position.
        seq: i64,
    },
    /// The chain is not made with the key it is expected to have (another key, or none): it
    /// was rebuilt by someone without the key, or the key given is wrong.
    KeyMismatch,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Changed { entry_id } => write!(f, "entry {entry_id} was changed"),
            Self::Removed { entry_id } => write!(f, "entry {entry_id} was removed"),
            Self::Inserted { entry_id } => write!(f, "entry {entry_id} was inserted"),
            Self::Reordered { entry_id } => write!(f, "entry {entry_id} was moved"),
            Self::BrokenLink { seq } => write!(f, "chain link {seq} was edited"),
            Self::Truncated { seq } => {
                write!(
                    f,
                    "the chain ends before link {seq}, the head recorded earlier"
                )
            }
            Self::Rewritten { seq } => {
                write!(f, "chain link {seq} differs from the head recorded earlier")
            }
            Self::ChainMissing => write!(f, "the table has no hash chain, but one is expected"),
            Self::HeadMissing => write!(f, "the chain's head is gone but its links remain"),
            Self::HeadMoved { seq } => {
                write!(f, "links go on past the chain's head at link {seq}")
            }
            Self::KeyMismatch => write!(f, "the chain is not made with the expected key"),
        }
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The table walked.
    pub table: &'static str,
    /// Whether the table has a chain at all.
    pub chained: bool,
    /// Links checked.
    pub links: u64,
    /// The first problem, if any.
    pub problem: Option<Problem>,
    /// The chain's head as found: keep it outside the database (a file, a ticket, a
    /// timestamping service) and check later with [`verify_against`] that the chain still
    /// extends it.
    pub head: Option<Anchor>,
}

/// A chain's head, recorded outside the database. Whoever can write the database can also
/// truncate a chain or rebuild it over changed entries with consistent hashes; they cannot
/// make it pass through a head recorded before, unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Anchor {
    /// The link's position in the chain.
    pub seq: i64,
    /// Its chain hash.
    pub chain_hash: String,
    /// The entry it links, if any link is left.
    pub last_entry_id: Option<i64>,
}

/// One link: (seq, entry_id, content_hash, chain_hash).
pub(super) type Link = (i64, i64, String, String);

/// Up to `limit` links of `table`'s chain after `seq`, in order.
pub(super) fn links_after(
    conn: &mut DbConnection,
    table: &str,
    seq: i64,
    limit: i64,
) -> Result<Vec<Link>> {
    log_chain::table
        .filter(log_chain::log_table.eq(table))
        .filter(log_chain::seq.gt(seq))
        .order(log_chain::seq)
        .limit(limit)
        .select((
            log_chain::seq,
            log_chain::entry_id,
            log_chain::content_hash,
            log_chain::chain_hash,
        ))
        .load(conn)
        .context("reading the chain")
}

/// What a verification expects of a chain, beyond its own consistency.
///
/// ```
/// use loggable::integrity::{HashChain, VerifyOptions};
///
/// let chain = HashChain::new();
/// let options = VerifyOptions::new().expect_chain(&chain);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    anchor: Option<&'a Anchor>,
    chain: Option<&'a HashChain>,
}

impl<'a> VerifyOptions<'a> {
    /// Nothing more than a consistent chain (or none).
    pub fn new() -> Self {
        Self::default()
    }

    /// The chain must still pass through `anchor`, a head an earlier verification reported.
    pub fn anchor(mut self, anchor: &'a Anchor) -> Self {
        self.anchor = Some(anchor);
        self
    }

    /// The table must have a chain made like `chain` (with its key, or without one): no chain
    /// is [`Problem::ChainMissing`], another key or none [`Problem::KeyMismatch`].
    pub fn expect_chain(mut self, chain: &'a HashChain) -> Self {
        self.chain = Some(chain);
        self
    }
}

/// Walks `table`'s chain and its entries in id order, a chunk at a time, and reports the first
/// entry that was changed, removed, inserted or moved, or a link that was edited. The walk
/// reads one snapshot, so writes and purges that commit meanwhile are not mistaken for
/// tampering. A table without a chain passes (see [`verify_with`] to expect one); a keyed
/// chain needs its key ([`VerifyOptions::expect_chain`]).
pub fn verify(conn: &mut impl LogConnection, table: &LogTable) -> Result<Report> {
    verify_with(conn, table, VerifyOptions::new())
}

/// [`verify`] with expectations: a recorded head to pass through, a chain (and key) to have.
pub fn verify_with(
    conn: &mut impl LogConnection,
    table: &LogTable,
    options: VerifyOptions<'_>,
) -> Result<Report> {
    crate::db::with_db(conn, |conn| {
        crate::db::read_snapshot(conn, |conn| walk(conn, table, options))
    })
}

/// Verifies every log table known to `registry` or recorded in the database, each expected
/// to have the chain the registry sets as its write hook ([`HashChain`], with its key): a
/// table the registry chains and that has no chain fails with [`Problem::ChainMissing`].
pub fn verify_registry(conn: &mut impl LogConnection, registry: &Registry) -> Result<Vec<Report>> {
    crate::db::with_db(conn, |conn| {
        let tables = registry.all_log_tables(conn)?;
        let mut reports = Vec::with_capacity(tables.len());
        for table in &tables {
            let chain = registry.write_hook(table.name()).and_then(|hook| {
                let hook: &dyn std::any::Any = hook.as_ref();
                hook.downcast_ref::<HashChain>()
            });
            let options = VerifyOptions {
                anchor: None,
                chain,
            };
            reports.push(verify_with(conn, table, options)?);
        }
        Ok(reports)
    })
}

/// [`verify`], and also that the chain still passes through `anchor`, a head an earlier
/// verification reported: a chain cut back before it is [`Problem::Truncated`], one rebuilt
/// over changed entries [`Problem::Rewritten`], one gone [`Problem::ChainMissing`]. (A head
/// older than the latest purge checkpoint can only be checked against that checkpoint.)
pub fn verify_against(
    conn: &mut impl LogConnection,
    table: &LogTable,
    anchor: &Anchor,
) -> Result<Report> {
    verify_with(conn, table, VerifyOptions::new().anchor(anchor))
}

/// Entries after `after` in id order; an entry whose stored form cannot be read back counts
/// as changed (`Err` carries its id).
fn scan_or_changed(
    conn: &mut DbConnection,
    table: &LogTable,
    after: Option<i64>,
) -> Result<std::result::Result<Vec<LogEntry>, i64>> {
    let entries = match table.scan(conn, after, None, VERIFY_CHUNK) {
        Ok(entries) => entries,
        Err(crate::Error::CorruptEntry { id, .. }) => return Ok(Err(id)),
        Err(other) => return Err(other),
    };
    // What was hashed is the value; a row whose stored text differs from the text loggable
    // writes for that value was edited around it, even if it reads back the same.
    if let Some(id) = table.first_non_canonical(conn, after, VERIFY_CHUNK)? {
        return Ok(Err(id));
    }
    Ok(Ok(entries))
}

/// The key to check `table`'s links with, or the problem that stops the walk before them.
fn key_for<'a>(
    table: &'static str,
    stored_key_id: Option<&str>,
    expected: Option<&'a HashChain>,
) -> Result<std::result::Result<Option<&'a ChainKey>, Problem>> {
    match expected {
        Some(chain) if chain.made_with(stored_key_id) => Ok(Ok(chain.key())),
        // Rebuilt without the key, or under a key the verifier does not hold.
        Some(_) => Ok(Err(Problem::KeyMismatch)),
        None if stored_key_id.is_none() => Ok(Ok(None)),
        None => Err(crate::Error::ChainKeyMismatch {
            table,
            problem: "is keyed; verify it with its key",
        }),
    }
}

fn walk(conn: &mut DbConnection, table: &LogTable, options: VerifyOptions<'_>) -> Result<Report> {
    let anchor = options.anchor;
    let name = table.name();
    let head: Option<(i64, String, i64, String, Option<String>)> = log_chain_heads::table
        .filter(log_chain_heads::log_table.eq(name))
        .select((
            log_chain_heads::seq,
            log_chain_heads::chain_hash,
            log_chain_heads::base_seq,
            log_chain_heads::base_hash,
            log_chain_heads::key_id,
        ))
        .first(conn)
        .optional()
        .context("reading the chain head")?;
    let mut report = Report {
        table: name,
        chained: head.is_some(),
        links: 0,
        problem: None,
        head: None,
    };
    let Some((head_seq, head_hash, base_seq, base_hash, key_id)) = head else {
        let has_links = !links_after(conn, name, i64::MIN, 1)?.is_empty();
        report.problem = if has_links {
            Some(Problem::HeadMissing)
        } else if anchor.is_some() || options.chain.is_some() {
            Some(Problem::ChainMissing)
        } else {
            None
        };
        return Ok(report);
    };
    let key = match key_for(name, key_id.as_deref(), options.chain)? {
        Ok(key) => key,
        Err(problem) => {
            report.problem = Some(problem);
            return Ok(report);
        }
    };
    if let Some(anchor) = anchor {
        let passes = if anchor.seq > head_seq {
            Err(Problem::Truncated { seq: anchor.seq })
        } else if anchor.seq == head_seq {
            Ok(anchor.chain_hash == head_hash)
        } else if anchor.seq == base_seq {
            Ok(anchor.chain_hash == base_hash)
        } else if anchor.seq < base_seq {
            // Purged past it: the checkpoint is all that is left to compare.
            Ok(true)
        } else {
            let stored: Option<String> = log_chain::table
                .filter(log_chain::log_table.eq(name))
                .filter(log_chain::seq.eq(anchor.seq))
                .select(log_chain::chain_hash)
                .first(conn)
                .optional()
                .context("reading the anchored link")?;
            Ok(stored.as_deref() == Some(anchor.chain_hash.as_str()))
        };
        match passes {
            Err(problem) => {
                report.problem = Some(problem);
                return Ok(report);
            }
            Ok(false) => {
                report.problem = Some(Problem::Rewritten { seq: anchor.seq });
                return Ok(report);
            }
            Ok(true) => {}
        }
    }
    // A purge leaves a checkpoint: the chain continues from its last removed link.
    let mut previous = base_hash;
    let mut expected_seq = base_seq + 1;
    let mut last_entry = None;
    let mut entries: std::collections::VecDeque<LogEntry> = Default::default();
    let mut entries_after = None;
    let mut entries_done = false;
    let mut links_after_seq = base_seq;
    loop {
        let links = links_after(conn, name, links_after_seq, VERIFY_CHUNK)?;
        let Some(last) = links.last() else {
            break;
        };
        links_after_seq = last.0;
        for (seq, entry_id, stored_content, stored_chain) in links {
            if seq != expected_seq || link_hash(key, &previous, &stored_content) != stored_chain {
                report.problem = Some(Problem::BrokenLink { seq: expected_seq });
                return Ok(report);
            }
            // Entries before this link's entry were never chained.
            if entries.is_empty() && !entries_done {
                let chunk = match scan_or_changed(conn, table, entries_after)? {
                    Ok(chunk) => chunk,
                    Err(entry_id) => {
                        report.problem = Some(Problem::Changed { entry_id });
                        return Ok(report);
                    }
                };
                entries_done = chunk.len() < VERIFY_CHUNK as usize;
                entries_after = chunk.last().map(|e| e.id).or(entries_after);
                entries.extend(chunk);
            }
            if let Some(entry) = entries.front().filter(|entry| entry.id < entry_id) {
                report.problem = Some(Problem::Inserted { entry_id: entry.id });
                return Ok(report);
            }
            match entries.pop_front() {
                Some(entry) if entry.id == entry_id => {
                    let found = content_hash(&entry);
                    if found != stored_content {
                        let elsewhere: i64 = log_chain::table
                            .filter(log_chain::log_table.eq(name))
                            .filter(log_chain::content_hash.eq(&found))
                            .count()
                            .get_result(conn)
                            .context("looking for moved content")?;
                        report.problem = Some(if elsewhere > 0 {
                            Problem::Reordered { entry_id }
                        } else {
                            Problem::Changed { entry_id }
                        });
                        return Ok(report);
                    }
                }
                _ => {
                    report.problem = Some(Problem::Removed { entry_id });
                    return Ok(report);
                }
            }
            previous = stored_chain;
            expected_seq += 1;
            last_entry = Some(entry_id);
            report.links += 1;
        }
    }
    report.head = Some(Anchor {
        seq: head_seq,
        chain_hash: head_hash.clone(),
        last_entry_id: last_entry,
    });
    if expected_seq - 1 > head_seq {
        report.problem = Some(Problem::HeadMoved { seq: head_seq });
        return Ok(report);
    }
    if expected_seq - 1 != head_seq || previous != head_hash {
        // Links (and their entries) at the end of the chain went.
        report.problem = Some(Problem::Removed {
            entry_id: last_entry.unwrap_or_default(),
        });
        return Ok(report);
    }
    if entries.is_empty() && !entries_done {
        match scan_or_changed(conn, table, entries_after)? {
            Ok(rest) => entries.extend(rest),
            Err(entry_id) => {
                report.problem = Some(Problem::Inserted { entry_id });
                return Ok(report);
            }
        }
    }
    if let Some(entry) = entries.front() {
        report.problem = Some(Problem::Inserted { entry_id: entry.id });
    }
    Ok(report)
}
