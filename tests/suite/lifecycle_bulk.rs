//! Set-based lifecycle operations and view restrictions of a derived model.

use crate::common::{Statements, actions, history};
use crate::lifecycle::{NewSprocket, Sprocket, new_sprocket, setup, sprockets};
use diesel::prelude::*;
use loggable::prelude::*;
use loggable::privacy::Restriction;
use loggable::{LogContext, registry};
use serde_json::json;

/// `n` sprockets named `{prefix}{i}` with `i` teeth.
fn create_sprockets(conn: &mut loggable::db::DbConnection, prefix: &str, n: i32) -> Vec<Sprocket> {
    (0..n)
        .map(|i| {
            Sprocket::create(
                conn,
                &NewSprocket {
                    name: &format!("{prefix}{i}"),
                    teeth: i,
                    live: false,
                },
                &Default::default(),
            )
            .unwrap()
        })
        .collect()
}

#[test]
fn bulk_update_logs_each_row_with_one_insert() {
    let mut db = setup();
    let created = create_sprockets(&mut db.conn, "S", 60);
    let statements = Statements::default();
    db.conn.set_instrumentation(statements.clone());
    let ctx = LogContext::new(Some(5));
    let updated = ctx
        .scope(|| {
            Sprocket::update_where(
                &mut db.conn,
                sprockets::teeth.lt(50),
                sprockets::teeth.eq(99),
                &Default::default(),
            )
        })
        .unwrap();
    let run = statements.take();
    assert_eq!(updated.len(), 50);
    assert_eq!(Statements::count(&run, "UPDATE"), 1, "{run:#?}");
    // One statement for all the entries: a multi-row INSERT, or COPY on PostgreSQL.
    assert_eq!(Statements::entry_writes(&run), 1, "{run:#?}");
    for sprocket in &created {
        let entries = history(&mut db.conn, sprocket);
        if sprocket.teeth < 50 {
            assert_eq!(actions(&entries), ["wagtail.create", "wagtail.edit"]);
            let edit = &entries[1];
            assert_eq!(edit.data["changes"], json!({"teeth": [sprocket.teeth, 99]}));
            assert_eq!(
                (edit.user_id.clone(), edit.uuid),
                (Some(5.into()), ctx.uuid())
            );
            assert!(edit.content_changed);
        } else {
            assert_eq!(actions(&entries), ["wagtail.create"]);
        }
    }
}

#[test]
fn bulk_delete_logs_each_row_before_deleting() {
    let mut db = setup();
    let created = create_sprockets(&mut db.conn, "D", 40);
    let statements = Statements::default();
    db.conn.set_instrumentation(statements.clone());
    let deleted =
        Sprocket::delete_where(&mut db.conn, sprockets::teeth.ge(10), &Default::default()).unwrap();
    let run = statements.take();
    assert_eq!(deleted, 30);
    // One statement for all the entries: a multi-row INSERT, or COPY on PostgreSQL.
    assert_eq!(Statements::entry_writes(&run), 1, "{run:#?}");
    assert_eq!(Statements::count(&run, "DELETE"), 1, "{run:#?}");
    let left: i64 = sprockets::table.count().get_result(&mut db.conn).unwrap();
    assert_eq!(left, 10);
    for sprocket in &created {
        let entries = history(&mut db.conn, sprocket);
        let expected: &[&str] = if sprocket.teeth >= 10 {
            &["wagtail.create", "wagtail.delete"]
        } else {
            &["wagtail.create"]
        };
        assert_eq!(actions(&entries), expected);
        assert!(
            entries
                .iter()
                .all(|e| e.deleted == (e.action == "wagtail.delete"))
        );
    }
}

#[test]
fn view_restrictions_log_create_edit_and_delete() {
    let mut db = setup();
    let sprocket =
        Sprocket::create(&mut db.conn, &new_sprocket("Private"), &Default::default()).unwrap();
    sprocket
        .set_restriction(&mut db.conn, &Restriction::Login, &Default::default())
        .unwrap();
    sprocket
        .set_restriction(
            &mut db.conn,
            &Restriction::Password("s3cret".into()),
            &Default::default(),
        )
        .unwrap();
    sprocket
        .set_restriction(
            &mut db.conn,
            &Restriction::Groups(vec![]),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(
        sprocket
            .restriction(&mut db.conn)
            .unwrap()
            .unwrap()
            .restriction_type,
        "groups"
    );
    sprocket
        .remove_restriction(&mut db.conn, &Default::default())
        .unwrap();
    sprocket
        .remove_restriction(&mut db.conn, &Default::default())
        .unwrap();
    sprocket
        .set_restriction(&mut db.conn, &Restriction::Login, &Default::default())
        .unwrap();
    sprocket
        .set_restriction(&mut db.conn, &Restriction::None, &Default::default())
        .unwrap();
    assert!(sprocket.restriction(&mut db.conn).unwrap().is_none());
    let entries = history(&mut db.conn, &sprocket);
    assert_eq!(
        actions(&entries),
        [
            "wagtail.create",
            "wagtail.view_restriction.create",
            "wagtail.view_restriction.edit",
            "wagtail.view_restriction.edit",
            "wagtail.view_restriction.delete",
            "wagtail.view_restriction.create",
            "wagtail.view_restriction.delete",
        ]
    );
    assert_eq!(entries[1].data, json!({"restriction": {"type": "login", "title": "Private, accessible to any logged-in users"}}).as_object().unwrap().clone());
    assert_eq!(
        entries[2].data["restriction"]["title"],
        "Private, accessible with a shared password"
    );
    assert_eq!(entries[4].data["restriction"]["type"], "groups");
    assert_eq!(
        registry::global().message(&entries[4]),
        "Removed the 'Private, accessible to users in specific groups' view restriction. The page is public."
    );
}
