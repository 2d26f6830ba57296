//! What logging costs an update: a derived model's `update_over` (the UPDATE and its
//! `wagtail.edit` entry) against the same Diesel UPDATE without logging, each in its own
//! transaction and a hundred in one, on a table of 1,000 widgets.
//!
//! The bare and the logged updates run in alternating rounds, so a machine that speeds up or
//! slows down during the run moves both figures alike.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;

use loggable::Result;
use loggable::db::{self, BackendKind, DbConnection};
use loggable::model::{Lifecycle, LogOptions, Registered};
use loggable::registry::Registry;

use super::{DatabaseContext, Measurement, measurement};

diesel::table! {
    bench_widgets (id) {
        id -> BigInt,
        name -> Text,
        size -> Integer,
    }
}

/// The model the update benchmarks change.
#[derive(Debug, Clone, Queryable, Serialize, loggable::Loggable)]
#[diesel(table_name = bench_widgets)]
#[loggable(content_type = "bench.widget", title = name)]
pub struct Widget {
    id: i64,
    name: String,
    size: i32,
}

/// Widgets in the table.
const ROWS: i64 = 1_000;

/// Updates per transaction in the batched metrics.
pub const BATCH: usize = 100;

/// Alternating rounds of bare and logged updates.
const ROUNDS: usize = 4;

/// Creates the widget table and its rows.
fn prepare(conn: &mut DbConnection) -> Result<Vec<Widget>> {
    let id = match conn.backend() {
        BackendKind::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        BackendKind::Postgresql => "BIGSERIAL PRIMARY KEY",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE bench_widgets (id {id}, name TEXT NOT NULL, size INTEGER NOT NULL)"
    ))
    .context("creating the widget table")?;
    let rows: Vec<_> = (0..ROWS)
        .map(|i| {
            (
                bench_widgets::name.eq(format!("Widget {i}")),
                bench_widgets::size.eq(0),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(bench_widgets::table).values(chunk);
        match conn {
            DbConnection::Postgresql(c) => insert.execute(c),
            DbConnection::Sqlite(c) => insert.execute(c),
        }
        .context("writing the widgets")?;
    }
    bench_widgets::table
        .order(bench_widgets::id)
        .load(conn)
        .context("reading the widgets")
}

/// The widgets and what changes them.
struct Updates {
    widgets: Vec<Widget>,
    options: LogOptions,
    turn: usize,
}

impl Updates {
    /// The next widget's index and its next size.
    fn next(&mut self) -> (usize, i32) {
        self.turn += 1;
        (
            self.turn % self.widgets.len(),
            i32::try_from(self.turn).unwrap_or(0),
        )
    }

    fn bare(&mut self, conn: &mut DbConnection) -> Result<()> {
        let (index, size) = self.next();
        let widget = &self.widgets[index];
        diesel::update(bench_widgets::table.find(widget.id))
            .set((
                bench_widgets::name.eq(&widget.name),
                bench_widgets::size.eq(size),
            ))
            .execute(conn)
            .context("updating a widget")?;
        self.widgets[index].size = size;
        Ok(())
    }

    fn logged(&mut self, conn: &mut DbConnection) -> Result<()> {
        let (index, size) = self.next();
        let mut new = self.widgets[index].clone();
        new.size = size;
        new.update_over(conn, &self.widgets[index], &self.options)?;
        self.widgets[index] = new;
        Ok(())
    }

    /// Times `n` calls of `update`, each in its own transaction or `BATCH` to a transaction.
    fn time(
        &mut self,
        conn: &mut DbConnection,
        n: usize,
        batched: bool,
        update: fn(&mut Self, &mut DbConnection) -> Result<()>,
    ) -> Result<Duration> {
        let begun = Instant::now();
        if batched {
            for _ in 0..n.div_ceil(BATCH) {
                db::transaction(conn, |conn| (0..BATCH).try_for_each(|_| update(self, conn)))?;
            }
        } else {
            for _ in 0..n {
                // Each update is its own transaction: the logged one opens its own, the bare
                // one gets one here (Diesel's autocommit would do the same).
                db::transaction(conn, |conn| update(self, conn))?;
            }
        }
        Ok(begun.elapsed())
    }
}

/// Times `n` bare and `n` logged updates in their own transactions, then `n` of each a
/// hundred to a transaction (`n` rounded up to whole transactions); entries are counted as
/// updates.
pub fn measure_updates(
    conn: &mut DbConnection,
    n: usize,
    entries: usize,
) -> Result<Vec<Measurement>> {
    let mut registry = Registry::new();
    registry.register_model(Widget::model_type());
    let mut updates = Updates {
        widgets: prepare(conn)?,
        options: LogOptions::new().registry(Arc::new(registry)),
        turn: 0,
    };
    let per_round = n.div_ceil(ROUNDS);
    let mut figures = Vec::new();
    for (batched, bare_metric, logged_metric) in [
        (
            false,
            "update_bare_own_transaction",
            "update_logged_own_transaction",
        ),
        (
            true,
            "update_bare_x100_one_transaction",
            "update_logged_x100_one_transaction",
        ),
    ] {
        let mut bare = Duration::ZERO;
        let mut logged = Duration::ZERO;
        for _ in 0..ROUNDS {
            bare += updates.time(conn, per_round, batched, Updates::bare)?;
            logged += updates.time(conn, per_round, batched, Updates::logged)?;
        }
        let done = if batched {
            per_round.div_ceil(BATCH) * BATCH * ROUNDS
        } else {
            per_round * ROUNDS
        } as u64;
        figures.push(measurement(conn, bare_metric, done, bare, entries));
        figures.push(measurement(conn, logged_metric, done, logged, entries));
    }
    conn.batch_execute("DROP TABLE bench_widgets")
        .context("dropping the widget table")?;
    Ok(figures)
}
