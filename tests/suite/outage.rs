//! Database down (issue #9): PostgreSQL or MySQL becoming unreachable mid-run gives typed
//! errors, never a half-applied operation, and the next call after it is back succeeds. The server is put
//! out of reach by a TCP proxy the test controls (stopping the real server would break every
//! other test running beside this one). SQLite has no server to lose; the test does nothing
//! there.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use loggable::entry::{EntryQuery, EntryScope, MODEL_LOG};
use loggable::{ObjectRef, log};

use crate::common::TestDb;

/// Forwards connections to `upstream` until told to go down.
struct Proxy {
    address: String,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let down = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (flag, streams) = (down.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut streams = streams.lock().unwrap();
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server.try_clone().unwrap(), client.try_clone().unwrap()),
                ] {
                    std::thread::spawn(move || {
                        let mut buffer = [0_u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buffer) {
                            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
                streams.extend([client, server]);
            }
        });
        Self {
            address,
            down,
            open,
        }
    }

    /// Cuts every open connection and refuses new ones.
    fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn come_back(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

fn entries(conn: &mut loggable::db::DbConnection) -> Vec<String> {
    MODEL_LOG
        .query(conn, &EntryQuery::new(EntryScope::All))
        .unwrap()
        .into_iter()
        .map(|e| e.label)
        .collect()
}

#[test]
fn the_server_going_away_gives_typed_errors_applies_nothing_and_recovers() {
    let mut db = TestDb::new();
    if db.backend() == loggable::db::BackendKind::Sqlite {
        return;
    }
    // Route this test's schema through the proxy: replace the URL's host and port.
    let url = db.url().to_owned();
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (host_port, path) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host_port.to_owned());
    let proxied = format!("{scheme_user}@{}/{path}", proxy.address);
    let pool = diesel::r2d2::Pool::builder()
        .max_size(2)
        .test_on_check_out(true)
        .connection_timeout(std::time::Duration::from_secs(2))
        .build(loggable::db::ConnectionManager::new(&proxied).unwrap())
        .unwrap();
    let registry = loggable::registry::Registry::new();
    let write = |conn: &mut loggable::db::DbConnection, label: &str| {
        log(
            &ObjectRef::new("shop.widget", 1).title(label),
            "wagtail.edit",
        )
        .write_with(conn, &registry)
    };

    let mut conn = pool.get().unwrap();
    write(&mut conn, "before").unwrap();

    // Down in the middle of a transaction: the change and its entry are both refused.
    let failed = loggable::db::transaction(&mut conn, |conn| {
        write(conn, "half")?;
        proxy.go_down();
        write(conn, "never")
    });
    let error = failed.unwrap_err();
    assert!(
        matches!(error, loggable::Error::Database { .. }) && error.is_connection_lost(),
        "a typed database error, got {error:?}"
    );
    // Down between calls: the next write on the dead connection fails the same way.
    let error = write(&mut conn, "while down").unwrap_err();
    assert!(error.is_connection_lost(), "{error:?}");
    drop(conn);
    // No new connection while it is down: a typed pool error, no panic.
    assert!(pool.get().is_err());
    assert_eq!(entries(&mut db.conn), ["before"], "nothing half-applied");

    proxy.come_back();
    let mut conn = pool
        .get()
        .expect("a fresh connection once the server is back");
    write(&mut conn, "after").unwrap();
    assert_eq!(entries(&mut db.conn), ["after", "before"]);
    let direct: i64 = crate::tables::loggable_model_log_entries::table
        .count()
        .get_result(&mut db.conn)
        .unwrap();
    assert_eq!(direct, 2);
}
