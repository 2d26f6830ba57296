//! Permission-filtered reads on the benchmark's data set.

use diesel::prelude::*;
use loggable::db::DbConnection;
use loggable::entry::{EntryQuery, EntryScope, PAGE_LOG};
use loggable::permission::{Viewer, add_to_group, count_viewable, create_group, viewable_entries};
use loggable::user::{NewUser, create_user};

use crate::common::TestDb;

fn new_user(conn: &mut DbConnection, name: &str) -> Viewer {
    let id = create_user(conn, &NewUser::new(name)).unwrap().id;
    Viewer::load(conn, id).unwrap().unwrap()
}

#[test]
fn a_user_with_thousands_of_permission_pages_can_still_read_the_log() {
    let mut db = TestDb::new();
    let seeded = loggable_cli::bench::seed(&mut db.conn, 2_000, |_| ()).unwrap();

    diesel::table! {
        #[sql_name = "loggable_pages"]
        pages (id) {
            id -> BigInt,
            depth -> Integer,
        }
    }
    diesel::table! {
        #[sql_name = "loggable_group_page_permissions"]
        group_page_permissions (id) {
            id -> BigInt,
            group_id -> BigInt,
            page_id -> BigInt,
            permission_type -> Text,
        }
    }
    // A permission on every leaf page: 3,600 disjoint subtrees.
    let leaves: Vec<i64> = pages::table
        .filter(pages::depth.eq(5))
        .select(pages::id)
        .load(&mut db.conn)
        .unwrap();
    assert_eq!(leaves.len(), 3_600);
    let viewer = new_user(&mut db.conn, "leafy");
    let group = create_group(&mut db.conn, "Leaves").unwrap();
    add_to_group(&mut db.conn, viewer.user_id, group.id).unwrap();
    let rows: Vec<_> = leaves
        .iter()
        .map(|page| {
            (
                group_page_permissions::group_id.eq(group.id),
                group_page_permissions::page_id.eq(*page),
                group_page_permissions::permission_type.eq("change"),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(group_page_permissions::table).values(chunk);
        loggable_cli::on_backend!(&mut db.conn, |c| insert.execute(c)).unwrap();
    }
    let everything = count_viewable(
        &mut db.conn,
        &PAGE_LOG,
        &seeded.superuser,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap();
    let leafy = count_viewable(
        &mut db.conn,
        &PAGE_LOG,
        &viewer,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap();
    // Every leaf and, as the leaves' parents differ, the way down from the root's child.
    assert!(leafy > 0 && leafy < everything, "{leafy} of {everything}");
    let first = viewable_entries(
        &mut db.conn,
        &PAGE_LOG,
        &viewer,
        EntryQuery::new(EntryScope::All).limit(50),
    )
    .unwrap();
    assert_eq!(first.len(), 50);
}
