//! The site the page tests serve: users, permissions, pages and entries in a SQLite file.
// Each test binary uses part of the fixture.
#![allow(dead_code)]

use std::net::SocketAddr;

use loggable::db::DbConnection;
use loggable::model::LogOptions;
use loggable::page::{self, NewPage};
use loggable::permission::{PagePermission, add_to_group, create_group, grant_page_permission};
use loggable::registry::{ModelType, Registry};
use loggable::user::{NewUser, create_user};
use loggable::{LogContext, ObjectRef, log};
use loggable_web::HistoryPages;

/// The users of the fixture.
pub struct Site {
    _dir: tempfile::TempDir,
    /// On PostgreSQL, the schema the site lives in (dropped with it).
    _schema: Option<loggable::db::IsolatedSchema>,
    pub url: String,
    pub admin: i64,
    pub editor: i64,
    /// The page only the admin may see the entries of.
    pub hidden: i64,
    /// The page the editor may see.
    pub shared: i64,
}

/// A site: a superuser, an editor with rights on one section, 60 entries on the shared page
/// and a few on a page in the other section, one of them titled with markup. On the
/// PostgreSQL server `DATABASE_URL` names, in a schema of its own; else in a SQLite file.
pub fn site() -> Site {
    match std::env::var("DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => {
            let schema = loggable::db::IsolatedSchema::create(&server, "web").unwrap();
            let url = schema.url().to_owned();
            build_site(url, tempfile::tempdir().unwrap(), Some(schema))
        }
        _ => sqlite_site(),
    }
}

/// [`site`] in a SQLite file, whatever `DATABASE_URL` says.
pub fn sqlite_site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let url = dir
        .path()
        .join("site.sqlite3")
        .to_string_lossy()
        .into_owned();
    build_site(url, dir, None)
}

fn build_site(
    url: String,
    dir: tempfile::TempDir,
    schema: Option<loggable::db::IsolatedSchema>,
) -> Site {
    let mut conn = loggable::db::connect(&url).unwrap();
    loggable::db::run_migrations(&mut conn).unwrap();
    let admin = create_user(
        &mut conn,
        &NewUser::new("admin").full_name("Ada Admin").superuser(),
    )
    .unwrap()
    .id;
    let editor = create_user(&mut conn, &NewUser::new("ed").full_name("Ed Editor"))
        .unwrap()
        .id;
    let registry = registry();
    let options = LogOptions::new().registry(registry.clone());
    let root = page::add_root(&mut conn, &NewPage::new("cms.page", "Root"), &options).unwrap();
    let open = child(&mut conn, root.id, "Open", &options);
    let closed = child(&mut conn, root.id, "Closed", &options);
    let editors = create_group(&mut conn, "Editors").unwrap();
    add_to_group(&mut conn, editor, editors.id).unwrap();
    grant_page_permission(&mut conn, editors.id, open.id, PagePermission::Change).unwrap();
    let shared = child(&mut conn, open.id, "Shared", &options);
    let hidden = child(
        &mut conn,
        closed.id,
        "<script>alert(1)</script>\"onerror=x",
        &options,
    );
    // The hidden page is published: its history marks the live version.
    let revision = page::save_draft(&mut conn, &hidden, &options).unwrap();
    loggable::publishing::Publishing::publish(&hidden, &mut conn, revision.id, &options).unwrap();
    // An edit of the hidden page that changed a field and a redacted one.
    log(
        &ObjectRef::new("cms.page", hidden.id).title(hidden.title.clone()),
        "wagtail.edit",
    )
    .data(serde_json::json!({"changes": {
        "teeth": [12, 14],
        "secret": ["[redacted]", "[redacted]"],
    }}))
    .write_with(&mut conn, &registry)
    .unwrap();
    // Sixty user actions, each its own log context (so none collapse in the object history).
    for n in 0..60 {
        LogContext::new(Some(admin)).scope(|| {
            log(
                &ObjectRef::new("cms.page", shared.id).title("Shared"),
                "wagtail.edit",
            )
            .data(serde_json::json!({"n": n}))
            .write_with(&mut conn, &registry)
            .unwrap();
        });
    }
    Site {
        _dir: dir,
        _schema: schema,
        url,
        admin,
        editor,
        hidden: hidden.id,
        shared: shared.id,
    }
}

/// A `cms.page` titled `title` under `parent`, created (and logged) with `options`.
fn child(conn: &mut DbConnection, parent: i64, title: &str, options: &LogOptions) -> page::Page {
    page::add_child(conn, parent, &NewPage::new("cms.page", title), options).unwrap()
}

fn registry() -> std::sync::Arc<Registry> {
    let mut registry = Registry::new();
    registry.register_model(ModelType::page("cms.page").verbose_name("page"));
    registry.set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
    std::sync::Arc::new(registry)
}

/// Serves the pages for `url` under `/history` on a free port of 127.0.0.1; the request's
/// user is the `x-user` header, else `default_user`.
pub async fn serve(url: &str) -> SocketAddr {
    serve_as(url, None).await
}

/// [`serve`], and a request without `x-user` is `default_user`'s (a browser's).
pub async fn serve_as(url: &str, default_user: Option<i64>) -> SocketAddr {
    serve_at(url, default_user, "/history").await
}

/// [`serve_as`], mounted at `mount` (which may hold path parameters).
pub async fn serve_at(url: &str, default_user: Option<i64>, mount: &str) -> SocketAddr {
    let manager =
        deadpool_diesel::Manager::<DbConnection>::new(url, deadpool_diesel::Runtime::Tokio1);
    let pool = deadpool_diesel::Pool::builder(manager)
        .max_size(2)
        .build()
        .unwrap();
    let pages = HistoryPages::new(pool, registry(), move |request| {
        let header = || request.headers.get("x-user")?.to_str().ok()?.parse().ok();
        header().or(default_user)
    })
    // The request's time zone, where it says: minutes east of UTC.
    .utc_offset_of(|request| {
        let minutes: i32 = request
            .headers
            .get("x-utc-offset")?
            .to_str()
            .ok()?
            .parse()
            .ok()?;
        chrono::FixedOffset::east_opt(minutes * 60)
    });
    let app = axum::Router::new().nest(mount, pages.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}
