//! The history pages over real HTTP on 127.0.0.1: status codes, permission filtering, filters,
//! paging, downloads, escaping, and what a bad request or an outage gets.

use std::net::SocketAddr;

mod support;

use crate::support::{serve, serve_at, site, sqlite_site};

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
    assert_eq!((rows(&editor), rows(&admin_search)), (0, 4));
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
        (200, 12),
        "60 edits of one page, two of another"
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
    assert!(
        html.contains("Live version"),
        "the published revision is marked"
    );
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
    // A download too: refused before any header goes out, never an empty file.
    assert_eq!(get(address, "/export?format=csv", Some(1)).await.0, 503);
}

#[tokio::test]
async fn the_pages_recover_when_the_database_comes_back() {
    // A SQLite file that appears: the database coming back, on any machine.
    let site = sqlite_site();
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

/// The `href` of the first link whose tag or text holds `marker` (e.g. `rel="next"` or
/// `>Blog</a>`) in `html`.
fn link(html: &str, marker: &str) -> String {
    let at = html.find(marker).expect("the link");
    let tag = html[..at].rfind("<a ").expect("a link tag");
    let start = tag + html[tag..].find("href=\"").expect("an href") + 6;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn an_objects_pages_keep_its_filters() {
    let site = site();
    let address = serve(&site.url).await;
    let path = format!("/object/cms.page/{}?action=wagtail.edit", site.shared);
    let (status, first) = get(address, &path, Some(site.admin)).await;
    assert_eq!((status, rows(&first)), (200, 20));
    assert!(
        first.contains("Page 1 of 3"),
        "60 edits, not the create too"
    );
    let older = link(&first, "rel=\"next\"");
    assert!(
        older.contains("action=wagtail.edit") && older.contains("page=2"),
        "{older}"
    );
    let (status, second) = get(
        address,
        &format!("/object/cms.page/{}{older}", site.shared),
        Some(site.admin),
    )
    .await;
    assert_eq!((status, rows(&second)), (200, 20));
    assert!(second.contains("Page 2 of 3"));
}

#[tokio::test]
async fn a_type_logging_to_a_table_the_registry_does_not_know_is_linked_and_found() {
    let site = site();
    // A page type nobody registered: its entries go to the page table pages declare.
    let mut conn = loggable::db::connect(&site.url).unwrap();
    let root = loggable::page::find_by_path(&mut conn, "0001")
        .unwrap()
        .unwrap();
    loggable::page::add_child(
        &mut conn,
        root.id,
        &loggable::page::NewPage::new("cms.blogpage", "Blog"),
        &loggable::model::LogOptions::new(),
    )
    .unwrap();
    drop(conn);
    let address = serve(&site.url).await;
    let (_, found) = get(address, "?q=Blog", Some(site.admin)).await;
    let object = link(&found, ">Blog</a>");
    assert!(
        object.contains("table=loggable_page_log_entries"),
        "{object}"
    );
    let object = object.strip_prefix("/history").expect("under the mount");
    let (status, html) = get(address, object, Some(site.admin)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("History of Blog"));
}

#[tokio::test]
async fn links_follow_a_mount_with_path_parameters() {
    let site = site();
    let address = serve_at(&site.url, None, "/{tenant}/history").await;
    let response = reqwest::Client::new()
        .get(format!("http://{address}/acme/history?action=wagtail.edit"))
        .header("x-user", site.admin.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.unwrap();
    assert!(
        link(&html, "rel=\"next\"").starts_with("/acme/history?"),
        "{html}"
    );
    assert!(link(&html, ">Shared</a>").starts_with("/acme/history/object/cms.page/"));
}
