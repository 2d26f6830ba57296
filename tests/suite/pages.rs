//! Pages: the tree and its operations, with the entries of docs/operations.md ("Pages").

use loggable::prelude::*;
use std::collections::HashMap;

use loggable::LogContext;
use loggable::db::DbConnection;
use loggable::entry::LogEntry;
use loggable::model::LogOptions;
use loggable::page::{self, NewPage, Page, Position};
use loggable::privacy::Restriction;
use loggable::registry::{self, ModelType};
use proptest::prelude::*;
use serde_json::json;

use crate::common::{TestDb, actions, history, user};

fn setup() -> TestDb {
    loggable::register_model(ModelType::page("cms.simplepage").verbose_name("simple page"));
    TestDb::new()
}

fn opts() -> LogOptions {
    LogOptions::new()
}

fn simple(title: &str) -> NewPage {
    NewPage::new("cms.simplepage", title)
}

#[test]
fn the_tree_keeps_paths_depths_and_child_counts() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = page::add_child(&mut db.conn, root.id, &simple("Home"), &opts()).unwrap();
    let about = page::add_child(&mut db.conn, home.id, &simple("About"), &opts()).unwrap();
    let blog = page::add_child(&mut db.conn, home.id, &simple("Blog"), &opts()).unwrap();
    let post = page::add_child(&mut db.conn, blog.id, &simple("First post"), &opts()).unwrap();
    assert_eq!((root.depth, home.depth, post.depth), (1, 2, 4));
    assert_eq!(home.path, format!("{}0001", root.path));
    assert_eq!(blog.path, format!("{}0002", home.path));
    assert_eq!(page::find(&mut db.conn, home.id).unwrap().numchild, 2);
    let titles = |pages: Vec<Page>| pages.into_iter().map(|p| p.title).collect::<Vec<_>>();
    assert_eq!(
        titles(page::children(&mut db.conn, &home).unwrap()),
        ["About", "Blog"]
    );
    assert_eq!(
        titles(page::descendants(&mut db.conn, &home).unwrap()),
        ["About", "Blog", "First post"]
    );
    assert_eq!(
        titles(page::ancestors(&mut db.conn, &post).unwrap()),
        ["Root", "Home", "Blog"]
    );
    assert_eq!(
        page::parent(&mut db.conn, &about).unwrap().unwrap().id,
        home.id
    );
    assert_eq!(about.slug, "about");
}

#[test]
fn create_is_attributed_to_the_given_user_else_the_owner() {
    let mut db = setup();
    let owner = user(&mut db.conn, "owner");
    let editor = user(&mut db.conn, "editor");
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let owned = LogContext::new(Some(editor))
        .scope(|| {
            page::add_child(
                &mut db.conn,
                root.id,
                &simple("Owned").owner(owner),
                &opts(),
            )
        })
        .unwrap();
    let given = page::add_child(
        &mut db.conn,
        root.id,
        &simple("Given").owner(owner),
        &opts().user(editor),
    )
    .unwrap();
    let unowned = LogContext::new(Some(editor))
        .scope(|| page::add_child(&mut db.conn, root.id, &simple("Unowned"), &opts()))
        .unwrap();
    for (page, expected) in [(&owned, owner), (&given, editor), (&unowned, editor)] {
        let entries = history(&mut db.conn, page);
        assert_eq!(actions(&entries), ["wagtail.create"]);
        assert_eq!(entries[0].user_id, Some(expected.into()), "{}", page.title);
        assert!(entries[0].content_changed);
        assert_eq!(entries[0].log_table, "loggable_page_log_entries");
        assert_eq!(entries[0].content_type.as_deref(), Some("cms.simplepage"));
    }
}

#[test]
fn create_save_and_publish_with_the_rename_rule() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let ctx = LogContext::system();
    let published = ctx
        .scope(|| -> loggable::Result<Page> {
            let home = page::add_child(&mut db.conn, root.id, &simple("Home"), &opts())?;
            let revision = page::save_draft(&mut db.conn, &home, &opts())?;
            home.publish(&mut db.conn, revision.id, &Default::default())
        })
        .unwrap();
    assert!(published.live);
    let mut draft = published.clone();
    draft.title = "Welcome".into();
    draft.draft_title = "Welcome".into();
    let revision = page::save_draft(&mut db.conn, &draft, &opts()).unwrap();
    let stored = page::find(&mut db.conn, published.id).unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.draft_title.as_str()),
        ("Home", "Welcome")
    );
    draft
        .publish(&mut db.conn, revision.id, &Default::default())
        .unwrap();
    let entries = history(&mut db.conn, &published);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.edit",
            "wagtail.publish",
            "wagtail.edit",
            "wagtail.rename",
            "wagtail.publish"
        ]
    );
    assert!(
        entries[..3].iter().all(|e| e.uuid == ctx.uuid()),
        "one user action, one uuid"
    );
    assert_eq!(
        entries[4].data["title"],
        json!({"old": "Home", "new": "Welcome"})
    );
    let registry = registry::global();
    assert_eq!(registry.message(&entries[1]), "Draft saved");
    assert_eq!(
        registry.message(&entries[4]),
        "Renamed from 'Home' to 'Welcome'"
    );
    assert_eq!(
        entries[3].label, "Welcome",
        "a page entry records the draft title"
    );
}

#[test]
fn delete_logs_the_subtree_in_tree_order_then_the_page() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let section = page::add_child(&mut db.conn, root.id, &simple("Section"), &opts()).unwrap();
    let a = page::add_child(&mut db.conn, section.id, &simple("A"), &opts()).unwrap();
    let a1 = page::add_child(&mut db.conn, a.id, &simple("A1"), &opts()).unwrap();
    let b = page::add_child(&mut db.conn, section.id, &simple("B"), &opts()).unwrap();
    let ctx = LogContext::system();
    let deleted = ctx
        .scope(|| page::delete(&mut db.conn, section.id, &opts()))
        .unwrap();
    assert_eq!(deleted, 4);
    assert!(page::find(&mut db.conn, a1.id).is_err());
    assert_eq!(page::find(&mut db.conn, root.id).unwrap().numchild, 0);
    let mut deletes: Vec<LogEntry> = [&section, &a, &a1, &b]
        .iter()
        .flat_map(|p| history(&mut db.conn, *p))
        .filter(|e| e.action == "wagtail.delete")
        .collect();
    deletes.sort_by_key(|e| (e.timestamp, e.id));
    let order: Vec<&str> = deletes.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(order, ["A", "A1", "B", "Section"]);
    assert!(deletes.iter().all(|e| e.deleted && e.uuid == ctx.uuid()));
}

#[test]
fn move_and_reorder_log_their_parents() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let news = page::add_child(&mut db.conn, root.id, &simple("News"), &opts()).unwrap();
    let blog = page::add_child(&mut db.conn, root.id, &simple("Blog"), &opts()).unwrap();
    let post = page::add_child(&mut db.conn, news.id, &simple("Post"), &opts()).unwrap();
    let reply = page::add_child(&mut db.conn, post.id, &simple("Reply"), &opts()).unwrap();

    let moved = page::move_page(
        &mut db.conn,
        post.id,
        Position::LastChildOf(blog.id),
        &opts(),
    )
    .unwrap();
    assert!(moved.path.starts_with(&blog.path) && moved.depth == 3);
    let reply = page::find(&mut db.conn, reply.id).unwrap();
    assert!(
        reply.path.starts_with(&moved.path) && reply.depth == 4,
        "the subtree moves along"
    );
    assert_eq!(page::find(&mut db.conn, news.id).unwrap().numchild, 0);
    assert_eq!(page::find(&mut db.conn, blog.id).unwrap().numchild, 1);

    page::move_page(&mut db.conn, blog.id, Position::LeftOf(news.id), &opts()).unwrap();
    let order: Vec<String> = page::children(&mut db.conn, &root)
        .unwrap()
        .into_iter()
        .map(|p| p.title)
        .collect();
    assert_eq!(order, ["Blog", "News"]);

    let entries = history(&mut db.conn, &post);
    assert_eq!(actions(&entries), ["wagtail.create", "wagtail.move"]);
    assert_eq!(
        entries[1].data["source"],
        json!({"id": news.id, "title": "News"})
    );
    assert_eq!(
        entries[1].data["destination"],
        json!({"id": blog.id, "title": "Blog"})
    );
    assert_eq!(
        registry::global().message(&entries[1]),
        "Moved from 'News' to 'Blog'"
    );
    let reorder = history(&mut db.conn, &blog).pop().unwrap();
    assert_eq!(reorder.action, "wagtail.reorder");
    assert_eq!(
        reorder.data["destination"],
        json!({"id": root.id, "title": "Root"})
    );
    assert!(matches!(
        page::move_page(
            &mut db.conn,
            news.id,
            Position::LastChildOf(news.id),
            &opts()
        ),
        Err(loggable::Error::IntoOwnSubtree { page }) if page == news.id
    ));
}

#[test]
fn lock_unlock_and_view_restrictions_on_pages() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = page::add_child(&mut db.conn, root.id, &simple("Home"), &opts()).unwrap();
    let holder = crate::common::user(&mut db.conn, "holder");
    home.lock(&mut db.conn, holder, &Default::default())
        .unwrap();
    home.lock(&mut db.conn, holder, &Default::default())
        .unwrap();
    home.unlock(&mut db.conn, holder, &Default::default())
        .unwrap();
    home.set_restriction(
        &mut db.conn,
        &Restriction::Password("pw".into()),
        &Default::default(),
    )
    .unwrap();
    home.remove_restriction(&mut db.conn, &Default::default())
        .unwrap();
    let entries = history(&mut db.conn, &home);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.lock",
            "wagtail.unlock",
            "wagtail.view_restriction.create",
            "wagtail.view_restriction.delete"
        ]
    );
    assert_eq!(
        entries[3].data["restriction"]["title"],
        "Private, accessible with a shared password"
    );
}

/// One step of a random tree history; indexes pick among the pages that exist.
#[derive(Debug, Clone)]
enum TreeOp {
    Add { parent: usize },
    Move { page: usize, target: usize, how: u8 },
    Delete { page: usize },
}

fn tree_op() -> impl Strategy<Value = TreeOp> {
    prop_oneof![
        4 => any::<usize>().prop_map(|parent| TreeOp::Add { parent }),
        3 => (any::<usize>(), any::<usize>(), 0..4_u8).prop_map(|(page, target, how)| TreeOp::Move { page, target, how }),
        1 => any::<usize>().prop_map(|page| TreeOp::Delete { page }),
    ]
}

/// The simple model the tree must agree with: each page's parent and ordered children.
#[derive(Default)]
struct ModelTree {
    children: HashMap<i64, Vec<i64>>,
    parent: HashMap<i64, i64>,
}

impl ModelTree {
    fn subtree(&self, id: i64) -> Vec<i64> {
        let mut all = vec![id];
        for child in self.children.get(&id).cloned().unwrap_or_default() {
            all.extend(self.subtree(child));
        }
        all
    }

    fn detach(&mut self, id: i64) {
        if let Some(parent) = self.parent.remove(&id) {
            self.children
                .entry(parent)
                .or_default()
                .retain(|c| *c != id);
        }
    }

    fn attach(&mut self, id: i64, parent: i64, index: usize) {
        let siblings = self.children.entry(parent).or_default();
        siblings.insert(index.min(siblings.len()), id);
        self.parent.insert(id, parent);
    }
}

fn check_against_model(conn: &mut DbConnection, root: &Page, model: &ModelTree) {
    let root = page::find(conn, root.id).unwrap();
    let all = page::descendants(conn, &root).unwrap();
    let mut by_id: HashMap<i64, Page> = all.iter().map(|p| (p.id, p.clone())).collect();
    by_id.insert(root.id, root.clone());
    assert_eq!(by_id.len(), model.subtree(root.id).len(), "page count");
    for page in by_id.values() {
        assert_eq!(page.path.len() % 4, 0);
        assert_eq!(
            page.depth as usize,
            page.path.len() / 4,
            "depth of {}",
            page.id
        );
        let children = page::children(conn, page).unwrap();
        assert_eq!(
            page.numchild as usize,
            children.len(),
            "numchild of {}",
            page.id
        );
        let expected = model.children.get(&page.id).cloned().unwrap_or_default();
        let actual: Vec<i64> = children.iter().map(|c| c.id).collect();
        assert_eq!(actual, expected, "children of {} in order", page.id);
        for child in &children {
            assert_eq!(child.path.len(), page.path.len() + 4);
            assert!(child.path.starts_with(&page.path));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_tree_agrees_with_a_simple_model_after_any_operations(ops in prop::collection::vec(tree_op(), 1..24)) {
        let mut db = setup();
        let options = LogOptions::new().suppress();
        let root = page::add_root(&mut db.conn, &simple("Root"), &options).unwrap();
        let mut model = ModelTree::default();
        let mut alive = vec![root.id];
        for op in ops {
            match op {
                TreeOp::Add { parent } => {
                    let parent = alive[parent % alive.len()];
                    let page = page::add_child(&mut db.conn, parent, &simple("P"), &options).unwrap();
                    let index = model.children.get(&parent).map_or(0, Vec::len);
                    model.attach(page.id, parent, index);
                    alive.push(page.id);
                }
                TreeOp::Move { page, target, how } => {
                    let page_id = alive[page % alive.len()];
                    let target_id = alive[target % alive.len()];
                    let in_own_subtree = model.subtree(page_id).contains(&target_id);
                    let target_is_root = target_id == root.id;
                    let position = match how {
                        0 => Position::LastChildOf(target_id),
                        1 => Position::FirstChildOf(target_id),
                        2 => Position::LeftOf(target_id),
                        _ => Position::RightOf(target_id),
                    };
                    let sibling_move = how >= 2;
                    let result = page::move_page(&mut db.conn, page_id, position, &options);
                    // The root's subtree holds every page, so it never moves.
                    if in_own_subtree || page_id == root.id {
                        prop_assert!(
                            matches!(result, Err(loggable::Error::IntoOwnSubtree { page }) if page == page_id),
                            "{result:?}"
                        );
                        continue;
                    }
                    if sibling_move && target_is_root {
                        prop_assert!(
                            matches!(result, Err(loggable::Error::RootPage { page }) if page == target_id),
                            "{result:?}"
                        );
                        continue;
                    }
                    result.unwrap();
                    model.detach(page_id);
                    match position {
                        Position::LastChildOf(t) => {
                            let n = model.children.get(&t).map_or(0, Vec::len);
                            model.attach(page_id, t, n);
                        }
                        Position::FirstChildOf(t) => model.attach(page_id, t, 0),
                        Position::LeftOf(t) | Position::RightOf(t) => {
                            let parent = model.parent[&t];
                            let at = model.children[&parent].iter().position(|c| *c == t).unwrap();
                            let at = if matches!(position, Position::RightOf(_)) { at + 1 } else { at };
                            model.attach(page_id, parent, at);
                        }
                    }
                }
                TreeOp::Delete { page } => {
                    let page_id = alive[page % alive.len()];
                    if page_id == root.id {
                        continue;
                    }
                    let gone = model.subtree(page_id);
                    page::delete(&mut db.conn, page_id, &options).unwrap();
                    model.detach(page_id);
                    alive.retain(|id| !gone.contains(id));
                }
            }
            check_against_model(&mut db.conn, &root, &model);
        }
    }
}

/// Regression (found by the property test): moving a page to before its own parent shifted the
/// parent's path, and the old parent's child count was then updated by its stale path.
#[test]
fn regression_moving_before_the_old_parent_keeps_its_child_count() {
    let mut db = setup();
    let options = LogOptions::new().suppress();
    let root = page::add_root(&mut db.conn, &simple("Root"), &options).unwrap();
    let first = page::add_child(&mut db.conn, root.id, &simple("First"), &options).unwrap();
    let second = page::add_child(&mut db.conn, root.id, &simple("Second"), &options).unwrap();
    let child = page::add_child(&mut db.conn, second.id, &simple("Child"), &options).unwrap();
    page::move_page(
        &mut db.conn,
        child.id,
        Position::FirstChildOf(root.id),
        &options,
    )
    .unwrap();
    assert_eq!(page::find(&mut db.conn, second.id).unwrap().numchild, 0);
    assert_eq!(page::find(&mut db.conn, root.id).unwrap().numchild, 3);
    let order: Vec<i64> = page::children(&mut db.conn, &root)
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(order, [child.id, first.id, second.id]);
}

fn publish_new(conn: &mut DbConnection, parent: i64, title: &str) -> Page {
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
    let tail: Vec<&str> = actions(&entries)[entries.len() - 4..].to_vec();
    assert_eq!(
        tail,
        [
            "wagtail.revert",
            "wagtail.revert",
            "wagtail.rename",
            "wagtail.publish"
        ]
    );
    let expected = json!({"id": old.id, "created": old.created().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()});
    for entry in &entries[entries.len() - 4..] {
        assert_eq!(entry.data["revision"], expected, "{}", entry.action);
    }
    let revert = &entries[entries.len() - 4];
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
    assert_eq!(
        entries[entries.len() - 2].data["title"],
        json!({"old": "Changed", "new": "Home"})
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
    };
    let ctx = LogContext::system();
    let copy = ctx
        .scope(|| page::copy(&mut db.conn, original.id, archive.id, how, &opts()))
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
    let alias = page::create_alias(&mut db.conn, original.id, elsewhere.id, true, &opts()).unwrap();
    assert_eq!(alias.alias_of, Some(original.id));
    assert!(!alias.live);
    let alias_child = page::children(&mut db.conn, &alias).unwrap().pop().unwrap();
    assert!(alias_child.alias_of.is_some());
    let entries = history(&mut db.conn, &alias);
    assert_eq!(
        actions(&entries),
        ["wagtail.create", "wagtail.create_alias"]
    );
    assert_eq!(
        entries[1].data["source"],
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

#[test]
fn comments_and_replies_are_logged_with_the_saved_revision() {
    use loggable::page::CommentChange::*;
    loggable::register_model(
        ModelType::page("cms.blogpage")
            .field("title", "title")
            .field("body", "body"),
    );
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let post = page::add_child(
        &mut db.conn,
        root.id,
        &NewPage::new("cms.blogpage", "Post"),
        &opts(),
    )
    .unwrap();
    let first = page::save_draft_with_comments(
        &mut db.conn,
        &post,
        &[Create {
            contentpath: "body.0.text".into(),
            text: "Typo".into(),
        }],
        &opts(),
    )
    .unwrap();
    let comment = first.created[0];
    let second = page::save_draft_with_comments(
        &mut db.conn,
        &post,
        &[
            Edit {
                id: comment,
                text: "Typo here".into(),
            },
            Reply {
                comment_id: comment,
                text: "Fixed".into(),
            },
        ],
        &opts(),
    )
    .unwrap();
    let reply = second.created[0];
    let third = page::save_draft_with_comments(
        &mut db.conn,
        &post,
        &[
            EditReply {
                id: reply,
                text: "Fixed now".into(),
            },
            DeleteReply { id: reply },
            Resolve { id: comment },
            Delete { id: comment },
        ],
        &opts(),
    )
    .unwrap();
    let entries = history(&mut db.conn, &post);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.edit",
            "wagtail.comments.create",
            "wagtail.edit",
            "wagtail.comments.edit",
            "wagtail.comments.create_reply",
            "wagtail.edit",
            "wagtail.comments.edit_reply",
            "wagtail.comments.delete_reply",
            "wagtail.comments.resolve",
            "wagtail.comments.delete",
        ]
    );
    assert_eq!(entries[2].revision_id, Some(first.revision.id));
    assert_eq!(entries[5].revision_id, Some(second.revision.id));
    assert_eq!(entries[10].revision_id, Some(third.revision.id));
    assert_eq!(
        entries[2].data["comment"],
        json!({"id": comment, "contentpath": "body.0.text", "text": "Typo"})
    );
    assert_eq!(
        entries[5].data["reply"],
        json!({"id": reply, "text": "Fixed"})
    );
    let registry = registry::global();
    let messages: Vec<String> = entries[2..]
        .iter()
        .filter(|e| e.action.starts_with("wagtail.comments"))
        .map(|e| registry.message(e))
        .collect();
    assert_eq!(
        messages,
        [
            "Added a comment on field Body: \"Typo\"",
            "Edited a comment on field Body: \"Typo here\"",
            "Replied to comment on field Body: \"Fixed\"",
            "Edited a reply to a comment on field Body: \"Fixed now\"",
            "Deleted a reply to a comment on field Body: \"Fixed now\"",
            "Resolved a comment on field Body: \"Typo here\"",
            "Deleted a comment on field Body: \"Typo here\"",
        ]
    );
    let missing = page::save_draft_with_comments(
        &mut db.conn,
        &post,
        &[Edit {
            id: comment,
            text: "x".into(),
        }],
        &opts(),
    );
    assert!(matches!(missing, Err(loggable::Error::NotFound { .. })));
    assert_eq!(
        history(&mut db.conn, &post).len(),
        entries.len(),
        "nothing written for a failed save"
    );
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct BlogFields {
    intro: String,
}

#[test]
fn specific_page_types_carry_their_fields_and_type() {
    loggable::register_model(ModelType::page("cms.blogpage").verbose_name("blog page"));
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let fields = BlogFields {
        intro: "Hello".into(),
    };
    let new = NewPage::new("cms.blogpage", "Post")
        .specific(&fields)
        .unwrap();
    let post = page::add_child(&mut db.conn, root.id, &new, &opts()).unwrap();
    assert_eq!(post.specific::<BlogFields>().unwrap(), fields);
    let mut draft = post.clone();
    draft
        .set_specific(&BlogFields {
            intro: "Hello again".into(),
        })
        .unwrap();
    let revision = page::save_draft(&mut db.conn, &draft, &opts()).unwrap();
    let published = draft
        .publish(&mut db.conn, revision.id, &Default::default())
        .unwrap();
    assert_eq!(
        published.specific::<BlogFields>().unwrap().intro,
        "Hello again"
    );
    let entries = history(&mut db.conn, &post);
    assert!(
        entries
            .iter()
            .all(|e| e.content_type.as_deref() == Some("cms.blogpage"))
    );
    assert!(entries[1].data["changes"]["specific"].is_array());
}

/// One user action of the scenario: its user and the uuid its context gave its entries.
fn step<T>(
    user: Option<i64>,
    action: impl FnOnce() -> loggable::Result<T>,
) -> (T, Option<uuid::Uuid>) {
    let ctx = LogContext::new(user);
    let value = ctx.scope(action).unwrap();
    (value, ctx.uuid())
}

#[test]
fn a_day_of_page_edits_leaves_the_exact_history() {
    let mut db = setup();
    let ann = user(&mut db.conn, "ann");
    let bob = user(&mut db.conn, "bob");
    let conn = &mut db.conn;
    let root = page::add_root(conn, &simple("Root"), &LogOptions::new().suppress()).unwrap();

    let (home, u1) = step(Some(ann), || {
        let home = page::add_child(conn, root.id, &simple("Home"), &opts())?;
        let revision = page::save_draft(conn, &home, &opts())?;
        home.publish(conn, revision.id, &Default::default())
    });
    let (blog, u2) = step(Some(ann), || {
        let blog = page::add_child(conn, home.id, &simple("Blog"), &opts())?;
        blog.save_and_publish(conn, &Default::default())
    });
    let (post, u3) = step(Some(bob), || {
        let post = page::add_child(conn, blog.id, &simple("Post"), &opts())?;
        page::save_draft(conn, &post, &opts())?;
        Ok(post)
    });
    let (_, u4) = step(Some(bob), || post.lock(conn, bob, &Default::default()));
    // Ann edits over Bob's lock, as an administrator may.
    let (_, u5) = step(Some(ann), || {
        let mut draft = page::find(conn, post.id)?;
        draft.title = "Post, revised".into();
        draft.draft_title = "Post, revised".into();
        page::save_draft(conn, &draft, &opts().override_lock())
    });
    let (_, u6) = step(Some(bob), || post.unlock(conn, bob, &Default::default()));
    let (_, u7) = step(Some(ann), || {
        let current = page::find(conn, post.id)?;
        current.publish(
            conn,
            current.latest_revision_id.unwrap_or_default(),
            &Default::default(),
        )
    });
    let (_, u8) = step(Some(ann), || {
        blog.set_restriction(conn, &Restriction::Login, &Default::default())
    });
    let (_, u9) = step(Some(bob), || {
        page::move_page(conn, post.id, Position::LastChildOf(home.id), &opts())
    });
    let (copy, u10) = step(Some(ann), || {
        page::copy(
            conn,
            blog.id,
            home.id,
            page::CopyOptions {
                recursive: false,
                keep_live: true,
            },
            &opts(),
        )
    });
    let (_, u11) = step(Some(ann), || page::delete(conn, copy.id, &opts()));
    let (_, u12) = step(Some(bob), || page::unpublish(conn, home.id, true, &opts()));

    let expect =
        |conn: &mut DbConnection, page: &Page, expected: &[(&str, i64, Option<uuid::Uuid>)]| {
            let entries = history(conn, page);
            let actual: Vec<(&str, i64, Option<uuid::Uuid>)> = entries
                .iter()
                .map(|e| {
                    (
                        e.action.as_str(),
                        e.user_id
                            .as_ref()
                            .and_then(loggable::UserId::as_i64)
                            .unwrap_or(0),
                        e.uuid,
                    )
                })
                .collect();
            assert_eq!(actual, expected, "history of {}", page.title);
            for pair in entries.windows(2) {
                assert!((pair[0].timestamp, pair[0].id) < (pair[1].timestamp, pair[1].id));
            }
        };
    expect(
        conn,
        &home,
        &[
            ("wagtail.create", ann, u1),
            ("wagtail.edit", ann, u1),
            ("wagtail.publish", ann, u1),
            ("wagtail.unpublish", bob, u12),
        ],
    );
    expect(
        conn,
        &blog,
        &[
            ("wagtail.create", ann, u2),
            ("wagtail.edit", ann, u2),
            ("wagtail.publish", ann, u2),
            ("wagtail.view_restriction.create", ann, u8),
            ("wagtail.unpublish", bob, u12),
        ],
    );
    expect(
        conn,
        &post,
        &[
            ("wagtail.create", bob, u3),
            ("wagtail.edit", bob, u3),
            ("wagtail.lock", bob, u4),
            ("wagtail.edit", ann, u5),
            ("wagtail.unlock", bob, u6),
            ("wagtail.rename", ann, u7),
            ("wagtail.publish", ann, u7),
            ("wagtail.move", bob, u9),
            ("wagtail.unpublish", bob, u12),
        ],
    );
    expect(
        conn,
        &copy,
        &[
            ("wagtail.create", ann, u10),
            ("wagtail.copy", ann, u10),
            ("wagtail.publish", ann, u10),
            ("wagtail.delete", ann, u11),
        ],
    );
    // The uuid groups: every entry of one user action, across pages, shares its uuid.
    let registry = registry::global();
    // A registry of this test's own: the global one also knows other tests' log tables.
    let own = loggable::registry::Registry::new();
    let everything = loggable::entries_by_user(conn, &own, Some(ann.into())).unwrap();
    let u10_group: Vec<&str> = everything
        .iter()
        .rev()
        .filter(|e| e.uuid == u10)
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        u10_group,
        ["wagtail.create", "wagtail.copy", "wagtail.publish"]
    );
    let grouped = loggable::history_for_object(conn, &registry, &post).unwrap();
    // No uuid+action pair repeats in one user action here, so history collapses nothing.
    assert_eq!(grouped.len(), history(conn, &post).len());
}

#[test]
fn page_view_restrictions_of_every_type_and_page_expiry() {
    let mut db = setup();
    let root = page::add_root(&mut db.conn, &simple("Root"), &opts()).unwrap();
    let home = publish_new(&mut db.conn, root.id, "Home");
    let group: i64 = {
        use diesel::prelude::*;
        diesel::insert_into(crate::tables::auth_groups::table)
            .values(crate::tables::auth_groups::name.eq("Members"))
            .returning(crate::tables::auth_groups::id)
            .get_result(&mut db.conn)
            .unwrap()
    };
    for restriction in [
        Restriction::Login,
        Restriction::Password("pw".into()),
        Restriction::Groups(vec![group]),
        Restriction::None,
    ] {
        home.set_restriction(&mut db.conn, &restriction, &Default::default())
            .unwrap();
    }
    let entries: Vec<LogEntry> = history(&mut db.conn, &home)
        .into_iter()
        .filter(|e| e.action.starts_with("wagtail.view_restriction"))
        .collect();
    let registry = registry::global();
    let seen: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e.action.clone(), registry.message(e)))
        .collect();
    assert_eq!(
        seen,
        [
            ("wagtail.view_restriction.create".to_owned(), "Added the 'Private, accessible to any logged-in users' view restriction".to_owned()),
            ("wagtail.view_restriction.edit".to_owned(), "Updated the view restriction to 'Private, accessible with a shared password'".to_owned()),
            ("wagtail.view_restriction.edit".to_owned(), "Updated the view restriction to 'Private, accessible to users in specific groups'".to_owned()),
            ("wagtail.view_restriction.delete".to_owned(), "Removed the 'Private, accessible to users in specific groups' view restriction. The page is public.".to_owned()),
        ]
    );
    assert_eq!(entries[2].data["restriction"]["type"], "groups");

    let mut expiring = page::find(&mut db.conn, home.id).unwrap();
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    expiring.expire_at = Some(
        chrono::DateTime::from_timestamp_micros(soon.timestamp_micros())
            .unwrap()
            .naive_utc(),
    );
    let revision = page::save_draft(&mut db.conn, &expiring, &opts()).unwrap();
    expiring
        .publish(&mut db.conn, revision.id, &Default::default())
        .unwrap();
    let run = Page::run_scheduled(
        &mut db.conn,
        soon + chrono::Duration::minutes(1),
        &Default::default(),
    )
    .unwrap();
    assert_eq!((run.published, run.expired), (0, 1));
    let expired = page::find(&mut db.conn, home.id).unwrap();
    assert!(!expired.live && expired.expired);
    let last = history(&mut db.conn, &home).pop().unwrap();
    assert_eq!(
        (last.action.as_str(), last.user_id, last.uuid),
        ("wagtail.unpublish.scheduled", None, None)
    );
}
