//! What the binary shows people: the history pages it serves, and an object's history with
//! what each edit changed.

mod support;

use crate::support::{loggable, stderr, stdout};

#[test]
fn serve_shows_the_history_in_a_browser_on_loopback() {
    use std::io::{BufRead, Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let demo = loggable(&["demo"], dir.path());
    assert!(demo.status.success(), "{}", stderr(&demo));
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_loggable"))
        .args(["serve", "--as", "2", "--bind", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    std::io::BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert!(said.contains("this machine only"), "{said}");
    let address = said
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("Site history") && response.contains("Ada Lovelace"),
        "{response}"
    );
}

#[test]
fn an_objects_history_shows_what_each_edit_changed() {
    let dir = tempfile::tempdir().unwrap();
    assert!(loggable(&["demo"], dir.path()).status.success());
    // The demo reprices its rubber duck in a draft.
    let history = loggable(&["history", "--object", "demo.product:1"], dir.path());
    assert!(history.status.success(), "{}", stderr(&history));
    assert!(
        stdout(&history).contains("price_cents: 300 → 400"),
        "{}",
        stdout(&history)
    );
}
