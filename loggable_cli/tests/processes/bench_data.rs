//! Permission-filtered reads on the benchmark's data set.

use diesel::prelude::*;
use loggable::DbConnection;
use loggable::entry::{EntryQuery, EntryScope, PageLogTable};
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

    use loggable::schema::pages;
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
                loggable::schema::group_page_permissions::group_id.eq(group.id),
                loggable::schema::group_page_permissions::page_id.eq(*page),
                loggable::schema::group_page_permissions::permission_type.eq("change"),
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        let insert =
            diesel::insert_into(loggable::schema::group_page_permissions::table).values(chunk);
        match &mut db.conn {
            DbConnection::Postgresql(c) => insert.execute(c),
            DbConnection::Sqlite(c) => insert.execute(c),
        }
        .unwrap();
    }
    let everything = count_viewable(
        &mut db.conn,
        &PageLogTable,
        &seeded.superuser,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap();
    let leafy = count_viewable(
        &mut db.conn,
        &PageLogTable,
        &viewer,
        EntryQuery::new(EntryScope::All),
    )
    .unwrap();
    // Every leaf and, as the leaves' parents differ, the way down from the root's child.
    assert!(leafy > 0 && leafy < everything, "{leafy} of {everything}");
    let first = viewable_entries(
        &mut db.conn,
        &PageLogTable,
        &viewer,
        EntryQuery::new(EntryScope::All).limit(50),
    )
    .unwrap();
    assert_eq!(first.len(), 50);
}
