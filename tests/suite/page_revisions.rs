//! Pages: revisions, autosave, revert, schedules, unpublishing, copies and aliases.

use crate::common::{actions, history, user};
use crate::pages::{opts, setup, simple};
use loggable::LogContext;
use loggable::db::DbConnection;
use loggable::page::{self, Page};
use loggable::prelude::*;
use loggable::registry::{self};
use serde_json::json;

pub(crate) fn publish_new(conn: &mut DbConnection, parent: i64, title: &str) -> Page {
    let page = page::add_child(conn, parent, &simple(title), &opts()).unwrap();
    let revision = page::save_draft(conn, &page, &opts()).unwrap();
    page.publish(conn, revision.id, &Default::default())
        .unwrap()
}

#[test]
fn autosave_over_a_revision_reuses_the_uuid_of_its_edit() {
    let mut db = setup();
    let editor = user(&mut db.conn, "autosaver");
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = page::add_child(&mut db.conn, root.id, &simple("Home"), &opts()).unwrap();
    let first = LogContext::new(Some(editor))
        .scope(|| page::save_draft(&mut db.conn, &home, &opts()))
        .unwrap();
    for text in ["Home v2", "Home v3"] {
        let mut draft = home.clone();
        draft.draft_title = text.into();
        // A new request each time: a fresh context uuid that the autosave must not use.
        LogContext::new(Some(editor))
            .scope(|| page::overwrite_revision(&mut db.conn, &draft, first.id, &opts()))
            .unwrap();
    }
    let entries = history(&mut db.conn, &home);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.edit",
            "wagtail.edit",
            "wagtail.edit"
        ]
    );
    let edits = &entries[1..];
    assert!(
        edits
            .iter()
            .all(|e| e.uuid == edits[0].uuid && e.revision_id == Some(first.id))
    );
    let grouped = loggable::history_for_object(&mut db.conn, &registry::global(), &home).unwrap();
    assert_eq!(actions(&grouped), ["wagtail.edit", "wagtail.create"]);
    assert_eq!(grouped[0].label, "Home v3");
    let revision = loggable::revision::find(&mut db.conn, first.id)
        .unwrap()
        .unwrap();
    assert_eq!(revision.content_json().unwrap()["draft_title"], "Home v3");
}

#[test]
fn revert_saves_an_old_revision_and_can_publish_it() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let first_live = home.live_revision_id.unwrap();
    let mut renamed = home.clone();
    renamed.title = "Changed".into();
    renamed.draft_title = "Changed".into();
    renamed
        .save_and_publish(&mut db.conn, &Default::default())
        .unwrap();
    let old = loggable::revision::find(&mut db.conn, first_live)
        .unwrap()
        .unwrap();
    let drafted = page::revert(&mut db.conn, home.id, first_live, false, &opts()).unwrap();
    assert_eq!(drafted.title, "Changed", "a revert alone is a draft");
    let published = page::revert(&mut db.conn, home.id, first_live, true, &opts()).unwrap();
    assert_eq!(published.title, "Home");
    let entries = history(&mut db.conn, &home);
    // As Wagtail: publishing a revert compares titles with the revision reverted to, so going
    // back to an older title ("Changed" → "Home") is no rename.
    let tail: Vec<&str> = actions(&entries)[entries.len() - 3..].to_vec();
    assert_eq!(
        tail,
        ["wagtail.revert", "wagtail.revert", "wagtail.publish"]
    );
    let expected = json!({"id": old.id, "created": old.created().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()});
    for entry in &entries[entries.len() - 3..] {
        assert_eq!(entry.data["revision"], expected, "{}", entry.action);
        assert!(entry.data.get("title").is_none(), "{}", entry.action);
    }
    let revert = &entries[entries.len() - 3];
    assert_ne!(
        revert.revision_id,
        Some(old.id),
        "the entry points at the new revision"
    );
    let message = registry::global().message(revert);
    assert!(
        message.starts_with(&format!(
            "Reverted to previous revision with id {} from ",
            old.id
        )),
        "{message}"
    );
}

#[test]
fn schedules_on_pages_with_and_without_a_live_version() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let draft_only =
        page::add_child(&mut db.conn, root.id, &simple("Draft only"), &opts()).unwrap();
    let live = publish_new(&mut db.conn, root.id, "Live");
    let go_live = chrono::DateTime::from_timestamp_micros(
        (chrono::Utc::now() + chrono::Duration::days(1)).timestamp_micros(),
    )
    .unwrap();
    for page in [&draft_only, &live] {
        let mut draft = page::find(&mut db.conn, page.id).unwrap();
        draft.go_live_at = Some(go_live.naive_utc());
        let revision = page::save_draft(&mut db.conn, &draft, &opts()).unwrap();
        let after = draft
            .publish(&mut db.conn, revision.id, &Default::default())
            .unwrap();
        assert_eq!(
            after.live, page.live,
            "scheduling does not change what is live"
        );
    }
    let registry = registry::global();
    let schedule_of = |conn: &mut DbConnection, page: &Page| {
        history(conn, page)
            .into_iter()
            .rfind(|e| e.action == "wagtail.publish.schedule")
            .unwrap()
    };
    let not_live = schedule_of(&mut db.conn, &draft_only);
    assert_eq!(
        registry.message(&not_live),
        format!(
            "Page scheduled for publishing at {}",
            go_live.format("%-d %B %Y, %H:%M")
        )
    );
    let with_live = schedule_of(&mut db.conn, &live);
    let message = registry.message(&with_live);
    assert!(
        message.starts_with(&format!(
            "Revision {} from ",
            with_live.revision_id.unwrap()
        )),
        "{message}"
    );
    assert!(
        message.ends_with(&format!(
            "scheduled for publishing at {}.",
            go_live.format("%-d %B %Y, %H:%M")
        )),
        "{message}"
    );

    draft_only
        .cancel_schedule(&mut db.conn, &Default::default())
        .unwrap();
    let cancel = history(&mut db.conn, &draft_only).pop().unwrap();
    assert_eq!(
        registry.message(&cancel),
        format!(
            "Page unscheduled from publishing at {}",
            go_live.format("%-d %B %Y, %H:%M")
        )
    );

    let run = Page::run_scheduled(
        &mut db.conn,
        go_live + chrono::Duration::minutes(1),
        &Default::default(),
    )
    .unwrap();
    assert_eq!((run.published, run.expired), (1, 0));
    let published = history(&mut db.conn, &live).pop().unwrap();
    assert_eq!(published.action, "wagtail.publish.scheduled");
    assert_eq!((published.user_id, published.uuid), (None, None));
}

#[test]
fn unpublish_can_take_live_descendants_along() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let section = publish_new(&mut db.conn, root.id, "Section");
    let live_child = publish_new(&mut db.conn, section.id, "Live child");
    let draft_child =
        page::add_child(&mut db.conn, section.id, &simple("Draft child"), &opts()).unwrap();
    let unpublished = page::unpublish(&mut db.conn, section.id, true, &opts()).unwrap();
    assert!(!unpublished.live);
    assert!(!page::find(&mut db.conn, live_child.id).unwrap().live);
    assert_eq!(
        history(&mut db.conn, &section).pop().unwrap().action,
        "wagtail.unpublish"
    );
    assert_eq!(
        history(&mut db.conn, &live_child).pop().unwrap().action,
        "wagtail.unpublish"
    );
    assert_eq!(
        actions(&history(&mut db.conn, &draft_child)),
        ["wagtail.create"]
    );
    // Not live: nothing to log.
    page::unpublish(&mut db.conn, section.id, true, &opts()).unwrap();
    assert_eq!(
        history(&mut db.conn, &section)
            .iter()
            .filter(|e| e.action == "wagtail.unpublish")
            .count(),
        1
    );
}

#[test]
fn copy_logs_create_copy_and_publish_per_page_with_the_original() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let section = page::add_child(&mut db.conn, root.id, &simple("Section"), &opts()).unwrap();
    let original = publish_new(&mut db.conn, section.id, "Original");
    let child = page::add_child(&mut db.conn, original.id, &simple("Child"), &opts()).unwrap();
    let archive = page::add_child(&mut db.conn, root.id, &simple("Archive"), &opts()).unwrap();
    let how = page::CopyOptions {
        recursive: true,
        keep_live: true,
        ..Default::default()
    };
    let ctx = LogContext::system();
    let copy = ctx
        .scope(|| page::copy(&mut db.conn, original.id, archive.id, &how, &opts()))
        .unwrap();
    assert!(copy.live && copy.path.starts_with(&archive.path));
    let copied_child = page::children(&mut db.conn, &copy).unwrap().pop().unwrap();
    assert!(!copied_child.live, "a draft stays a draft");

    let entries = history(&mut db.conn, &copy);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.copy", "wagtail.publish"]
    );
    let data = &entries[1].data;
    assert_eq!(data["page"], json!({"id": copy.id, "title": "Original"}));
    assert_eq!(
        data["source"],
        json!({"id": section.id, "title": "Section"})
    );
    assert_eq!(
        data["destination"],
        json!({"id": archive.id, "title": "Archive"})
    );
    assert_eq!(data["keep_live"], json!(true));
    assert_eq!(
        data["original"],
        json!({"id": original.id, "title": "Original"})
    );
    assert_eq!(
        registry::global().message(&entries[1]),
        "Copied from Original"
    );
    let child_entries = history(&mut db.conn, &copied_child);
    assert_eq!(actions(&child_entries), ["wagtail.create", "wagtail.copy"]);
    assert_eq!(
        child_entries[1].data["original"],
        json!({"id": child.id, "title": "Child"})
    );
    assert_eq!(
        child_entries[1].data["destination"],
        json!({"id": copy.id, "title": "Original"})
    );
    // Parents before children, all in the caller's one user action.
    assert!(entries[2].timestamp < child_entries[0].timestamp);
    assert!(
        entries
            .iter()
            .chain(&child_entries)
            .all(|e| e.uuid == ctx.uuid())
    );
}

#[test]
fn aliases_are_created_recursively_and_converted() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let original = publish_new(&mut db.conn, root.id, "Original");
    page::add_child(&mut db.conn, original.id, &simple("Child"), &opts()).unwrap();
    let elsewhere = page::add_child(&mut db.conn, root.id, &simple("Elsewhere"), &opts()).unwrap();
    let recursive = page::AliasOptions {
        recursive: true,
        ..Default::default()
    };
    let alias =
        page::create_alias(&mut db.conn, original.id, elsewhere.id, &recursive, &opts()).unwrap();
    assert_eq!(alias.alias_of, Some(original.id));
    assert!(!alias.live);
    let alias_child = page::children(&mut db.conn, &alias).unwrap().pop().unwrap();
    assert!(alias_child.alias_of.is_some());
    let entries = history(&mut db.conn, &alias);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.create_alias"]
    );
    // Wagtail's keys with Wagtail's meaning: `source` is the original's parent; `original`
    // is the page aliased, which the message names.
    assert_eq!(
        entries[1].data["source"],
        json!({"id": root.id, "title": "Root"})
    );
    assert_eq!(
        entries[1].data["original"],
        json!({"id": original.id, "title": "Original"})
    );
    assert_eq!(
        registry::global().message(&entries[1]),
        "Created an alias of Original"
    );
    assert_eq!(
        actions(&history(&mut db.conn, &alias_child)),
        ["wagtail.create", "wagtail.create_alias"]
    );

    let converted = page::convert_alias(&mut db.conn, alias.id, &opts()).unwrap();
    assert_eq!(converted.alias_of, None);
    let convert = history(&mut db.conn, &alias).pop().unwrap();
    assert_eq!(convert.action, "wagtail.convert_alias");
    assert_eq!(
        convert.data["page"],
        json!({"id": alias.id, "title": "Original"})
    );
    assert_eq!(convert.revision_id, converted.latest_revision_id);
    assert_eq!(
        registry::global().message(&convert),
        "Converted the alias 'Original' into an ordinary page"
    );
    assert!(matches!(
        page::convert_alias(&mut db.conn, alias.id, &opts()),
        Err(loggable::Error::NotAnAlias { page }) if page == alias.id
    ));
}
