//! Visibility as SQL: restricted reads served from the statement cache, type names that need
//! quoting, and the explorable region's linear rule against the pairwise one.

use std::collections::BTreeSet;

use loggable::db::DbConnection;
use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG, PAGE_LOG};
use loggable::permission::{
    Grantee, PagePermission, count_viewable, grant_model_permission, grant_page_permission,
    viewable_entries,
};
use loggable::{ObjectRef, log};
use proptest::prelude::*;

use crate::common::TestDb;
use crate::visibility::{editor_of, new_user, tree};

/// Every statement a read runs, and the statements the connection put in its cache.
#[derive(Clone, Default)]
pub(crate) struct CachedStatements(
    pub(crate) std::sync::Arc<std::sync::Mutex<(Vec<String>, BTreeSet<String>)>>,
);

impl diesel::connection::Instrumentation for CachedStatements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        let mut seen = self.0.lock().unwrap();
        match event {
            diesel::connection::InstrumentationEvent::StartQuery { query, .. } => {
                // The text is followed by its bound values.
                let text = query.to_string();
                let sql = text.split(" -- binds:").next().unwrap_or_default();
                seen.0.push(sql.trim().to_owned());
            }
            diesel::connection::InstrumentationEvent::CacheQuery { sql, .. } => {
                seen.1.insert(sql.trim().to_owned());
            }
            _ => {}
        }
    }
}

#[test]
fn restricted_reads_are_prepared_once_and_then_served_from_the_statement_cache() {
    use diesel::Connection as _;
    let mut db = TestDb::new();
    let t = tree(&mut db.conn);
    // Two permission pages, so the region has an ancestor list and two subtrees.
    let editor = editor_of(&mut db.conn, "cached", t.blog.id, PagePermission::Change);
    let group = loggable::permission::groups_of(&mut db.conn, editor.user_id).unwrap()[0];
    grant_page_permission(&mut db.conn, group, t.news.id, PagePermission::Publish).unwrap();
    grant_model_permission(
        &mut db.conn,
        Grantee::User(editor.user_id),
        "shop.sprocket",
        "view",
    )
    .unwrap();
    let registry = loggable::registry::Registry::new();
    let statements = CachedStatements::default();
    db.conn.set_instrumentation(statements.clone());
    let read = |conn: &mut DbConnection| {
        let first_page = EntryQuery::new(EntryScope::All).limit(50);
        let pages = viewable_entries(conn, &PAGE_LOG, &editor, first_page.clone()).unwrap();
        let counted =
            count_viewable(conn, &PAGE_LOG, &editor, EntryQuery::new(EntryScope::All)).unwrap();
        let models = viewable_entries(conn, &MODEL_LOG, &editor, first_page).unwrap();
        let mut filters = loggable::report::Filters {
            actions: vec!["wagtail.create".to_owned(), "wagtail.edit".to_owned()],
            content_types: vec!["cms.simplepage".to_owned()],
            ..Default::default()
        };
        let mut site_history = |filters: &loggable::report::Filters| {
            loggable::report::site_history_page(conn, &registry, Some(&editor), filters, None, 50)
                .unwrap()
                .entries
                .len()
        };
        let by_type_and_action = site_history(&filters);
        // The pages were added by no user.
        filters.users = vec![editor.user_id.into(), (editor.user_id + 1).into()];
        let by_user = site_history(&filters);
        (
            pages.len(),
            counted,
            models.len(),
            by_type_and_action,
            by_user,
        )
    };
    let first = read(&mut db.conn);
    assert_eq!(
        first,
        (4, 4, 0, 4, 0),
        "blog, post, news and their parent home"
    );
    statements.0.lock().unwrap().0.clear();
    assert_eq!(read(&mut db.conn), first);
    let (run, cached) = statements.0.lock().unwrap().clone();
    assert!(run.len() >= 5, "{run:#?}");
    let uncached: Vec<&String> = run.iter().filter(|sql| !cached.contains(*sql)).collect();
    assert!(
        uncached.is_empty(),
        "parsed and planned again on every read: {uncached:#?}"
    );
}

#[test]
fn type_names_with_quotes_commas_and_braces_match_exactly() {
    let mut db = TestDb::new();
    let viewer = new_user(&mut db.conn, "odd types", true, false);
    let odd = [
        r#"shop."quoted""#,
        r"shop.back\slash",
        "shop.comma,brace}{",
        "NULL",
        "shop.space d",
    ];
    let registry = loggable::registry::Registry::new();
    for (id, content_type) in odd
        .iter()
        .chain(["shop.comma", "shop.back"].iter())
        .enumerate()
    {
        log(
            &ObjectRef::new(*content_type, i64::try_from(id).unwrap()).title("x"),
            "wagtail.create",
        )
        .write_with(&mut db.conn, &registry)
        .unwrap();
    }
    for content_type in odd {
        grant_model_permission(
            &mut db.conn,
            Grantee::User(viewer.user_id),
            content_type,
            "view",
        )
        .unwrap();
    }
    let seen: BTreeSet<String> = viewable_entries(
        &mut db.conn,
        &MODEL_LOG,
        &viewer,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap()
    .into_iter()
    .filter_map(|e| e.content_type)
    .collect();
    assert_eq!(seen, odd.iter().map(|t| (*t).to_owned()).collect());
}

/// The region rule as docs/visibility.md states it, tested pair by pair: an ancestor x of a
/// permission page p is explorable when some permission page's parent is not at or below x's
/// child towards p.
fn region_ancestors_by_the_rule(subtrees: &[String]) -> BTreeSet<String> {
    const STEP: usize = 4;
    let mut ancestors = BTreeSet::new();
    for p in subtrees {
        for x_len in (STEP..p.len()).step_by(STEP) {
            let towards_p = &p[..x_len + STEP];
            let kept = subtrees.iter().any(|q| {
                let parent = &q[..q.len() - STEP];
                !parent.starts_with(towards_p)
            });
            if kept {
                ancestors.insert(p[..x_len].to_owned());
            }
        }
    }
    ancestors
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::common::cases(256)))]

    #[test]
    fn the_region_keeps_exactly_the_ancestors_the_rule_allows(
        pages in proptest::collection::vec(proptest::collection::vec(1u8..=3, 1..=5), 1..8)
    ) {
        let paths: Vec<String> = pages
            .iter()
            .map(|steps| steps.iter().map(|step| format!("000{step}")).collect())
            .collect();
        let region = loggable::permission::ExplorableRegion::from_permission_paths(paths.clone());
        let expected = region_ancestors_by_the_rule(&paths);
        prop_assert_eq!(region.ancestors.iter().cloned().collect::<BTreeSet<_>>(), expected);
        let mut subtrees = paths;
        subtrees.sort();
        subtrees.dedup();
        prop_assert_eq!(region.subtrees, subtrees);
    }
}

#[test]
fn a_limited_read_of_one_object_is_planned_once_and_each_limit_holds() {
    use diesel::Connection as _;
    let mut db = TestDb::new();
    let registry = crate::common::page_registry();
    let page = ObjectRef::new("cms.simplepage", 7).title("Limited");
    for _ in 0..5 {
        log(&page, "wagtail.edit")
            .write_with(&mut db.conn, &registry)
            .unwrap();
    }
    let statements = CachedStatements::default();
    db.conn.set_instrumentation(statements.clone());
    let scope = || EntryScope::Object {
        content_type: None,
        object_id: "7".to_owned(),
    };
    // Different limits in turn, each read through the one cached statement: each holds.
    for limit in [2, 3, 2, 4, 3] {
        let read = PAGE_LOG
            .query(&mut db.conn, &EntryQuery::new(scope()).limit(limit))
            .unwrap();
        assert_eq!(read.len(), usize::try_from(limit).unwrap());
    }
    let (run, cached) = statements.0.lock().unwrap().clone();
    // The limit is bound: one cached statement for every limit.
    assert_eq!(cached.len(), 1, "{cached:#?}");
    if db.backend() == loggable::db::BackendKind::Sqlite {
        // A bare bound LIMIT makes SQLite (3.50) plan the statement again on every run, as
        // Diesel binds its values anew each time, and so does a bare bound value compared
        // with an analysed index in an SQLite built with STAT4: both are cast.
        assert!(run[0].ends_with(" LIMIT CAST(? AS INTEGER)"), "{}", run[0]);
        assert!(
            run[0].contains(r#""loggable_page_log_entries"."page_id" = CAST(? AS INTEGER)"#),
            "{}",
            run[0]
        );
    }
}
