//! The history pages over real HTTP on 127.0.0.1: status codes, permission filtering, filters,
//! paging, downloads, escaping, and what a bad request or an outage gets.

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
struct Site {
    _dir: tempfile::TempDir,
    url: String,
    admin: i64,
    editor: i64,
    /// The page only the admin may see the entries of.
    hidden: i64,
    /// The page the editor may see.
    shared: i64,
}

/// A site: a superuser, an editor with rights on one section, 60 entries on the shared page
/// and a few on a page in the other section, one of them titled with markup.
fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let url = dir
        .path()
        .join("site.sqlite3")
        .to_string_lossy()
        .into_owned();
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
    let open = page::add_child(
        &mut conn,
        root.id,
        &NewPage::new("cms.page", "Open"),
        &options,
    )
    .unwrap();
    let closed = page::add_child(
        &mut conn,
        root.id,
        &NewPage::new("cms.page", "Closed"),
        &options,
    )
    .unwrap();
    let editors = create_group(&mut conn, "Editors").unwrap();
    add_to_group(&mut conn, editor, editors.id).unwrap();
    grant_page_permission(&mut conn, editors.id, open.id, PagePermission::Change).unwrap();
    let shared = page::add_child(
        &mut conn,
        open.id,
        &NewPage::new("cms.page", "Shared"),
        &options,
    )
    .unwrap();
    let hidden = page::add_child(
        &mut conn,
        closed.id,
        &NewPage::new("cms.page", "<script>alert(1)</script>\"onerror=x"),
        &options,
    )
    .unwrap();
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
        url,
        admin,
        editor,
        hidden: hidden.id,
        shared: shared.id,
    }
}

fn registry() -> std::sync::Arc<Registry> {
    let mut registry = Registry::new();
    registry.register_model(ModelType::page("cms.page").verbose_name("page"));
    registry.set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
    std::sync::Arc::new(registry)
}

/// Serves the pages for `url` under `/history` on a free port of 127.0.0.1; the request's
/// user is the `x-user` header.
async fn serve(url: &str) -> SocketAddr {
    let manager =
        deadpool_diesel::Manager::<DbConnection>::new(url, deadpool_diesel::Runtime::Tokio1);
    let pool = deadpool_diesel::Pool::builder(manager)
        .max_size(2)
        .build()
        .unwrap();
    let pages = HistoryPages::new(pool, registry(), |request| {
        request.headers.get("x-user")?.to_str().ok()?.parse().ok()
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
    let app = axum::Router::new().nest("/history", pages.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

async fn get(address: SocketAddr, path: &str, user: Option<i64>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("http://{address}/history{path}"));
    if let Some(user) = user {
        request = request.header("x-user", user.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn rows(html: &str) -> usize {
    html.matches("<tr><td>").count()
}

#[tokio::test]
async fn two_users_see_what_each_may_see() {
    let site = site();
    let address = serve(&site.url).await;
    let (status, admin) = get(address, "", Some(site.admin)).await;
    assert_eq!(status, 200, "{admin}");
    assert_eq!(rows(&admin), 50, "a full first page");
    let (_, editor) = get(address, "?q=onerror", Some(site.editor)).await;
    let (_, admin_search) = get(address, "?q=onerror", Some(site.admin)).await;
    assert_eq!((rows(&editor), rows(&admin_search)), (0, 2));
    // Markup in a label is text.
    assert!(admin_search.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;onerror=x"));
    assert!(!admin_search.contains("<script>alert"));
    // Nobody signed in, or a user who does not exist.
    assert_eq!(get(address, "", None).await.0, 403);
    let (status, stranger) = get(address, "", Some(9_999)).await;
    assert_eq!((status, rows(&stranger)), (200, 0));
}

#[tokio::test]
async fn filters_and_pages_follow_the_links() {
    let site = site();
    let address = serve(&site.url).await;
    let (_, first) = get(address, "?action=wagtail.edit", Some(site.admin)).await;
    assert_eq!(rows(&first), 50);
    let next = first
        .split("rel=\"next\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to older entries")
        .replace("&amp;", "&");
    assert!(next.contains("action=wagtail.edit"), "{next}");
    let next = next
        .strip_prefix("/history")
        .expect("a link under the mount path");
    let (status, second) = get(address, next, Some(site.admin)).await;
    assert_eq!(
        (status, rows(&second)),
        (200, 11),
        "60 edits of one page, one of another"
    );
    assert!(!second.contains("rel=\"next\""));
    let (_, creates) = get(address, "?action=wagtail.create", Some(site.admin)).await;
    assert_eq!(rows(&creates), 5, "the five pages");
    let (_, by_user) = get(address, &format!("?user={}", site.admin), Some(site.admin)).await;
    assert_eq!(rows(&by_user), 50);
    assert!(by_user.contains("Ada Admin"));
}

#[tokio::test]
async fn the_csv_download_has_every_visible_row() {
    let site = site();
    let address = serve(&site.url).await;
    let response = reqwest::Client::new()
        .get(format!("http://{address}/history/export?format=csv"))
        .header("x-user", site.editor.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    // A header line, the 60 edits, and the creates of the shared page, its section and the
    // root the editor explores to reach it; nothing of the other section.
    let others: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| !l.contains("\"Edit\""))
        .collect();
    assert_eq!(csv.lines().count(), 1 + 60 + 3, "{others:?}");
    assert!(!csv.contains("onerror") && !csv.contains("Closed"));
    let (status, _) = get(address, "/export?format=pdf", Some(site.admin)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_object_history_and_what_it_refuses() {
    let site = site();
    let address = serve(&site.url).await;
    let path = format!("/object/cms.page/{}", site.shared);
    let (status, html) = get(address, &path, Some(site.editor)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("History of Shared"));
    assert_eq!(rows(&html), 20, "a page of the object's history");
    let (status, _) = get(address, &format!("{path}?page=99"), Some(site.editor)).await;
    assert_eq!(status, 404, "past the end");
    let hidden = format!("/object/cms.page/{}", site.hidden);
    assert_eq!(get(address, &hidden, Some(site.editor)).await.0, 404);
    let (status, html) = get(address, &hidden, Some(site.admin)).await;
    assert_eq!(status, 200);
    // Each edit's field changes; a redacted field only says it changed.
    assert!(html.contains("teeth: 12 → 14"), "{html}");
    assert!(html.contains("secret: changed"));
    assert_eq!(
        get(address, "/object/cms.page/12345", Some(site.admin))
            .await
            .0,
        404
    );
    assert_eq!(
        get(address, "/object/cms.page/seven", Some(site.admin))
            .await
            .0,
        404
    );
    assert_eq!(
        get(address, "?from=yesterday", Some(site.admin)).await.0,
        400
    );
    assert_eq!(
        get(address, "?after=nonsense", Some(site.admin)).await.0,
        400
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_a_503() {
    // Nothing listens on port 1.
    let address = serve("postgres://postgres@127.0.0.1:1/test").await;
    let (status, html) = get(address, "", Some(1)).await;
    assert_eq!(status, 503, "{html}");
    assert!(html.contains("try again"));
}

#[tokio::test]
async fn the_pages_recover_when_the_database_comes_back() {
    let site = site();
    // The database file is not there yet (its folder is missing): every request is a 503.
    let dir = tempfile::tempdir().unwrap();
    let later = dir.path().join("later");
    let url = later.join("site.sqlite3").to_string_lossy().into_owned();
    let address = serve(&url).await;
    assert_eq!(get(address, "", Some(site.admin)).await.0, 503);
    // It comes back: the next request is served, with no restart.
    std::fs::create_dir(&later).unwrap();
    std::fs::copy(&site.url, &url).unwrap();
    let (status, html) = get(address, "", Some(site.admin)).await;
    assert_eq!((status, rows(&html)), (200, 50));
}

#[tokio::test]
async fn dates_show_in_the_requests_time_zone() {
    let site = site();
    let address = serve(&site.url).await;
    let page = |offset: Option<&'static str>| async move {
        let mut request = reqwest::Client::new()
            .get(format!("http://{address}/history?action=wagtail.create"))
            .header("x-user", site.admin.to_string());
        if let Some(offset) = offset {
            request = request.header("x-utc-offset", offset);
        }
        request.send().await.unwrap().text().await.unwrap()
    };
    let now = chrono::Utc::now();
    let hour = |at: chrono::DateTime<chrono::FixedOffset>| at.format("%Y-%m-%d %H:").to_string();
    let utc = chrono::FixedOffset::east_opt(0).unwrap();
    let east = chrono::FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    assert!(page(None).await.contains(&hour(now.with_timezone(&utc))));
    assert!(
        page(Some("330"))
            .await
            .contains(&hour(now.with_timezone(&east)))
    );
}
