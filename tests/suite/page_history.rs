//! Pages: comments, specific page types, a whole day of edits and view restrictions.

use crate::common::{actions, history, user};
use crate::page_revisions::publish_new;
use crate::pages::{opts, setup, simple};
use loggable::LogContext;
use loggable::db::DbConnection;
use loggable::entry::LogEntry;
use loggable::model::LogOptions;
use loggable::page::{self, NewPage, Page, Position};
use loggable::prelude::*;
use loggable::privacy::Restriction;
use loggable::registry::{self, ModelType};
use serde_json::json;

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
            &page::CopyOptions {
                keep_live: true,
                ..Default::default()
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
    let group = loggable::permission::create_group(&mut db.conn, "Members")
        .unwrap()
        .id;
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
