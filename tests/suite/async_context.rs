//! The log context in async code: it follows the task (a scope over a future), reaches the
//! blocking threads the task hands work to (`LogContext::carry`), and never leaks into
//! another task that shares the thread.

use std::collections::HashMap;

use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG};
use loggable::{LogContext, ObjectRef, UserId, log};

use crate::common::{TestDb, shared_url};

fn user_now() -> Option<UserId> {
    LogContext::current().and_then(|c| c.user())
}

#[test]
fn interleaved_futures_on_a_current_thread_runtime_keep_their_own_users() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (a, b) = runtime.block_on(async {
        let task = |user: i64| {
            LogContext::new(Some(user)).in_scope(async move {
                let mut seen = Vec::new();
                for _ in 0..5 {
                    seen.push(user_now());
                    // Hands the thread to the other future between each look.
                    tokio::task::yield_now().await;
                }
                seen
            })
        };
        tokio::join!(task(1), task(2))
    });
    assert_eq!(a, vec![Some(1.into()); 5]);
    assert_eq!(b, vec![Some(2.into()); 5]);
    assert_eq!(LogContext::current(), None);
}

#[test]
fn a_job_spawned_outside_any_request_logs_as_the_system() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut db = TestDb::new();
    let registry = loggable::registry::Registry::new();
    let (request_entry, job_user) = runtime.block_on(async {
        // The request's future is inside its user's context while it runs; a background job
        // spawned from it runs on the same thread, interleaved, but outside any context.
        LogContext::new(Some(9))
            .in_scope(async {
                let job = tokio::spawn(async {
                    tokio::task::yield_now().await;
                    user_now()
                });
                tokio::task::yield_now().await;
                let entry = log(&ObjectRef::new("app.thing", 1), "wagtail.edit")
                    .write_with(&mut db.conn, &registry)
                    .unwrap();
                (entry, job.await.unwrap())
            })
            .await
    });
    assert_eq!(request_entry.user_id, Some(9.into()));
    assert_eq!(job_user, None, "the spawned job saw the request's user");
    let system = runtime.block_on(async { tokio::spawn(async { user_now() }).await.unwrap() });
    assert_eq!(system, None);
}

#[test]
fn a_scope_over_a_future_follows_it_across_awaits_and_worker_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let seen = runtime.block_on(async {
        let tasks: Vec<_> = (0..16_i64)
            .map(|user| {
                tokio::spawn(LogContext::new(Some(user)).in_scope(async move {
                    let mut seen = Vec::new();
                    for _ in 0..10 {
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                        seen.push(user_now() == Some(user.into()));
                    }
                    seen
                }))
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    assert_eq!(seen.len(), 160);
    assert!(seen.iter().all(|ok| *ok));
}

/// 64 concurrent tasks on a 4-worker runtime, each with its own user and user action, each
/// doing 50 logged writes across `.await`s through the blocking pool: every entry carries
/// its task's user and uuid.
#[test]
fn sixty_four_tasks_through_a_blocking_pool_each_log_as_their_own_user() {
    const TASKS: i64 = 64;
    const WRITES: i64 = 50;
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let url = shared_url(&db, &dir, "async");
    let pool = loggable::db::pool(&url, 8).unwrap();
    loggable::db::run_migrations(&mut pool.get().unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let contexts: HashMap<i64, LogContext> = (0..TASKS)
        .map(|task| (task, LogContext::new(Some(1_000 + task))))
        .collect();
    runtime.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|task| {
                let pool = pool.clone();
                let context = contexts[&task].clone();
                tokio::spawn(context.in_scope(async move {
                    for write in 0..WRITES {
                        let pool = pool.clone();
                        let object = ObjectRef::new("app.task", task).title(format!("w{write}"));
                        tokio::task::spawn_blocking(LogContext::carry(move || {
                            let mut conn = pool.get().unwrap();
                            log(&object, "wagtail.edit").write(&mut conn).unwrap();
                        }))
                        .await
                        .unwrap();
                        tokio::task::yield_now().await;
                    }
                }))
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    let mut conn = pool.get().unwrap();
    let entries = MODEL_LOG
        .query(&mut conn, &EntryQuery::new(EntryScope::All))
        .unwrap();
    assert_eq!(entries.len() as i64, TASKS * WRITES);
    let mut checked = 0;
    for entry in &entries {
        let task: i64 = entry.object_id.parse().unwrap();
        let context = &contexts[&task];
        assert_eq!(entry.user_id, context.user(), "{entry:?}");
        assert_eq!(entry.uuid, context.uuid(), "{entry:?}");
        checked += 1;
    }
    println!(
        "checked {checked} entries of {TASKS} tasks: each with its task's user and uuid, none anonymous"
    );
}
