//! Wagtail fidelity (issue #19): the entries that differed from Wagtail 8.0.1's replayed
//! scenario, and the operation options Wagtail has (a copy's new title and slug, an alias's
//! new slug, a draft's explicit `content_changed`). The revert and alias rows are in
//! `page_revisions.rs`, the moderation row in `workflows.rs`.

use chrono::NaiveDate;
use loggable::page::{self, AliasOptions, CopyOptions};
use loggable::registry::Registry;
use loggable::{LogContext, ObjectRef, log};
use serde_json::json;

use crate::common::{actions, history};
use crate::page_revisions::publish_new;
use crate::pages::{opts, setup, simple};

#[test]
fn creating_a_page_a_copy_or_an_alias_logs_no_revision() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let created = page::add_child(&mut db.conn, root.id, &simple("New"), &opts()).unwrap();
    assert_eq!(
        created.latest_revision_id, None,
        "no revision before the first draft"
    );
    let copy = page::copy(
        &mut db.conn,
        home.id,
        root.id,
        &CopyOptions::default(),
        &opts(),
    )
    .unwrap();
    let alias = page::create_alias(
        &mut db.conn,
        home.id,
        root.id,
        &AliasOptions::default(),
        &opts(),
    )
    .unwrap();
    for page in [&home, &created, &copy, &alias] {
        let entries = history(&mut db.conn, page);
        assert_eq!(entries[0].action, "wagtail.create");
        assert_eq!(entries[0].revision_id, None, "{}", page.title);
    }
}

#[test]
fn the_first_draft_of_a_new_page_is_a_content_change() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let created = page::add_child(&mut db.conn, root.id, &simple("New"), &opts()).unwrap();
    // The draft is the row as created: no field differs, yet Wagtail's first
    // `save_revision` counts as changed.
    page::save_draft(&mut db.conn, &created, &opts()).unwrap();
    let again = page::find(&mut db.conn, created.id).unwrap();
    page::save_draft(&mut db.conn, &again, &opts()).unwrap();
    let entries = history(&mut db.conn, &created);
    assert_eq!(
        entries
            .iter()
            .map(|e| (e.action.as_str(), e.content_changed))
            .collect::<Vec<_>>(),
        [
            ("wagtail.create", true),
            ("wagtail.edit", true),
            ("wagtail.edit", false)
        ]
    );
}

#[test]
fn a_copy_kept_live_logs_no_revision_and_no_content_change_when_published() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let how = CopyOptions {
        keep_live: true,
        ..CopyOptions::default()
    };
    let copy = page::copy(&mut db.conn, home.id, root.id, &how, &opts()).unwrap();
    assert!(copy.live);
    let entries = history(&mut db.conn, &copy);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.copy", "wagtail.publish"]
    );
    assert_eq!(
        entries[1].revision_id, None,
        "the copy entry names no revision"
    );
    assert_eq!(entries[2].revision_id, copy.live_revision_id);
    assert!(
        !entries[2].content_changed,
        "publishing a copy changes nothing"
    );
}

#[test]
fn a_copy_takes_a_new_title_and_slug_and_an_alias_a_new_slug() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let child = page::add_child(&mut db.conn, home.id, &simple("Child"), &opts()).unwrap();
    let how = CopyOptions {
        recursive: true,
        title: Some("Home (copy)".into()),
        slug: Some("home-copy".into()),
        ..CopyOptions::default()
    };
    let copy = page::copy(&mut db.conn, home.id, root.id, &how, &opts()).unwrap();
    assert_eq!(
        (
            copy.title.as_str(),
            copy.draft_title.as_str(),
            copy.slug.as_str()
        ),
        ("Home (copy)", "Home (copy)", "home-copy")
    );
    let copied_child = page::children(&mut db.conn, &copy).unwrap().pop().unwrap();
    assert_eq!(
        (copied_child.title.as_str(), copied_child.slug.as_str()),
        (child.title.as_str(), child.slug.as_str()),
        "descendants keep their own"
    );
    let entries = history(&mut db.conn, &copy);
    assert_eq!(entries[0].label, "Home (copy)");
    assert_eq!(
        entries[1].data["page"],
        json!({"id": copy.id, "title": "Home (copy)"})
    );

    let alias = page::create_alias(
        &mut db.conn,
        home.id,
        root.id,
        &AliasOptions {
            slug: Some("home-alias".into()),
            ..AliasOptions::default()
        },
        &opts(),
    )
    .unwrap();
    assert_eq!(
        (alias.title.as_str(), alias.slug.as_str()),
        ("Home", "home-alias")
    );
}

#[test]
fn a_draft_takes_an_explicit_content_changed() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let mut renamed = home.clone();
    renamed.draft_title = "Welcome".into();
    // A field changed, but the caller knows the save was only to attach a comment.
    page::save_draft(&mut db.conn, &renamed, &opts().content_changed(false)).unwrap();
    // Nothing changed, but the caller says content did.
    let same = page::find(&mut db.conn, home.id).unwrap();
    page::save_draft(&mut db.conn, &same, &opts().content_changed(true)).unwrap();
    let entries = history(&mut db.conn, &home);
    let edits: Vec<(bool, bool)> = entries[entries.len() - 2..]
        .iter()
        .map(|e| (e.content_changed, e.data.contains_key("changes")))
        .collect();
    assert_eq!(edits, [(false, true), (true, false)]);
}

#[test]
fn datetimes_in_changes_have_the_one_data_form() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let mut draft = home.clone();
    draft.expire_at = NaiveDate::from_ymd_opt(2030, 12, 2)
        .and_then(|d| d.and_hms_opt(20, 17, 54))
        .map(Some)
        .unwrap();
    page::save_draft(&mut db.conn, &draft, &opts()).unwrap();
    let entries = history(&mut db.conn, &home);
    let edit = entries.last().unwrap();
    assert_eq!(
        edit.data["changes"]["expire_at"],
        json!([null, "2030-12-02T20:17:54.000Z"])
    );
}

#[test]
fn grouping_is_scoped_to_the_object_and_its_type() {
    let mut db = crate::common::TestDb::new();
    let registry = Registry::new();
    let widget = ObjectRef::new("shop.widget", 1).title("Widget");
    let gear = ObjectRef::new("shop.gear", 1).title("Gear");
    LogContext::new(Some(5)).scope(|| {
        log(&widget, "wagtail.edit")
            .write_with(&mut db.conn, &registry)
            .unwrap();
        // Same id, same user action, same action, another type, written after.
        log(&gear, "wagtail.edit")
            .write_with(&mut db.conn, &registry)
            .unwrap();
    });
    let widget_history = loggable::history_for_object(&mut db.conn, &registry, &widget).unwrap();
    assert_eq!(
        widget_history
            .iter()
            .map(|e| e.label.as_str())
            .collect::<Vec<_>>(),
        ["Widget"]
    );
}
