//! Per-object history (docs/reports.md): grouping, filters, filter choices, status marks and
//! pages of 20; and the site history's filter choices, drawn from what the viewer may see.

use chrono::{NaiveDate, TimeZone, Utc};
use loggable::db::DbConnection;
use loggable::model::LogOptions;
use loggable::page::{self, NewPage};
use loggable::permission::{PagePermission, Viewer, add_to_group, create_group};
use loggable::prelude::*;
use loggable::registry::{ModelType, Registry};
use loggable::report::{
    self, Filters, OBJECT_HISTORY_PAGE_SIZE, RevisionMarks, StatusMark, object_history,
};
use loggable::{LogContext, ObjectRef, log};
use uuid::Uuid;

use crate::common::TestDb;
use crate::lifecycle::{Sprocket, new_sprocket, setup};

use crate::common::{user, widget_registry as registry};

/// The (action, label) of each row of page 1 of `object`'s history under `filters`.
fn rows(
    conn: &mut DbConnection,
    registry: &Registry,
    object: &ObjectRef,
    filters: Filters,
) -> Vec<(String, String)> {
    object_history(
        conn,
        registry,
        object,
        None,
        RevisionMarks::default(),
        &filters,
        1,
    )
    .unwrap()
    .rows
    .into_iter()
    .map(|row| (row.entry.action, row.entry.label))
    .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, l)| (a.to_string(), l.to_string()))
        .collect()
}

#[test]
fn object_history_filters_and_offers_choices_from_its_own_entries() {
    let mut db = TestDb::new();
    let registry = registry();
    let ada = user(&mut db.conn, "Ada");
    let bob = user(&mut db.conn, "Bob");
    let carol = user(&mut db.conn, "Carol");
    let widget = ObjectRef::new("shop.widget", 1);
    let other = ObjectRef::new("shop.widget", 2);
    let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2024, 5, d, h, 0, 0).unwrap();
    let write = |conn: &mut DbConnection, object: &ObjectRef, action: &str, user, title, when| {
        LogContext::new(Some(user))
            .scope(|| {
                log(object, action)
                    .title(title)
                    .timestamp(when)
                    .write_with(conn, &registry)
            })
            .unwrap();
    };
    write(&mut db.conn, &widget, "wagtail.create", ada, "w1", at(1, 9));
    write(&mut db.conn, &widget, "wagtail.edit", bob, "w2", at(1, 20));
    write(
        &mut db.conn,
        &widget,
        "wagtail.comments.create",
        bob,
        "w3",
        at(2, 12),
    );
    write(
        &mut db.conn,
        &widget,
        "wagtail.publish",
        ada,
        "w4",
        at(3, 12),
    );
    // Another object's entries are neither rows nor choices.
    write(&mut db.conn, &other, "wagtail.lock", carol, "o1", at(2, 12));

    let all = rows(&mut db.conn, &registry, &widget, Filters::default());
    assert_eq!(
        all,
        pairs(&[
            ("wagtail.publish", "w4"),
            ("wagtail.comments.create", "w3"),
            ("wagtail.edit", "w2"),
            ("wagtail.create", "w1"),
        ])
    );
    let by = |f: fn(&mut Filters)| {
        let mut filters = Filters::default();
        f(&mut filters);
        filters
    };
    assert_eq!(
        rows(
            &mut db.conn,
            &registry,
            &widget,
            by(|f| f.actions = vec!["wagtail.edit".into(), "wagtail.create".into()])
        ),
        pairs(&[("wagtail.edit", "w2"), ("wagtail.create", "w1")])
    );
    let only_bob = Filters {
        users: vec![bob.into()],
        ..Filters::default()
    };
    assert_eq!(
        rows(&mut db.conn, &registry, &widget, only_bob),
        pairs(&[("wagtail.comments.create", "w3"), ("wagtail.edit", "w2")])
    );
    assert_eq!(
        rows(
            &mut db.conn,
            &registry,
            &widget,
            by(|f| f.comment_actions = Some(true))
        ),
        pairs(&[("wagtail.comments.create", "w3")])
    );
    assert_eq!(
        rows(
            &mut db.conn,
            &registry,
            &widget,
            by(|f| f.comment_actions = Some(false))
        )
        .len(),
        3
    );
    // Whole days in the display timezone: at UTC+10, 1 May 20:00 UTC is 2 May 06:00.
    let may = |d| NaiveDate::from_ymd_opt(2024, 5, d).unwrap();
    let in_sydney = |from, to| Filters {
        from: Some(may(from)),
        to: Some(may(to)),
        utc_offset_seconds: 10 * 3600,
        ..Filters::default()
    };
    assert_eq!(
        rows(&mut db.conn, &registry, &widget, in_sydney(2, 2)),
        pairs(&[("wagtail.comments.create", "w3"), ("wagtail.edit", "w2")])
    );
    assert_eq!(
        rows(&mut db.conn, &registry, &widget, in_sydney(1, 1)),
        pairs(&[("wagtail.create", "w1")])
    );
    let in_utc = Filters {
        from: Some(may(1)),
        to: Some(may(1)),
        ..Filters::default()
    };
    assert_eq!(
        rows(&mut db.conn, &registry, &widget, in_utc),
        pairs(&[("wagtail.edit", "w2"), ("wagtail.create", "w1")])
    );

    // Choices come from the whole history of this object, whatever the filter.
    let history = object_history(
        &mut db.conn,
        &registry,
        &widget,
        None,
        RevisionMarks::default(),
        &by(|f| f.actions = vec!["wagtail.publish".into()]),
        1,
    )
    .unwrap();
    assert_eq!(history.total, 1);
    let actions: Vec<_> = history
        .choices
        .actions
        .iter()
        .map(|c| (c.value.as_str(), c.label.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("wagtail.comments.create", "Add comment"),
            ("wagtail.create", "Create"),
            ("wagtail.edit", "Edit"),
            ("wagtail.publish", "Publish"),
        ]
    );
    let users: Vec<_> = history
        .choices
        .users
        .iter()
        .map(|c| (c.value.clone(), c.label.as_str()))
        .collect();
    assert_eq!(users, [(ada.into(), "Ada"), (bob.into(), "Bob")]);
    assert_eq!(history.choices.content_types.len(), 1);
    assert_eq!(history.choices.content_types[0].label, "Widget");
}

#[test]
fn object_history_collapses_a_user_action_within_the_object_only() {
    let mut db = TestDb::new();
    let registry = registry();
    let (first, second) = (
        ObjectRef::new("shop.widget", 1),
        ObjectRef::new("shop.widget", 2),
    );
    let action = Uuid::new_v4();
    for object in [&first, &second, &first, &second] {
        log(object, "wagtail.edit")
            .uuid(action)
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    // No uuid: never collapsed.
    for _ in 0..2 {
        log(&first, "wagtail.lock")
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    for object in [&first, &second] {
        let history = object_history(
            &mut db.conn,
            &registry,
            object,
            None,
            RevisionMarks::default(),
            &Filters::default(),
            1,
        )
        .unwrap();
        let expected_rows = if object == &first { 3 } else { 1 };
        assert_eq!(history.total, expected_rows);
        let newest_edit = history
            .rows
            .iter()
            .find(|row| row.entry.action == "wagtail.edit")
            .unwrap();
        // The newest of the two edits of this object survives.
        let all = loggable::entries_for_object(&mut db.conn, &registry, object).unwrap();
        let newest = all.iter().find(|e| e.action == "wagtail.edit").unwrap();
        assert_eq!(newest_edit.entry.id, newest.id);
    }
}

#[test]
fn object_history_pages_hold_twenty_rows() {
    let mut db = TestDb::new();
    let registry = registry();
    let widget = ObjectRef::new("shop.widget", 9);
    for n in 0..45 {
        log(&widget, "wagtail.edit")
            .title(format!("v{n}"))
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    let page = |conn: &mut DbConnection, number| {
        object_history(
            conn,
            &registry,
            &widget,
            None,
            RevisionMarks::default(),
            &Filters::default(),
            number,
        )
        .unwrap()
    };
    let mut seen = Vec::new();
    for number in 1..=3 {
        let history = page(&mut db.conn, number);
        assert_eq!(
            (history.page, history.pages, history.total),
            (number, 3, 45)
        );
        let expected = if number < 3 {
            OBJECT_HISTORY_PAGE_SIZE as usize
        } else {
            5
        };
        assert_eq!(history.rows.len(), expected);
        seen.extend(history.rows.into_iter().map(|row| row.entry.label));
    }
    let newest_first: Vec<_> = (0..45).rev().map(|n| format!("v{n}")).collect();
    assert_eq!(seen, newest_first);
    // Past the end: the last page; before the start: the first.
    assert_eq!(page(&mut db.conn, 99).page, 3);
    assert_eq!(page(&mut db.conn, 0).rows[0].entry.label, "v44");
}

fn marks_of(rows: &[report::HistoryRow]) -> Vec<(&str, Option<i64>, Option<StatusMark>)> {
    rows.iter()
        .map(|row| (row.entry.action.as_str(), row.entry.revision_id, row.mark))
        .collect()
}

/// The marked rows of `model`'s history: (action, revision, mark), newest first.
fn marked_rows(
    conn: &mut DbConnection,
    model: &impl loggable::model::Model,
) -> Vec<(String, Option<i64>, Option<StatusMark>)> {
    let registry = loggable::registry::global();
    let history = object_history(
        conn,
        &registry,
        model,
        None,
        RevisionMarks::of(model),
        &Filters::default(),
        1,
    )
    .unwrap();
    history
        .rows
        .into_iter()
        .filter(|row| row.mark.is_some())
        .map(|row| (row.entry.action, row.entry.revision_id, row.mark))
        .collect()
}

#[test]
fn a_derived_models_history_marks_the_live_version_and_the_current_draft() {
    let mut db = setup();
    let sprocket = LogContext::system().scope(|| {
        Sprocket::create(&mut db.conn, &new_sprocket("Marked"), &Default::default()).unwrap()
    });
    let published = LogContext::system().scope(|| {
        sprocket
            .save_and_publish(&mut db.conn, &Default::default())
            .unwrap()
    });
    let live = published.live_revision_id;
    let draft = LogContext::system().scope(|| {
        let mut draft = published.clone();
        draft.teeth = 30;
        draft.save_draft(&mut db.conn, &Default::default()).unwrap()
    });
    let stored = Sprocket::find(&mut db.conn, &sprocket.id).unwrap();
    let registry = loggable::registry::global();
    let history = object_history(
        &mut db.conn,
        &registry,
        &stored,
        None,
        RevisionMarks::of(&stored),
        &Filters::default(),
        1,
    )
    .unwrap();
    let create_revision = history.rows.last().unwrap().entry.revision_id;
    assert_eq!(
        marks_of(&history.rows),
        [
            (
                "wagtail.edit",
                Some(draft.id),
                Some(StatusMark::CurrentDraft)
            ),
            ("wagtail.publish", live, Some(StatusMark::LiveVersion)),
            ("wagtail.edit", live, None),
            ("wagtail.create", create_revision, None),
        ]
    );
    assert_eq!(StatusMark::LiveVersion.label(), "Live version");
    assert_eq!(StatusMark::CurrentDraft.label(), "Current draft");
    // Once the draft is published it is the live version and no draft is current.
    let republished = LogContext::system().scope(|| {
        sprocket
            .publish(&mut db.conn, draft.id, &LogOptions::new())
            .unwrap()
    });
    assert_eq!(
        marked_rows(&mut db.conn, &republished),
        [
            (
                "wagtail.publish".to_owned(),
                Some(draft.id),
                Some(StatusMark::LiveVersion)
            ),
            (
                "wagtail.edit".to_owned(),
                Some(draft.id),
                Some(StatusMark::CurrentDraft)
            ),
        ]
    );
}

#[test]
fn a_pages_history_marks_its_live_revision_and_its_current_draft() {
    let mut db = TestDb::new();
    loggable::register_model(ModelType::page("cms.simplepage"));
    let opts = LogOptions::new();
    let root =
        page::add_root(&mut db.conn, &NewPage::new("cms.simplepage", "Root"), &opts).unwrap();
    let home = LogContext::system().scope(|| {
        let home = page::add_child(
            &mut db.conn,
            root.id,
            &NewPage::new("cms.simplepage", "Home"),
            &opts,
        )
        .unwrap();
        home.save_and_publish(&mut db.conn, &Default::default())
            .unwrap()
    });
    let draft = LogContext::system().scope(|| {
        let mut draft = home.clone();
        draft.draft_title = "Welcome".into();
        page::save_draft(&mut db.conn, &draft, &opts).unwrap()
    });
    let stored = page::find(&mut db.conn, home.id).unwrap();
    assert_eq!(stored.latest_revision_id, Some(draft.id));
    assert_eq!(
        marked_rows(&mut db.conn, &stored),
        [
            (
                "wagtail.edit".to_owned(),
                Some(draft.id),
                Some(StatusMark::CurrentDraft)
            ),
            (
                "wagtail.publish".to_owned(),
                home.live_revision_id,
                Some(StatusMark::LiveVersion)
            ),
        ]
    );
}

#[test]
fn site_history_choices_come_from_what_the_viewer_may_see() {
    let mut db = TestDb::new();
    loggable::register_model(ModelType::page("cms.simplepage"));
    let registry = registry();
    let opts = LogOptions::new().suppress();
    let add = |conn: &mut DbConnection, parent: Option<i64>, title: &str| {
        let new = NewPage::new("cms.simplepage", title);
        match parent {
            None => page::add_root(conn, &new, &opts),
            Some(parent) => page::add_child(conn, parent, &new, &opts),
        }
        .unwrap()
    };
    let root = add(&mut db.conn, None, "Root");
    let home = add(&mut db.conn, Some(root.id), "Home");
    let blog = add(&mut db.conn, Some(home.id), "Blog");
    let news = add(&mut db.conn, Some(home.id), "News");
    let (ada, bob) = (user(&mut db.conn, "Ada"), user(&mut db.conn, "Bob"));
    let editor = user(&mut db.conn, "Editor");
    let group = create_group(&mut db.conn, "Bloggers").unwrap();
    add_to_group(&mut db.conn, editor, group.id).unwrap();
    loggable::permission::grant_page_permission(
        &mut db.conn,
        group.id,
        blog.id,
        PagePermission::Change,
    )
    .unwrap();
    LogContext::new(Some(bob))
        .scope(|| log(&blog, "wagtail.publish").write_with(&mut db.conn, &registry))
        .unwrap();
    LogContext::new(Some(ada))
        .scope(|| log(&news, "wagtail.lock").write_with(&mut db.conn, &registry))
        .unwrap();
    LogContext::new(Some(ada))
        .scope(|| {
            log(&ObjectRef::new("shop.widget", 1), "wagtail.delete")
                .write_with(&mut db.conn, &registry)
        })
        .unwrap();

    let viewer = Viewer::load(&mut db.conn, editor).unwrap().unwrap();
    let choices = report::site_history_choices(&mut db.conn, &registry, Some(&viewer)).unwrap();
    let values = |choices: &report::FilterChoices| {
        (
            choices
                .actions
                .iter()
                .map(|c| c.value.clone())
                .collect::<Vec<_>>(),
            choices
                .users
                .iter()
                .map(|c| c.value.clone())
                .collect::<Vec<_>>(),
            choices
                .content_types
                .iter()
                .map(|c| c.value.clone())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        values(&choices),
        (
            vec!["wagtail.publish".to_owned()],
            vec![bob.into()],
            vec!["cms.simplepage".to_owned()]
        )
    );
    let everything = report::site_history_choices(&mut db.conn, &registry, None).unwrap();
    assert_eq!(
        values(&everything),
        (
            // Sorted by label: Delete, Lock, Publish.
            vec![
                "wagtail.delete".to_owned(),
                "wagtail.lock".to_owned(),
                "wagtail.publish".to_owned()
            ],
            vec![ada.into(), bob.into()],
            vec!["cms.simplepage".to_owned(), "shop.widget".to_owned()]
        )
    );
}

#[test]
fn object_history_shows_only_what_the_viewer_may_see() {
    let mut db = TestDb::new();
    loggable::register_model(ModelType::page("cms.simplepage"));
    let registry = registry();
    let opts = LogOptions::new().suppress();
    let root =
        page::add_root(&mut db.conn, &NewPage::new("cms.simplepage", "Root"), &opts).unwrap();
    let blog = page::add_child(
        &mut db.conn,
        root.id,
        &NewPage::new("cms.simplepage", "Blog"),
        &opts,
    )
    .unwrap();
    let news = page::add_child(
        &mut db.conn,
        root.id,
        &NewPage::new("cms.simplepage", "News"),
        &opts,
    )
    .unwrap();
    let (writer, editor, outsider) = (
        user(&mut db.conn, "Writer"),
        user(&mut db.conn, "Editor"),
        user(&mut db.conn, "Outsider"),
    );
    let group = create_group(&mut db.conn, "Bloggers").unwrap();
    add_to_group(&mut db.conn, editor, group.id).unwrap();
    loggable::permission::grant_page_permission(
        &mut db.conn,
        group.id,
        blog.id,
        PagePermission::Change,
    )
    .unwrap();
    for page in [&blog, &news] {
        LogContext::new(Some(writer))
            .scope(|| log(page, "wagtail.publish").write_with(&mut db.conn, &registry))
            .unwrap();
    }
    let seen = |conn: &mut DbConnection, page: &page::Page, viewer: Option<&Viewer>| {
        let history = object_history(
            conn,
            &registry,
            page,
            viewer.map(|v| v as _),
            RevisionMarks::default(),
            &Filters::default(),
            1,
        )
        .unwrap();
        (
            history.total,
            history.rows.len(),
            history.choices.actions.len(),
        )
    };
    let editor = Viewer::load(&mut db.conn, editor).unwrap().unwrap();
    let outsider = Viewer::load(&mut db.conn, outsider).unwrap().unwrap();
    let inactive = Viewer {
        is_active: false,
        ..editor
    };
    assert_eq!(seen(&mut db.conn, &blog, Some(&editor)), (1, 1, 1));
    assert_eq!(seen(&mut db.conn, &news, Some(&editor)), (0, 0, 0));
    assert_eq!(seen(&mut db.conn, &blog, Some(&outsider)), (0, 0, 0));
    assert_eq!(seen(&mut db.conn, &blog, Some(&inactive)), (0, 0, 0));
    assert_eq!(seen(&mut db.conn, &news, None), (1, 1, 1));
}
