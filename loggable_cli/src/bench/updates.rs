//! What logging costs an update: a derived model's `update_over` (the UPDATE and its
//! `wagtail.edit` entry) against the same Diesel UPDATE without logging, each in its own
//! transaction and a hundred in one, on a table of 1,000 widgets; and between them the floor
//! of any logged update, the bare UPDATE plus a bare Diesel INSERT of its entry's row.
//!
//! The three kinds run in alternating rounds, so a machine that speeds up or
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

diesel::table! {
    /// loggable's generic log table, written here without loggable: the floor of any logged
    /// update is the UPDATE plus this row's INSERT.
    loggable_model_log_entries (id) {
        id -> BigInt,
        content_type -> Nullable<Text>,
        label -> Text,
        action -> Text,
        data -> Text,
        timestamp -> Timestamp,
        uuid -> Nullable<Text>,
        user_id -> Nullable<Text>,
        revision_id -> Nullable<BigInt>,
        content_changed -> Bool,
        deleted -> Bool,
        object_id -> Text,
    }
}

/// The model the update benchmarks change.
#[derive(Debug, Clone, Queryable, Serialize, loggable::Loggable)]
#[diesel(table_name = bench_widgets)]
#[loggable(content_type = "bench.widget", title = name)]
pub struct Widget {
    /// Its key.
    pub id: i64,
    /// Its name, the entries' label.
    pub name: String,
    /// What the updates change.
    pub size: i32,
}

/// Widgets in the table.
const ROWS: i64 = 1_000;

/// Updates per transaction in the batched metrics.
pub const BATCH: usize = 100;

/// Alternating rounds of bare and logged updates.
const ROUNDS: usize = 4;

/// Creates the widget table and its 1,000 rows; returns them.
pub fn prepare_widgets(conn: &mut DbConnection) -> Result<Vec<Widget>> {
    let id = match conn.backend() {
        BackendKind::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        BackendKind::Postgresql => "BIGSERIAL PRIMARY KEY",
        BackendKind::Mysql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
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
        crate::on_backend!(conn, |c| insert.execute(c)).context("writing the widgets")?;
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

    /// The bare UPDATE and a bare INSERT of the row its entry would be: what any logged
    /// update must write, without anything loggable does around it.
    fn floor(&mut self, conn: &mut DbConnection) -> Result<()> {
        self.bare(conn)?;
        let widget = &self.widgets[self.turn % self.widgets.len()];
        let row = (
            loggable_model_log_entries::content_type.eq("bench.widget"),
            loggable_model_log_entries::label.eq(&widget.name),
            loggable_model_log_entries::action.eq("wagtail.edit"),
            loggable_model_log_entries::data.eq(format!(
                r#"{{"changes":{{"size":[{},{}]}}}}"#,
                widget.size - 1,
                widget.size
            )),
            loggable_model_log_entries::timestamp.eq(chrono::Utc::now().naive_utc()),
            loggable_model_log_entries::uuid.eq(uuid::Uuid::now_v7().hyphenated().to_string()),
            loggable_model_log_entries::content_changed.eq(true),
            loggable_model_log_entries::deleted.eq(false),
            loggable_model_log_entries::object_id.eq(widget.id.to_string()),
        );
        let insert = diesel::insert_into(loggable_model_log_entries::table).values(row);
        crate::on_backend!(conn, |c| insert.execute(c))
            .context("writing an entry's row by hand")?;
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
        widgets: prepare_widgets(conn)?,
        options: LogOptions::new().registry(Arc::new(registry)),
        turn: 0,
    };
    let per_round = n.div_ceil(ROUNDS);
    let mut figures = Vec::new();
    type Update = fn(&mut Updates, &mut DbConnection) -> Result<()>;
    let kinds: [(&str, Update); 3] = [
        ("bare", Updates::bare),
        ("floor", Updates::floor),
        ("logged", Updates::logged),
    ];
    for (batched, metrics) in [
        (
            false,
            [
                "update_bare_own_transaction",
                "update_bare_with_entry_row_own_transaction",
                "update_logged_own_transaction",
            ],
        ),
        (
            true,
            [
                "update_bare_x100_one_transaction",
                "update_bare_with_entry_row_x100_one_transaction",
                "update_logged_x100_one_transaction",
            ],
        ),
    ] {
        let mut took = [Duration::ZERO; 3];
        for _ in 0..ROUNDS {
            for ((_, update), time) in kinds.iter().zip(&mut took) {
                *time += updates.time(conn, per_round, batched, *update)?;
            }
        }
        let done = if batched {
            per_round.div_ceil(BATCH) * BATCH * ROUNDS
        } else {
            per_round * ROUNDS
        } as u64;
        for (metric, time) in metrics.into_iter().zip(took) {
            figures.push(measurement(conn, metric, done, time, entries));
        }
    }
    conn.batch_execute("DROP TABLE bench_widgets")
        .context("dropping the widget table")?;
    Ok(figures)
}
