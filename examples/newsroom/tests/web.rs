//! The newsroom's web front over real HTTP on 127.0.0.1: loggable's tower layer attributes
//! each request's entries to the user its header names, under the request's own UUID.
#![cfg(feature = "web")]

use loggable::LogContext;
use loggable::prelude::*;
use newsroom::{Article, NewArticle, add_user, migrate, pool, register};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends one HTTP/1.1 request and returns the response's status code.
async fn send(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("PUT {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {response:?}"))
}

/// The newsroom's database for this test, and what keeps it alive.
#[cfg(feature = "sqlite")]
fn database() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("newsroom.sqlite3").display().to_string();
    (url, dir)
}

/// The newsroom's database for this test, and what keeps it alive.
#[cfg(feature = "postgres")]
fn database() -> (String, loggable::db::IsolatedSchema) {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = loggable::db::IsolatedSchema::create(&server, "newsroom_web").unwrap();
    (schema.url().to_owned(), schema)
}

#[test]
fn requests_log_as_the_user_their_header_names_under_their_request_id() {
    let (url, _keep) = database();
    let pool = pool(&url, 4).unwrap();
    let mut conn = pool.get().unwrap();
    migrate(&mut conn).unwrap();
    register();
    let (nellie, ida) = (
        add_user(&mut conn, "Nellie Bly").unwrap(),
        add_user(&mut conn, "Ida Tarbell").unwrap(),
    );
    let article = LogContext::new(Some(nellie.0))
        .scope(|| {
            Article::create(
                &mut *conn,
                &NewArticle {
                    title: "Draft",
                    body: serde_json::json!({}),
                    author_id: nellie,
                },
                &Default::default(),
            )
        })
        .unwrap();
    drop(conn);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let requests: Vec<(uuid::Uuid, newsroom::AccountId, &str)> = vec![
        (uuid::Uuid::new_v4(), nellie, "First title"),
        (uuid::Uuid::new_v4(), ida, "Second title"),
        (uuid::Uuid::new_v4(), nellie, "Third title"),
    ];
    let path = format!("/articles/{}/title", article.id);
    let (statuses, locked_status, missing) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = newsroom::web::router(pool.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let mut statuses = Vec::new();
        for (request_id, user, title) in &requests {
            let headers = [
                ("x-user-id", user.0.to_string()),
                ("x-request-id", request_id.to_string()),
            ];
            statuses.push(send(addr, &path, &headers, title).await);
        }
        // Nellie locks it: Ida's request is refused, however her context reads.
        let mut conn = pool.get().unwrap();
        Article::find(&mut conn, &article.id)
            .unwrap()
            .lock(&mut conn, nellie, &Default::default())
            .unwrap();
        drop(conn);
        let locked = send(addr, &path, &[("x-user-id", ida.0.to_string())], "Ida's").await;
        let missing = send(addr, "/articles/999999/title", &[], "Nobody's").await;
        server.abort();
        (statuses, locked, missing)
    });
    assert_eq!(statuses, [204, 204, 204]);
    assert_eq!(locked_status, 409);
    assert_eq!(missing, 404);

    let mut conn = pool.get().unwrap();
    let history =
        loggable::entries_for_object(&mut conn, &loggable::registry::global(), &article).unwrap();
    let edits: Vec<_> = history
        .iter()
        .rev()
        .filter(|e| e.action == "wagtail.edit")
        .map(|e| {
            (
                e.uuid,
                e.user_id.clone(),
                e.data["changes"]["title"][1].clone(),
            )
        })
        .collect();
    let expected: Vec<_> = requests
        .iter()
        .map(|(request_id, user, title)| {
            (
                Some(*request_id),
                Some(loggable::UserId::from(user.0)),
                serde_json::json!(title),
            )
        })
        .collect();
    assert_eq!(edits, expected);
    assert_eq!(
        Article::find(&mut conn, &article.id).unwrap().title,
        "Third title",
        "the refused request changed nothing"
    );
}
