//! Load (issue #9): 8 threads from an r2d2 pool each run 2,000 mixed lifecycle operations in
//! their own log contexts. Afterwards every successful operation has exactly its entry, a
//! failed one none, no entry carries another thread's user or uuid, ids are unique, each
//! object's entries are in the order its operations ran, and the rows agree with the log.

use loggable::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use loggable::entry::{EntryQuery, EntryScope};
use loggable::{Error, LogContext};
use uuid::Uuid;

use crate::common::{TestDb, shared_url};
use crate::custom_table::{SPROCKET_LOG, migrate_app};
use crate::lifecycle::{Sprocket, new_sprocket, sprockets};

const THREADS: i64 = 8;
const OPERATIONS: usize = 2_000;

/// What one successful operation must have logged.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Expected {
    user: i64,
    object: i64,
    action: &'static str,
}

/// One thread's run: the entries it expects by uuid, the uuids of its failed operations, and
/// the final state of its sprockets (id -> (teeth, locked), absent once deleted).
struct Run {
    expected: HashMap<Uuid, Expected>,
    order: BTreeMap<i64, Vec<&'static str>>,
    failed: Vec<(Uuid, Error)>,
    rows: BTreeMap<i64, (i32, bool)>,
}

fn run_thread(pool: &loggable::db::Pool, user: i64) -> Run {
    let mut conn = pool.get().unwrap();
    let mut run = Run {
        expected: HashMap::new(),
        order: BTreeMap::new(),
        failed: Vec::new(),
        rows: BTreeMap::new(),
    };
    let mut alive: Vec<Sprocket> = Vec::new();
    // Each thread's sprockets are its own, locked by it: it names itself to change them.
    let as_user = loggable::model::LogOptions::new().user(user);
    for i in 0..OPERATIONS {
        let context = LogContext::new(Some(user));
        let uuid = context.uuid().unwrap();
        let pick = i % alive.len().max(1);
        let outcome = context.scope(|| -> loggable::Result<Option<(i64, &'static str)>> {
            match (i % 10, alive.get(pick).cloned()) {
                (0 | 5, _) | (_, None) => {
                    let created =
                        Sprocket::create(&mut conn, &new_sprocket("Load"), &Default::default())?;
                    let id = created.id;
                    alive.push(created);
                    Ok(Some((id, "wagtail.create")))
                }
                (4, Some(current)) => {
                    let (changed, action) = if current.locked {
                        (
                            current.unlock(&mut conn, user, &Default::default())?,
                            "wagtail.unlock",
                        )
                    } else {
                        (
                            current.lock(&mut conn, user, &Default::default())?,
                            "wagtail.lock",
                        )
                    };
                    alive[pick] = changed;
                    Ok(Some((current.id, action)))
                }
                (8, Some(current)) if alive.len() > 2 => {
                    current.delete(&mut conn, &as_user)?;
                    alive.remove(pick);
                    Ok(Some((current.id, "wagtail.delete")))
                }
                (_, Some(current)) => {
                    let mut bigger = current.clone();
                    bigger.teeth += 1;
                    bigger.update(&mut conn, &as_user)?;
                    alive[pick] = bigger;
                    Ok(Some((current.id, "wagtail.edit")))
                }
            }
        });
        match outcome {
            Ok(Some((object, action))) => {
                run.expected.insert(
                    uuid,
                    Expected {
                        user,
                        object,
                        action,
                    },
                );
                run.order.entry(object).or_default().push(action);
            }
            Ok(None) => {}
            Err(error) => run.failed.push((uuid, error)),
        }
    }
    run.rows = alive.iter().map(|s| (s.id, (s.teeth, s.locked))).collect();
    run
}

#[test]
fn eight_pooled_threads_of_mixed_operations_keep_the_log_exact() {
    loggable::register_model(Sprocket::model_type());
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let url = shared_url(&db, &dir, "load");
    let pool = loggable::db::pool(&url, THREADS as u32).unwrap();
    {
        let mut conn = pool.get().unwrap();
        loggable::db::run_migrations(&mut conn).unwrap();
        migrate_app(&mut conn);
        for user in 1..=THREADS {
            assert_eq!(
                crate::common::user(&mut conn, &format!("loader{user}")),
                user
            );
        }
    }
    let runs: Vec<Run> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=THREADS)
            .map(|user| {
                let pool = &pool;
                scope.spawn(move || run_thread(pool, user))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut conn = pool.get().unwrap();
    let entries = SPROCKET_LOG
        .query(&mut conn, &EntryQuery::new(EntryScope::All))
        .unwrap();
    let expected: HashMap<Uuid, Expected> =
        runs.iter().flat_map(|run| run.expected.clone()).collect();
    let failed: HashSet<Uuid> = runs
        .iter()
        .flat_map(|run| run.failed.iter().map(|(uuid, _)| *uuid))
        .collect();
    let failures: Vec<String> = runs
        .iter()
        .flat_map(|run| run.failed.iter().map(|(_, e)| e.to_string()))
        .collect();
    eprintln!(
        "{} operations succeeded, {} failed with typed errors: {:?}",
        expected.len(),
        failures.len(),
        failures.iter().take(3).collect::<Vec<_>>()
    );
    assert_eq!(expected.len() + failed.len(), THREADS as usize * OPERATIONS);
    // Busy databases may refuse an operation with a typed error, but not many of them.
    assert!(
        failed.len() * 100 <= THREADS as usize * OPERATIONS,
        "{failures:?}"
    );

    // Exactly one entry per successful operation, with its user, uuid, object and action.
    assert_eq!(entries.len(), expected.len());
    let ids: HashSet<i64> = entries.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), entries.len(), "ids are unique");
    let mut seen = HashSet::new();
    for entry in &entries {
        let uuid = entry.uuid.expect("every entry has its operation's uuid");
        assert!(
            !failed.contains(&uuid),
            "an entry of a failed operation: {entry:?}"
        );
        let op = expected
            .get(&uuid)
            .unwrap_or_else(|| panic!("unexpected entry {entry:?}"));
        assert!(
            seen.insert(uuid),
            "two entries for one operation: {entry:?}"
        );
        assert_eq!(entry.user_id, Some(op.user.into()), "{entry:?}");
        assert_eq!(entry.object_id, op.object.to_string(), "{entry:?}");
        assert_eq!(entry.action, op.action, "{entry:?}");
    }
    // Each object's entries, oldest first, follow the order its operations ran in.
    let mut logged: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for entry in entries.iter().rev() {
        logged
            .entry(entry.object_id.parse().unwrap())
            .or_default()
            .push(entry.action.as_str());
    }
    let ran: BTreeMap<i64, Vec<&str>> = runs
        .iter()
        .flat_map(|run| run.order.iter().map(|(id, actions)| (*id, actions.clone())))
        .collect();
    assert_eq!(logged, ran);
    // The rows are what the successful operations left.
    let rows: BTreeMap<i64, (i32, bool)> = sprockets::table
        .select((sprockets::id, (sprockets::teeth, sprockets::locked)))
        .load::<(i64, (i32, bool))>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();
    let left: BTreeMap<i64, (i32, bool)> = runs.iter().flat_map(|run| run.rows.clone()).collect();
    assert_eq!(rows, left);
}
