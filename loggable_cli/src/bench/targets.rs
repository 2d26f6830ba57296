//! The performance targets of issue #20, read off one run's figures: each is a ratio of two
//! figures measured side by side (or a rate), so the machine's speed on the day cancels out.

use serde::Serialize;

use super::Measurement;

/// One target against one run's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    /// `sqlite` or `postgresql`.
    pub db: &'static str,
    /// What is compared, e.g. `hash chain cost (unchained / chained)`.
    pub target: String,
    /// The figure this run gives.
    pub figure: f64,
    /// The bound the figure must reach.
    pub bound: f64,
    /// Whether the figure must be at least (`true`) or at most (`false`) the bound.
    pub at_least: bool,
}

impl TargetCheck {
    /// Whether this run meets the target.
    pub fn met(&self) -> bool {
        if self.at_least {
            self.figure >= self.bound
        } else {
            self.figure <= self.bound
        }
    }
}

/// A ratio of two figures' rates: `over` per second divided by `under` per second.
fn rate_ratio(figures: &[Measurement], db: &str, over: &str, under: &str) -> Option<f64> {
    let rate = |metric: &str| {
        figures
            .iter()
            .find(|m| m.db == db && m.metric == metric)
            .map(|m| m.per_second)
    };
    Some(rate(over)? / rate(under)?)
}

/// Every target the figures allow checking, per backend in the order measured.
///
/// ```
/// use loggable_cli::bench::{Measurement, check_targets};
///
/// let figure = |metric, per_second| Measurement {
///     db: "postgresql", metric, n: 1, seconds: 1.0, per_second, entries: 1,
/// };
/// let checks = check_targets(&[
///     figure("write_log_autocommit_generic_table", 1_000.0),
///     figure("write_log_autocommit_hash_chain", 500.0),
/// ]);
/// assert_eq!(checks.len(), 1);
/// assert_eq!(checks[0].figure, 2.0);
/// assert!(!checks[0].met());
/// ```
pub fn check_targets(figures: &[Measurement]) -> Vec<TargetCheck> {
    let mut databases: Vec<&'static str> = Vec::new();
    for figure in figures {
        if !databases.contains(&figure.db) {
            databases.push(figure.db);
        }
    }
    let mut checks = Vec::new();
    for db in databases {
        let sqlite = db == "sqlite";
        let mut ratio = |target: &str, over: &str, under: &str, bound: f64, at_least: bool| {
            if let Some(figure) = rate_ratio(figures, db, over, under) {
                checks.push(TargetCheck {
                    db,
                    target: target.to_owned(),
                    figure,
                    bound,
                    at_least,
                });
            }
        };
        let durable = if sqlite {
            "write_log_autocommit_synchronous_full"
        } else {
            "write_log_autocommit_one_logcontext"
        };
        ratio(
            "single durable log() / trivial durable commit",
            durable,
            "calibration_commit_trivial_insert",
            0.9,
            true,
        );
        ratio(
            "  its floor: the entry's row by hand / trivial durable commit",
            "calibration_commit_entry_row",
            "calibration_commit_trivial_insert",
            0.9,
            true,
        );
        ratio(
            "hash chain cost (unchained / chained)",
            "write_log_autocommit_generic_table",
            "write_log_autocommit_hash_chain",
            1.25,
            false,
        );
        ratio(
            "logged update cost, own transaction (bare / logged)",
            "update_bare_own_transaction",
            "update_logged_own_transaction",
            if sqlite { 2.0 } else { 1.2 },
            false,
        );
        ratio(
            "  its floor: bare / bare + the entry's row by hand",
            "update_bare_own_transaction",
            "update_bare_with_entry_row_own_transaction",
            if sqlite { 2.0 } else { 1.2 },
            false,
        );
        ratio(
            "logged update cost, 100 per transaction (bare / logged)",
            "update_bare_x100_one_transaction",
            "update_logged_x100_one_transaction",
            if sqlite { 3.0 } else { 1.5 },
            false,
        );
        ratio(
            "  its floor: bare / bare + the entry's row by hand",
            "update_bare_x100_one_transaction",
            "update_bare_with_entry_row_x100_one_transaction",
            if sqlite { 3.0 } else { 1.5 },
            false,
        );
        for figure in figures.iter().filter(|m| m.db == db) {
            let in_one_transaction = match figure.metric {
                "write_log_one_transaction" => Some("log() inside one transaction, per second"),
                "write_log_one_transaction_buffered" => {
                    Some("  through entry::buffered_transaction, per second")
                }
                _ => None,
            };
            if let Some(target) = in_one_transaction.filter(|_| !sqlite) {
                checks.push(TargetCheck {
                    db,
                    target: target.to_owned(),
                    figure: figure.per_second,
                    bound: 40_000.0,
                    at_least: true,
                });
            }
            if !figure.is_throughput()
                && let Some(speedup) = figure.speedup()
            {
                checks.push(TargetCheck {
                    db,
                    target: format!("{} at {}, x Wagtail", figure.metric, figure.entries),
                    figure: speedup,
                    bound: 10.0,
                    at_least: true,
                });
            }
        }
    }
    checks
}
