//! The newsroom on its own connection: a plain `SqliteConnection` (the default build) or a
//! plain `PgConnection` in a schema of its own (`--features postgres`, `DATABASE_URL`).

use diesel::prelude::*;
use loggable::LogContext;
use loggable::prelude::*;
use newsroom::schema::articles;
use newsroom::{AccountId, Article, Conn, NewArticle, add_user, editorial_day, history_of};

/// A migrated database of the newsroom's, and what keeps it alive.
#[cfg(feature = "sqlite")]
fn database() -> (Conn, ()) {
    let mut conn = Conn::establish(":memory:").expect("sqlite");
    newsroom::migrate(&mut conn).expect("migrations");
    newsroom::register();
    (conn, ())
}

/// A migrated database of the newsroom's, and what keeps it alive.
#[cfg(feature = "postgres")]
fn database() -> (Conn, loggable::db::IsolatedSchema) {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = loggable::db::IsolatedSchema::create(&server, "newsroom").expect("schema");
    let mut conn = Conn::establish(schema.url()).expect("postgres");
    newsroom::migrate(&mut conn).expect("migrations");
    newsroom::register();
    (conn, schema)
}

fn entries(conn: &mut Conn) -> Vec<loggable::LogEntry> {
    loggable::entries_for_content_type(conn, &loggable::registry::global(), "newsroom.article")
        .expect("entries")
}

#[test]
fn an_editorial_day_is_logged_with_the_newsrooms_own_users() {
    let (mut conn, _keep) = database();
    let editor = add_user(&mut conn, "Nellie Bly").unwrap();
    let article = editorial_day(&mut conn, editor).unwrap();
    assert_eq!(article.title, "Harbour reopens to ferries");
    assert_eq!(article.locked_by, Some(editor), "locked by the UUID user");
    assert_eq!(article.body["paragraphs"][1], "Ferries run from Monday.");
    assert!(article.published_at.is_some());

    let history = history_of(&mut conn, &article).unwrap();
    let expected = [
        ("wagtail.edit", "Nellie Bly"),
        ("wagtail.lock", "Nellie Bly"),
        ("wagtail.edit", "Nellie Bly"),
        ("wagtail.create", "Nellie Bly"),
    ];
    let history: Vec<(&str, &str)> = history
        .iter()
        .map(|(action, user)| (action.as_str(), user.as_str()))
        .collect();
    assert_eq!(history, expected);

    let all = entries(&mut conn);
    // Create, edit, lock, the bulk edit; the draft's create and delete.
    assert_eq!(all.len(), 6, "{all:#?}");
    for entry in &all {
        assert_eq!(entry.user_id, Some(editor.0.into()), "{entry:?}");
        assert_eq!(entry.log_table, "loggable_model_log_entries");
    }
    let edit = all
        .iter()
        .find(|e| e.data.get("changes").and_then(|c| c.get("body")).is_some())
        .expect("the body edit");
    assert_eq!(
        edit.data["changes"]["body"][1]["paragraphs"][1],
        "Ferries run from Monday."
    );
    let deleted: Vec<_> = all.iter().filter(|e| e.deleted).collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].label, "Draft: storm warning");
    // The bulk edit and the draft shared one user action; the first steps each had their own.
    let bulk = all
        .iter()
        .find(|e| e.data.get("changes").and_then(|c| c.get("title")).is_some())
        .expect("the bulk edit");
    assert_eq!(bulk.uuid, deleted[0].uuid);
    assert_ne!(bulk.uuid, all.last().unwrap().uuid);
}

#[test]
fn a_rolled_back_newsroom_transaction_leaves_no_article_and_no_entry() {
    let (mut conn, _keep) = database();
    let editor = add_user(&mut conn, "Ida Tarbell").unwrap();
    let outcome = LogContext::new(Some(editor.0)).scope(|| {
        conn.transaction::<(), newsroom::Error, _>(|conn| {
            let article = Article::create(
                conn,
                &NewArticle {
                    title: "Never printed",
                    body: serde_json::json!({}),
                    author_id: editor,
                },
                &Default::default(),
            )?;
            article.lock(conn, editor, &Default::default())?;
            Err(newsroom::Error::Database(
                diesel::result::Error::RollbackTransaction,
            ))
        })
    });
    assert!(outcome.is_err());
    let rows: i64 = articles::table.count().get_result(&mut conn).unwrap();
    assert_eq!(rows, 0);
    assert!(entries(&mut conn).is_empty());
}

#[test]
fn a_lock_by_a_key_of_another_kind_is_refused() {
    let (mut conn, _keep) = database();
    let editor = add_user(&mut conn, "Ida Tarbell").unwrap();
    let article = LogContext::new(Some(editor.0))
        .scope(|| {
            Article::create(
                &mut conn,
                &NewArticle {
                    title: "Locked out",
                    body: serde_json::json!({}),
                    author_id: editor,
                },
                &Default::default(),
            )
        })
        .unwrap();
    // An integer key cannot name a newsroom user: nothing is locked, nothing logged.
    let refused = article.lock(&mut conn, 7, &Default::default());
    assert!(refused.is_err(), "{refused:?}");
    assert!(!Article::find(&mut conn, &article.id).unwrap().locked);
    assert_eq!(entries(&mut conn).len(), 1);
    let _ = AccountId::random();
}

/// The copied migrations are loggable's own, unchanged (`loggable write-migrations` wrote
/// them; this fails when loggable's change and the copy was not refreshed).
#[test]
fn the_copied_migrations_are_loggables_core() {
    for (backend, folder) in [
        (loggable::db::BackendKind::Sqlite, "sqlite"),
        (loggable::db::BackendKind::Postgresql, "postgres"),
    ] {
        for file in loggable::db::migration_files(backend, &[loggable::db::Layer::Core]) {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder)
                .join(file.name);
            let up = std::fs::read_to_string(dir.join("up.sql")).unwrap();
            let down = std::fs::read_to_string(dir.join("down.sql")).unwrap();
            assert_eq!(
                (up.as_str(), down.as_str()),
                (file.up, file.down),
                "{}",
                dir.display()
            );
        }
    }
}
