//! LogContext: scopes, nesting, panics, early returns, threads, and futures on tokio
//! runtimes (current-thread and multi-threaded, with blocking work).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier};

use loggable::LogContext;

#[test]
fn a_scope_is_active_only_inside() {
    assert_eq!(LogContext::current(), None);
    let ctx = LogContext::new(Some(1));
    ctx.scope(|| assert_eq!(LogContext::current(), Some(ctx.clone())));
    assert_eq!(LogContext::current(), None);
}

#[test]
fn each_context_gets_a_fresh_time_ordered_uuid_unless_told_otherwise() {
    let a = LogContext::new(Some(1)).uuid().unwrap();
    let b = LogContext::new(Some(1)).uuid().unwrap();
    assert_ne!(a, b);
    assert_eq!(a.get_version_num(), 7);
    // Later contexts sort after earlier ones, also within one millisecond.
    let mut uuids: Vec<_> = (0..1_000)
        .map(|_| LogContext::system().uuid().unwrap())
        .collect();
    assert!(uuids.windows(2).all(|pair| pair[0] < pair[1]));
    uuids.dedup();
    assert_eq!(uuids.len(), 1_000);
    assert_eq!(LogContext::without_uuid(Some(1)).uuid(), None);
    assert_eq!(
        LogContext::with_uuid(None::<loggable::UserId>, a).uuid(),
        Some(a)
    );
    assert_eq!(LogContext::system().user(), None);
}

#[test]
fn nesting_shadows_completely_and_restores() {
    let outer = LogContext::new(Some(1));
    let inner = LogContext::without_uuid(None::<loggable::UserId>);
    outer.scope(|| {
        assert_eq!(LogContext::current(), Some(outer.clone()));
        inner.scope(|| {
            // The inner context hides the outer one: no user, no uuid, nothing merged.
            let current = LogContext::current().unwrap();
            assert_eq!(current.user(), None);
            assert_eq!(current.uuid(), None);
        });
        assert_eq!(LogContext::current(), Some(outer.clone()));
    });
    assert_eq!(LogContext::current(), None);
}

#[test]
fn restores_after_a_panic() {
    let outer = LogContext::new(Some(1));
    outer.scope(|| {
        let result = catch_unwind(AssertUnwindSafe(|| {
            LogContext::new(Some(2)).scope(|| panic!("handler failed"));
        }));
        assert!(result.is_err());
        assert_eq!(LogContext::current(), Some(outer.clone()));
    });
    assert_eq!(LogContext::current(), None);
}

fn returns_early(fail: bool) -> Result<(), &'static str> {
    LogContext::new(Some(3)).scope(|| {
        if fail {
            return Err("early");
        }
        Ok(())
    })
}

#[test]
fn restores_after_an_early_return() {
    assert!(returns_early(true).is_err());
    assert_eq!(LogContext::current(), None);
    assert!(returns_early(false).is_ok());
    assert_eq!(LogContext::current(), None);
}

#[test]
fn threads_never_see_each_others_context() {
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = [10, 20]
        .into_iter()
        .map(|user| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                assert_eq!(LogContext::current(), None);
                let ctx = LogContext::new(Some(user));
                let seen = ctx.scope(|| {
                    // Both threads are inside their contexts at once here.
                    barrier.wait();
                    let seen = LogContext::current();
                    barrier.wait();
                    seen
                });
                (ctx, seen)
            })
        })
        .collect();
    for handle in handles {
        let (ctx, seen) = handle.join().unwrap();
        assert_eq!(seen, Some(ctx));
    }
    LogContext::new(Some(1)).scope(|| {
        let from_other_thread = std::thread::spawn(LogContext::current).join().unwrap();
        assert_eq!(from_other_thread, None);
    });
}

#[test]
fn a_context_time_stamps_its_entries_unless_an_entry_gives_its_own() {
    use chrono::{TimeZone, Utc};
    let mut db = crate::common::TestDb::new();
    let registry = loggable::registry::Registry::new();
    let widget = loggable::ObjectRef::new("shop.widget", 1).title("W");
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap();
    let tuesday = Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap();
    let (stamped, explicit) = LogContext::new(Some(1)).at(monday).scope(|| {
        (
            loggable::log(&widget, "wagtail.edit")
                .write_with(&mut db.conn, &registry)
                .unwrap(),
            loggable::log(&widget, "wagtail.edit")
                .timestamp(tuesday)
                .write_with(&mut db.conn, &registry)
                .unwrap(),
        )
    });
    assert_eq!((stamped.timestamp, explicit.timestamp), (monday, tuesday));
    // Outside the context, now again.
    let later = loggable::log(&widget, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert!(later.timestamp > tuesday);
}
