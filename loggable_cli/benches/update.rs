//! What logging costs an update: a derived model's `update_over` (UPDATE + entry INSERT)
//! against the same Diesel UPDATE without logging, both inside a transaction, on an SQLite file
//! (WAL) and on PostgreSQL (`DATABASE_URL`, else the local test server; skipped if it is down).
//!
//! ```sh
//! cargo bench --bench update
//! ```

use loggable::prelude::*;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::prelude::*;
use loggable::db::{self, DbConnection};
use loggable::model::LogOptions;
use loggable_cli::bench::{Widget, bench_widgets, prepare_widgets};

fn bench_backend(c: &mut Criterion, name: &str, conn: &mut DbConnection) {
    let mut widgets: Vec<Widget> = bench_widgets::table.load(conn).expect("load");
    let options = LogOptions::new();
    let mut group = c.benchmark_group(format!("update/{name}"));
    let mut turn = 0_usize;
    group.bench_function("bare_diesel_update", |b| {
        b.iter(|| {
            turn += 1;
            let widget = &widgets[turn % widgets.len()];
            conn.transaction(|conn| {
                diesel::update(bench_widgets::table.find(widget.id))
                    .set((
                        bench_widgets::name.eq(&widget.name),
                        bench_widgets::size.eq(turn as i32),
                    ))
                    .execute(conn)
            })
            .map(black_box)
            .expect("update")
        })
    });
    group.bench_function("logged_update_over_held_row", |b| {
        b.iter(|| {
            turn += 1;
            let index = turn % widgets.len();
            let mut new = widgets[index].clone();
            new.size = turn as i32;
            // `update_over` is its own transaction (wrapping it in another would add a savepoint).
            new.update_over(conn, &widgets[index], &options)
                .expect("logged update");
            widgets[index] = new;
        })
    });
    group.bench_function("logged_update_reading_the_row", |b| {
        b.iter(|| {
            turn += 1;
            let index = turn % widgets.len();
            let mut new = widgets[index].clone();
            new.size = turn as i32;
            new.update(conn, &Default::default())
                .expect("logged update");
            widgets[index] = new;
        })
    });
    const BATCH: usize = 100;
    group.bench_function("bare_diesel_update_x100_in_one_transaction", |b| {
        b.iter(|| {
            conn.transaction(|conn| {
                for _ in 0..BATCH {
                    turn += 1;
                    let widget = &widgets[turn % widgets.len()];
                    diesel::update(bench_widgets::table.find(widget.id))
                        .set((
                            bench_widgets::name.eq(&widget.name),
                            bench_widgets::size.eq(turn as i32),
                        ))
                        .execute(conn)?;
                }
                diesel::QueryResult::Ok(())
            })
            .expect("updates")
        })
    });
    group.bench_function("logged_update_over_x100_in_one_transaction", |b| {
        b.iter(|| {
            db::transaction(conn, |conn| {
                for _ in 0..BATCH {
                    turn += 1;
                    let index = turn % widgets.len();
                    let mut new = widgets[index].clone();
                    new.size = turn as i32;
                    new.update_over(conn, &widgets[index], &options)?;
                    widgets[index] = new;
                }
                Ok(())
            })
            .expect("logged updates")
        })
    });
    group.finish();
}

fn updates(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    loggable_cli::bench::on_each_backend(dir.path(), |name, conn| {
        loggable::register_model(Widget::model_type());
        prepare_widgets(conn).expect("widgets");
        bench_backend(c, name, conn);
    })
    .expect("bench databases");
}

criterion_group!(benches, updates);
criterion_main!(benches);
