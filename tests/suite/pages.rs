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

pub(crate) fn setup() -> TestDb {
    loggable::register_model(ModelType::page("cms.simplepage").verbose_name("simple page"));
    TestDb::new()
}

pub(crate) fn opts() -> LogOptions {
    LogOptions::new()
}

pub(crate) fn simple(title: &str) -> NewPage {
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
