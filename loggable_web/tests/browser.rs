//! The pages in headless Chromium (Debian's `chromium` and `chromium-driver`), driven over
//! WebDriver: filter by action and user, page forward, open an object's history, download the
//! CSV, and see markup in a label as text. With `LOGGABLE_SCREENSHOTS=1` it also refreshes the
//! screenshots under `docs/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

mod support;

use crate::support::{serve_as, site};

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

fn start_driver() -> Driver {
    let port = free_port();
    let process = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect(
            "chromedriver runs (Debian: apt-get install chromium chromium-driver; .ci/run installs them)",
        );
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn browser(driver: &Driver, downloads: &Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900"],
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

async fn rows(client: &Client) -> usize {
    client
        .find_all(Locator::Css("tbody tr"))
        .await
        .unwrap()
        .len()
}

async fn click(client: &Client, locator: Locator<'_>) {
    client.find(locator).await.unwrap().click().await.unwrap();
}

/// Clicks what leads to another page and waits until that page has loaded (a loaded machine
/// can answer the next command before the navigation is done).
async fn click_through(client: &Client, locator: Locator<'_>) {
    let before = client.current_url().await.unwrap();
    click(client, locator).await;
    let started = Instant::now();
    loop {
        let moved = client.current_url().await.unwrap() != before;
        let ready = client
            .execute("return document.readyState", Vec::new())
            .await
            .unwrap();
        if moved && ready == "complete" {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no new page");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Chooses `value` in the filter form's `select` named `name` and submits the form.
async fn filter(client: &Client, name: &str, value: &str) {
    let select = format!("select[name={name}]");
    let select = client.find(Locator::Css(&select)).await.unwrap();
    select.select_by_value(value).await.unwrap();
    click_through(client, Locator::Css("button[type=submit]")).await;
}

async fn screenshot(client: &Client, name: &str) {
    if std::env::var_os("LOGGABLE_SCREENSHOTS").is_none() {
        return;
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/screenshots")
        .join(name);
    std::fs::write(path, client.screenshot().await.unwrap()).unwrap();
}

#[tokio::test]
async fn an_editor_clicks_through_the_history_in_chromium() {
    let site = site();
    let address = serve_as(&site.url, Some(site.admin)).await;
    let driver = start_driver();
    let downloads = tempfile::tempdir().unwrap();
    let client = browser(&driver, downloads.path()).await;
    let home = format!("http://{address}/history");
    client.goto(&home).await.unwrap();
    assert_eq!(rows(&client).await, 50);
    screenshot(&client, "site-history.png").await;

    // A label holding markup is text: the link reads as the markup, and nothing ran.
    client.goto(&format!("{home}?q=onerror")).await.unwrap();
    let hostile = client
        .find(Locator::XPath("//a[contains(text(), 'onerror')]"))
        .await
        .unwrap();
    assert_eq!(
        hostile.text().await.unwrap(),
        "<script>alert(1)</script>\"onerror=x"
    );

    // Filter by action, then by user too.
    client.goto(&home).await.unwrap();
    filter(&client, "action", "wagtail.create").await;
    assert!(url_contains(&client, "action=wagtail.create").await);
    assert_eq!(rows(&client).await, 5);
    filter(&client, "user", &site.admin.to_string()).await;
    assert_eq!(
        rows(&client).await,
        0,
        "the admin created no page: the system did"
    );

    // Page forward from the unfiltered history.
    client.goto(&home).await.unwrap();
    click_through(&client, Locator::Css("a[rel=next]")).await;
    assert!(url_contains(&client, "after=").await);
    assert_eq!(rows(&client).await, 18, "68 entries, 50 a page");

    // Open an object's history from a row.
    client.goto(&home).await.unwrap();
    click_through(&client, Locator::LinkText("Shared")).await;
    let title = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "History of Shared");
    assert_eq!(rows(&client).await, 20);
    // The published page with a field edit: marks and changes, for the screenshot.
    client
        .goto(&format!("{home}/object/cms.page/{}", site.hidden))
        .await
        .unwrap();
    client
        .find(Locator::XPath(
            "//td[@class='mark' and text()='Live version']",
        ))
        .await
        .expect("the live version marked");
    assert!(client.source().await.unwrap().contains("teeth: 12 → 14"));
    screenshot(&client, "object-history.png").await;

    // Download the CSV.
    client.goto(&home).await.unwrap();
    click(&client, Locator::LinkText("Download CSV")).await;
    let file = downloads.path().join("history.csv");
    let started = Instant::now();
    while !file.exists() {
        assert!(started.elapsed() < Duration::from_secs(20), "no download");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(csv.lines().count(), 1 + 68, "{csv}");
    client.close().await.unwrap();
}

/// Whether the browser's current address contains `text`.
async fn url_contains(client: &Client, text: &str) -> bool {
    client.current_url().await.unwrap().as_str().contains(text)
}
