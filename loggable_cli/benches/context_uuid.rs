//! What the kind of a log context's UUID costs a write: single entries, each committed on its
//! own and each in a context of its own (one user action per entry), into a generic log table
//! that already holds 200,000 entries with a UUID each, as a year of admin traffic leaves it.
//! `LogContext::new` (time-ordered v7 UUIDs: each new one lands at the end of the uuid index)
//! against contexts given random v4 UUIDs (Wagtail's kind: each lands at a random place), on an
//! SQLite file (WAL) and on PostgreSQL (`DATABASE_URL`, else the local test server; skipped if
//! it is down).
//!
//! ```sh
//! cargo bench --bench context_uuid
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use loggable::db::{self, DbConnection};
use loggable::model::{log_bulk, prepare_bulk};
use loggable::registry::Registry;
use loggable::{LogContext, ObjectRef, log};
use uuid::Uuid;

const HISTORY: usize = 200_000;
const BATCH: usize = 20_000;

fn seed(conn: &mut DbConnection, registry: &Registry) {
    let objects: Vec<ObjectRef> = (0..1_000)
        .map(|id| ObjectRef::new("bench.widget", id).title("Widget"))
        .collect();
    for start in (0..HISTORY).step_by(BATCH) {
        let builders = (start..start + BATCH)
            .map(|i| log(&objects[i % objects.len()], "wagtail.edit").uuid(Uuid::new_v4()));
        let bulk = prepare_bulk(registry, builders).expect("entries");
        db::transaction(conn, |conn| log_bulk(conn, &bulk)).expect("history");
    }
}

fn bench_backend(c: &mut Criterion, name: &str, conn: &mut DbConnection) {
    let registry = Registry::new();
    seed(conn, &registry);
    let object = ObjectRef::new("bench.widget", 7).title("Widget");
    let write = |conn: &mut DbConnection, context: LogContext| {
        context.scope(|| {
            log(&object, "wagtail.edit")
                .write_with(conn, &registry)
                .expect("entry")
        })
    };
    let mut group = c.benchmark_group(format!("context_uuid/{name}"));
    group.bench_function("random_v4", |b| {
        b.iter(|| write(conn, LogContext::with_uuid(Some(1), Uuid::new_v4())))
    });
    group.bench_function("time_ordered_v7", |b| {
        b.iter(|| write(conn, LogContext::new(Some(1))))
    });
    group.finish();
}

fn writes(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    loggable_cli::bench::on_each_backend(dir.path(), |name, conn| {
        bench_backend(c, name, conn);
    })
    .expect("bench databases");
}

criterion_group!(benches, writes);
criterion_main!(benches);
