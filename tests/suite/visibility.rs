//! Who may see which entries (docs/visibility.md): hand-written edge cases and a property test
//! against a plain in-memory reading of the rules.

use std::collections::{BTreeSet, HashMap};

use loggable::db::DbConnection;
use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG, PAGE_LOG};
use loggable::model::LogOptions;
use loggable::page::{self, NewPage, Page, Position};
use loggable::permission::{
    Grantee, PagePermission, Viewer, add_to_group, count_viewable, create_group,
    grant_model_permission, grant_page_permission, revoke_page_permission, viewable_entries,
};
use loggable::registry::ModelType;
use loggable::user::{NewUser, create_user};
use loggable::{ObjectRef, log};
use proptest::prelude::*;

use crate::common::TestDb;

pub(crate) fn opts() -> LogOptions {
    LogOptions::new()
}

pub(crate) fn new_user(
    conn: &mut DbConnection,
    name: &str,
    active: bool,
    superuser: bool,
) -> Viewer {
    let mut user = NewUser::new(name);
    if !active {
        user = user.inactive();
    }
    if superuser {
        user = user.superuser();
    }
    let id = create_user(conn, &user).unwrap().id;
    Viewer::load(conn, id).unwrap().unwrap()
}

/// Visible pages, the viewer read afresh (grants may have changed since it was made).
fn visible_pages(conn: &mut DbConnection, viewer: &Viewer) -> BTreeSet<i64> {
    let viewer = &Viewer::load(conn, viewer.user_id).unwrap().unwrap();
    viewable_entries(conn, &PAGE_LOG, viewer, EntryQuery::new(EntryScope::All))
        .unwrap()
        .into_iter()
        .map(|e| e.object_id.parse().unwrap())
        .collect()
}

pub(crate) struct Tree {
    pub root: Page,
    pub home: Page,
    pub blog: Page,
    pub post: Page,
    pub news: Page,
}

pub(crate) fn tree(conn: &mut DbConnection) -> Tree {
    loggable::register_model(ModelType::page("cms.simplepage"));
    let add = |conn: &mut DbConnection, parent: i64, title: &str| {
        page::add_child(
            conn,
            parent,
            &NewPage::new("cms.simplepage", title),
            &opts(),
        )
        .unwrap()
    };
    let root = page::add_root(conn, &NewPage::new("cms.simplepage", "Root"), &opts()).unwrap();
    let home = add(conn, root.id, "Home");
    let blog = add(conn, home.id, "Blog");
    let post = add(conn, blog.id, "Post");
    let news = add(conn, home.id, "News");
    Tree {
        root,
        home,
        blog,
        post,
        news,
    }
}

pub(crate) fn editor_of(
    conn: &mut DbConnection,
    name: &str,
    page: i64,
    kind: PagePermission,
) -> Viewer {
    let viewer = new_user(conn, name, true, false);
    let group = create_group(conn, &format!("{name} group")).unwrap();
    add_to_group(conn, viewer.user_id, group.id).unwrap();
    grant_page_permission(conn, group.id, page, kind).unwrap();
    viewer
}

#[test]
fn an_editor_sees_their_subtree_and_the_way_down_to_it_from_its_parent() {
    let mut db = TestDb::new();
    let t = tree(&mut db.conn);
    let editor = editor_of(&mut db.conn, "blogger", t.blog.id, PagePermission::Change);
    assert_eq!(
        visible_pages(&mut db.conn, &editor),
        BTreeSet::from([t.home.id, t.blog.id, t.post.id])
    );
    let count = count_viewable(
        &mut db.conn,
        &PAGE_LOG,
        &editor,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap();
    assert_eq!(count, 3);
    // Composable: a scope, newest first, paginated.
    let first = viewable_entries(
        &mut db.conn,
        &PAGE_LOG,
        &editor,
        EntryQuery::new(EntryScope::All).limit(2),
    )
    .unwrap();
    assert_eq!(
        first.iter().map(|e| e.label.as_str()).collect::<Vec<_>>(),
        ["Post", "Blog"]
    );
    let only_post = EntryQuery::new(EntryScope::Object {
        content_type: None,
        object_id: t.post.id.to_string(),
    });
    assert_eq!(
        viewable_entries(&mut db.conn, &PAGE_LOG, &editor, only_post)
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_page_moved_out_of_the_subtree_is_no_longer_visible() {
    let mut db = TestDb::new();
    let t = tree(&mut db.conn);
    let editor = editor_of(&mut db.conn, "blogger", t.blog.id, PagePermission::Publish);
    page::move_page(
        &mut db.conn,
        t.post.id,
        Position::LastChildOf(t.news.id),
        &opts(),
    )
    .unwrap();
    let seen = visible_pages(&mut db.conn, &editor);
    assert!(
        !seen.contains(&t.post.id),
        "all of the moved page's entries leave with it"
    );
    assert_eq!(seen, BTreeSet::from([t.home.id, t.blog.id]));
}

#[test]
fn deleted_pages_are_visible_to_superusers_and_root_adders_only() {
    let mut db = TestDb::new();
    let t = tree(&mut db.conn);
    let blogger = editor_of(&mut db.conn, "blogger", t.blog.id, PagePermission::Add);
    let root_adder = editor_of(&mut db.conn, "chief", t.root.id, PagePermission::Add);
    let root_locker = editor_of(&mut db.conn, "locker", t.root.id, PagePermission::Lock);
    let admin = new_user(&mut db.conn, "admin", true, true);
    page::delete(&mut db.conn, t.post.id, &opts()).unwrap();
    assert!(!visible_pages(&mut db.conn, &blogger).contains(&t.post.id));
    assert!(visible_pages(&mut db.conn, &root_adder).contains(&t.post.id));
    assert!(!visible_pages(&mut db.conn, &root_locker).contains(&t.post.id));
    assert!(visible_pages(&mut db.conn, &admin).contains(&t.post.id));
}

#[test]
fn inactive_superusers_and_users_without_groups_see_nothing() {
    let mut db = TestDb::new();
    let t = tree(&mut db.conn);
    let inactive_admin = new_user(&mut db.conn, "gone", false, true);
    let loner = new_user(&mut db.conn, "loner", true, false);
    assert!(visible_pages(&mut db.conn, &inactive_admin).is_empty());
    assert!(visible_pages(&mut db.conn, &loner).is_empty());
    let admin = new_user(&mut db.conn, "admin", true, true);
    assert_eq!(visible_pages(&mut db.conn, &admin).len(), 5);
    drop(t);
}

#[test]
fn overlapping_grants_and_a_grant_on_the_root() {
    let mut db = TestDb::new();
    let t = tree(&mut db.conn);
    let editor = editor_of(&mut db.conn, "editor", t.blog.id, PagePermission::Change);
    let group = create_group(&mut db.conn, "second").unwrap();
    add_to_group(&mut db.conn, editor.user_id, group.id).unwrap();
    grant_page_permission(&mut db.conn, group.id, t.post.id, PagePermission::Lock).unwrap();
    grant_page_permission(&mut db.conn, group.id, t.blog.id, PagePermission::Unlock).unwrap();
    let entries = viewable_entries(
        &mut db.conn,
        &PAGE_LOG,
        &editor,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap();
    assert_eq!(
        entries.len(),
        3,
        "each entry once, however many grants cover it"
    );
    // With permissions on Blog and Post, the common ancestor of their parents is Home.
    assert_eq!(
        visible_pages(&mut db.conn, &editor),
        BTreeSet::from([t.home.id, t.blog.id, t.post.id])
    );

    let root_editor = editor_of(
        &mut db.conn,
        "root editor",
        t.root.id,
        PagePermission::BulkDelete,
    );
    assert_eq!(visible_pages(&mut db.conn, &root_editor).len(), 5);
    revoke_page_permission(&mut db.conn, group.id, t.post.id, PagePermission::Lock).unwrap();
    let news_group = create_group(&mut db.conn, "news").unwrap();
    add_to_group(&mut db.conn, editor.user_id, news_group.id).unwrap();
    grant_page_permission(
        &mut db.conn,
        news_group.id,
        t.news.id,
        PagePermission::Change,
    )
    .unwrap();
    assert_eq!(
        visible_pages(&mut db.conn, &editor),
        BTreeSet::from([t.home.id, t.blog.id, t.post.id, t.news.id]),
        "Blog and News share Home as their parents' common ancestor: Root stays hidden"
    );
}

#[test]
fn model_entries_need_a_permission_on_their_type() {
    let mut db = TestDb::new();
    let direct = new_user(&mut db.conn, "direct", true, false);
    let grouped = new_user(&mut db.conn, "grouped", true, false);
    let nobody = new_user(&mut db.conn, "nobody", true, false);
    let admin = new_user(&mut db.conn, "admin", true, true);
    let group = create_group(&mut db.conn, "shop staff").unwrap();
    add_to_group(&mut db.conn, grouped.user_id, group.id).unwrap();
    grant_model_permission(
        &mut db.conn,
        Grantee::User(direct.user_id),
        "shop.sprocket",
        "view",
    )
    .unwrap();
    grant_model_permission(
        &mut db.conn,
        Grantee::Group(group.id),
        "shop.gear",
        "change",
    )
    .unwrap();
    let registry = loggable::registry::Registry::new();
    for (content_type, id) in [("shop.sprocket", 1), ("shop.gear", 2), ("shop.bolt", 3)] {
        log(
            &ObjectRef::new(content_type, id).title("x"),
            "wagtail.create",
        )
        .write_with(&mut db.conn, &registry)
        .unwrap();
    }
    let types = |conn: &mut DbConnection, viewer: &Viewer| -> BTreeSet<String> {
        viewable_entries(conn, &MODEL_LOG, viewer, EntryQuery::new(EntryScope::All))
            .unwrap()
            .into_iter()
            .filter_map(|e| e.content_type)
            .collect()
    };
    assert_eq!(
        types(&mut db.conn, &direct),
        BTreeSet::from(["shop.sprocket".to_owned()])
    );
    assert_eq!(
        types(&mut db.conn, &grouped),
        BTreeSet::from(["shop.gear".to_owned()])
    );
    assert!(types(&mut db.conn, &nobody).is_empty());
    assert_eq!(types(&mut db.conn, &admin).len(), 3);
    // An own log table filters the same way.
    let mut app = crate::custom_table::app_db();
    let own = crate::custom_table::SPROCKET_LOG;
    let mut registry = loggable::registry::Registry::new();
    registry.register_model(ModelType::new("shop.sprocket").log_table(own));
    log(
        &ObjectRef::new("shop.sprocket", 5).title("s"),
        "wagtail.create",
    )
    .write_with(&mut app.conn, &registry)
    .unwrap();
    let viewer = new_user(&mut app.conn, "viewer", true, false);
    let blind = new_user(&mut app.conn, "blind", true, false);
    grant_model_permission(
        &mut app.conn,
        Grantee::User(viewer.user_id),
        "shop.sprocket",
        "view",
    )
    .unwrap();
    let all = EntryQuery::new(EntryScope::All);
    assert_eq!(
        count_viewable(&mut app.conn, &own, &viewer, all.clone()).unwrap(),
        1
    );
    assert_eq!(count_viewable(&mut app.conn, &own, &blind, all).unwrap(), 0);
    assert_eq!(own.name(), "sprocket_log_entries");
}

/// The rules of visibility.md read literally, over plain data.
struct Reference {
    /// Existing pages: id → path.
    pages: HashMap<i64, String>,
    /// (group, page id, permission name)
    grants: Vec<(i64, i64, &'static str)>,
    /// (user, group)
    members: Vec<(i64, i64)>,
}

impl Reference {
    fn visible(&self, viewer: &Viewer, page_id: i64) -> bool {
        if !viewer.is_active {
            return false;
        }
        if viewer.is_superuser {
            return true;
        }
        let groups: Vec<i64> = self
            .members
            .iter()
            .filter(|(u, _)| *u == viewer.user_id)
            .map(|(_, g)| *g)
            .collect();
        let granted: Vec<&(i64, i64, &str)> = self
            .grants
            .iter()
            .filter(|(g, p, _)| groups.contains(g) && self.pages.contains_key(p))
            .collect();
        let Some(path) = self.pages.get(&page_id) else {
            return granted
                .iter()
                .any(|(_, p, kind)| *kind == "add" && self.pages[p].len() == 4);
        };
        let perm_paths: Vec<&String> = granted.iter().map(|(_, p, _)| &self.pages[p]).collect();
        if perm_paths.is_empty() {
            return false;
        }
        let parents: Vec<&str> = perm_paths.iter().map(|p| &p[..p.len() - 4]).collect();
        let mut common = parents[0].to_owned();
        for parent in &parents[1..] {
            while !parent.starts_with(&common) {
                common.truncate(common.len() - 4);
            }
        }
        let below = perm_paths.iter().any(|p| path.starts_with(p.as_str()));
        let above =
            perm_paths.iter().any(|p| p.starts_with(path.as_str())) && path.starts_with(&common);
        below || above
    }
}

#[derive(Debug, Clone)]
enum Step {
    Add(usize),
    Move(usize, usize),
    Delete(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => any::<usize>().prop_map(Step::Add),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Move(a, b)),
        1 => any::<usize>().prop_map(Step::Delete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_query_returns_exactly_what_the_rules_allow(
        steps in prop::collection::vec(step(), 1..40),
        users in prop::collection::vec((any::<bool>(), prop::bool::weighted(0.15)), 1..6),
        memberships in prop::collection::vec((any::<usize>(), any::<usize>()), 0..10),
        grants in prop::collection::vec((any::<usize>(), any::<usize>(), 0..6_usize), 0..10),
    ) {
        let mut db = TestDb::new();
        let conn = &mut db.conn;
        loggable::register_model(ModelType::page("cms.simplepage"));
        let root = page::add_root(conn, &NewPage::new("cms.simplepage", "Root"), &opts()).unwrap();
        let mut alive = vec![root.id];
        for step in steps {
            match step {
                Step::Add(parent) => {
                    let parent = alive[parent % alive.len()];
                    let page = page::add_child(conn, parent, &NewPage::new("cms.simplepage", "P"), &opts()).unwrap();
                    alive.push(page.id);
                }
                Step::Move(a, b) => {
                    let (page_id, target) = (alive[a % alive.len()], alive[b % alive.len()]);
                    // Moves into the page's own subtree are refused; that is fine here.
                    let _ = page::move_page(conn, page_id, Position::LastChildOf(target), &opts());
                }
                Step::Delete(a) => {
                    let page_id = alive[a % alive.len()];
                    if page_id != root.id {
                        page::delete(conn, page_id, &opts()).unwrap();
                        let existing: BTreeSet<i64> = page::descendants(conn, &root).unwrap().iter().map(|p| p.id).collect();
                        alive.retain(|id| *id == root.id || existing.contains(id));
                    }
                }
            }
        }
        let groups: Vec<i64> = (0..4).map(|i| create_group(conn, &format!("g{i}")).unwrap().id).collect();
        let viewers: Vec<Viewer> = users
            .iter()
            .enumerate()
            .map(|(i, (active, superuser))| new_user(conn, &format!("u{i}"), *active, *superuser))
            .collect();
        let mut reference = Reference { pages: HashMap::new(), grants: Vec::new(), members: Vec::new() };
        for (user, group) in memberships {
            let (user, group) = (viewers[user % viewers.len()].user_id, groups[group % groups.len()]);
            add_to_group(conn, user, group).unwrap();
            reference.members.push((user, group));
        }
        for (group, page_index, kind) in grants {
            let (group, page_id, kind) = (groups[group % groups.len()], alive[page_index % alive.len()], PagePermission::ALL[kind]);
            grant_page_permission(conn, group, page_id, kind).unwrap();
            reference.grants.push((group, page_id, kind.name()));
        }
        let mut existing = page::descendants(conn, &root).unwrap();
        existing.push(page::find(conn, root.id).unwrap());
        reference.pages = existing.into_iter().map(|p| (p.id, p.path)).collect();
        let everything = PAGE_LOG.query(conn, &EntryQuery::new(EntryScope::All)).unwrap();
        for viewer in &viewers {
            let viewer = &Viewer::load(conn, viewer.user_id).unwrap().unwrap();
            let expected: BTreeSet<i64> = everything
                .iter()
                .filter(|e| reference.visible(viewer, e.object_id.parse().unwrap()))
                .map(|e| e.id)
                .collect();
            let actual: BTreeSet<i64> = viewable_entries(conn, &PAGE_LOG, viewer, EntryQuery::new(EntryScope::All))
                .unwrap()
                .into_iter()
                .map(|e| e.id)
                .collect();
            prop_assert_eq!(&actual, &expected, "viewer {:?}", viewer);
            let count = count_viewable(conn, &PAGE_LOG, viewer, EntryQuery::new(EntryScope::All)).unwrap();
            prop_assert_eq!(count as usize, expected.len());
            // A first page (the access path that walks the timestamp index) is the newest of them.
            let newest: Vec<i64> = everything
                .iter()
                .filter(|e| expected.contains(&e.id))
                .take(5)
                .map(|e| e.id)
                .collect();
            let first: Vec<i64> = viewable_entries(conn, &PAGE_LOG, viewer, EntryQuery::new(EntryScope::All).limit(5))
                .unwrap()
                .into_iter()
                .map(|e| e.id)
                .collect();
            prop_assert_eq!(first, newest);
        }
    }
}
