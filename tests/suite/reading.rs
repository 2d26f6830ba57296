//! Reading entries back: per object, by type, by user; display names; history grouping.

use chrono::{Duration, TimeZone, Utc};
use loggable::user::{NewUser, create_user, delete_user, display_name};
use loggable::{LogContext, ObjectRef, log};
use loggable::{entries_by_user, entries_for_content_type, entries_for_object, history_for_object};
use uuid::Uuid;

use crate::common::TestDb;

use crate::common::page_registry as registry;

#[test]
fn object_entries_are_newest_first_with_id_breaking_ties() {
    let mut db = TestDb::new();
    let registry = registry();
    let page = ObjectRef::new("cms.simplepage", 1).title("Home");
    let other = ObjectRef::new("cms.simplepage", 2).title("Other");
    let same_time = Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0).unwrap();
    let a = log(&page, "wagtail.create")
        .timestamp(same_time)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let b = log(&page, "wagtail.edit")
        .timestamp(same_time)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let older = log(&page, "wagtail.publish")
        .timestamp(same_time - Duration::hours(1))
        .write_with(&mut db.conn, &registry)
        .unwrap();
    log(&other, "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let ids: Vec<i64> = entries_for_object(&mut db.conn, &registry, &page)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [b.id, a.id, older.id]);
}

#[test]
fn generic_entries_of_one_object_are_told_apart_by_type() {
    let mut db = TestDb::new();
    let registry = registry();
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    let gear = ObjectRef::new("shop.gear", 1).title("G");
    log(&sprocket, "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    log(&gear, "wagtail.create")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    log(&gear, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    assert_eq!(
        entries_for_object(&mut db.conn, &registry, &sprocket)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        entries_for_object(&mut db.conn, &registry, &gear)
            .unwrap()
            .len(),
        2
    );
    let gears = entries_for_content_type(&mut db.conn, &registry, "shop.gear").unwrap();
    assert_eq!(
        gears.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["wagtail.edit", "wagtail.create"]
    );
    let pages = entries_for_content_type(&mut db.conn, &registry, "cms.simplepage").unwrap();
    assert!(pages.is_empty());
}

#[test]
fn entries_by_user_span_every_log_table() {
    let mut db = TestDb::new();
    let registry = registry();
    let page = ObjectRef::new("cms.simplepage", 1).title("Home");
    let sprocket = ObjectRef::new("shop.sprocket", 1).title("S");
    let first = LogContext::new(Some(4))
        .scope(|| log(&page, "wagtail.create").write_with(&mut db.conn, &registry))
        .unwrap();
    let second = LogContext::new(Some(4))
        .scope(|| log(&sprocket, "wagtail.create").write_with(&mut db.conn, &registry))
        .unwrap();
    let system = log(&sprocket, "wagtail.publish.scheduled")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    LogContext::new(Some(5))
        .scope(|| log(&page, "wagtail.edit").write_with(&mut db.conn, &registry))
        .unwrap();
    let by_four = entries_by_user(&mut db.conn, &registry, Some(4.into())).unwrap();
    assert_eq!(by_four, vec![second, first]);
    assert_eq!(
        entries_by_user(&mut db.conn, &registry, None).unwrap(),
        vec![system]
    );
}

#[test]
fn display_names_follow_the_spec_rules() {
    let mut db = TestDb::new();
    let full = create_user(&mut db.conn, &NewUser::new("ada").full_name("Ada Lovelace")).unwrap();
    let bare = create_user(&mut db.conn, &NewUser::new("grace")).unwrap();
    let gone = create_user(&mut db.conn, &NewUser::new("temp")).unwrap();
    assert!(delete_user(&mut db.conn, gone.id).unwrap());
    assert_eq!(display_name(&mut db.conn, None).unwrap(), "system");
    assert_eq!(
        display_name(&mut db.conn, Some(full.id)).unwrap(),
        "Ada Lovelace"
    );
    assert_eq!(display_name(&mut db.conn, Some(bare.id)).unwrap(), "grace");
    assert_eq!(
        display_name(&mut db.conn, Some(gone.id)).unwrap(),
        format!("user {} (deleted)", gone.id)
    );
    let mut registry = loggable::registry::Registry::new();
    registry.set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
    let key = |id: i64| Some(loggable::UserId::from(id));
    let names = registry
        .display_names(
            &mut db.conn,
            [key(full.id), None, key(gone.id), key(bare.id), key(full.id)],
        )
        .unwrap();
    assert_eq!(names.get(key(full.id).as_ref()), "Ada Lovelace");
    assert_eq!(names.get(key(bare.id).as_ref()), "grace");
    assert_eq!(
        names.get(key(gone.id).as_ref()),
        format!("user {} (deleted)", gone.id)
    );
    assert_eq!(names.get(None), "system");
}

#[test]
fn deleting_a_user_leaves_their_entries_untouched() {
    let mut db = TestDb::new();
    let registry = registry();
    let user = create_user(&mut db.conn, &NewUser::new("leaver")).unwrap();
    let page = ObjectRef::new("cms.simplepage", 1).title("Home");
    let entry = LogContext::new(Some(user.id))
        .scope(|| {
            log(&page, "wagtail.edit")
                .revision(999)
                .write_with(&mut db.conn, &registry)
        })
        .unwrap();
    delete_user(&mut db.conn, user.id).unwrap();
    assert_eq!(
        entries_for_object(&mut db.conn, &registry, &page).unwrap(),
        vec![entry]
    );
}

#[test]
fn history_keeps_the_newest_entry_per_uuid_and_action_within_the_object() {
    let mut db = TestDb::new();
    let registry = registry();
    let page = ObjectRef::new("cms.simplepage", 1).title("Home");
    let other = ObjectRef::new("cms.simplepage", 2).title("Other");
    let autosave = Uuid::new_v4();
    let first_save = log(&page, "wagtail.edit")
        .uuid(autosave)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let last_save = log(&page, "wagtail.edit")
        .uuid(autosave)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    // Same uuid, different action: its own group.
    let publish = log(&page, "wagtail.publish")
        .uuid(autosave)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    // Same uuid and action on another object: grouping never crosses objects.
    let other_edit = log(&other, "wagtail.edit")
        .uuid(autosave)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    // No uuid: never grouped.
    let system_a = log(&page, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let system_b = log(&page, "wagtail.edit")
        .write_with(&mut db.conn, &registry)
        .unwrap();
    // A context groups what one user action logs.
    let (ctx_a, ctx_b) = LogContext::new(Some(1)).scope(|| {
        (
            log(&page, "wagtail.lock")
                .write_with(&mut db.conn, &registry)
                .unwrap(),
            log(&page, "wagtail.lock")
                .write_with(&mut db.conn, &registry)
                .unwrap(),
        )
    });
    let history: Vec<i64> = history_for_object(&mut db.conn, &registry, &page)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        history,
        [ctx_b.id, system_b.id, system_a.id, publish.id, last_save.id]
    );
    assert!(!history.contains(&first_save.id) && !history.contains(&ctx_a.id));
    let other_history = history_for_object(&mut db.conn, &registry, &other).unwrap();
    assert_eq!(other_history, vec![other_edit.clone()]);
    // The newest of a group is chosen by timestamp, then id, not by insertion order.
    let late = Utc::now() + Duration::days(1);
    let backdated = Uuid::new_v4();
    let newest = log(&other, "wagtail.edit")
        .uuid(backdated)
        .timestamp(late)
        .write_with(&mut db.conn, &registry)
        .unwrap();
    log(&other, "wagtail.edit")
        .uuid(backdated)
        .timestamp(late - Duration::hours(1))
        .write_with(&mut db.conn, &registry)
        .unwrap();
    let ids: Vec<i64> = history_for_object(&mut db.conn, &registry, &other)
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [newest.id, other_edit.id]);
}
