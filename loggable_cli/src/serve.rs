//! `loggable serve`: the history pages of `loggable-web` for one database, as one user sees
//! them.

use anyhow::{Context, Result};

/// Serves the pages for `database` at `bind` until interrupted.
pub(crate) fn run(database: &str, as_user: i64, bind: std::net::SocketAddr) -> Result<()> {
    // Refuses a missing database or an outdated schema before anything listens.
    drop(crate::open_existing(database)?);
    let url = loggable::db::DatabaseUrl::parse(database)?;
    let pool = loggable::db::pool(database, 4)?;
    let pages =
        loggable_web::HistoryPages::new(pool, loggable::registry::global(), move |_| Some(as_user));
    let runtime = tokio::runtime::Runtime::new().context("starting the server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        let address = listener.local_addr()?;
        let reach = if address.ip().is_loopback() {
            "this machine only"
        } else {
            "reachable from other machines"
        };
        eprintln!(
            "Serving the history of {url} as user {as_user} at http://{address}/ ({reach}); \
             Ctrl-C stops."
        );
        axum::serve(listener, pages.router())
            .await
            .context("serving the history")
    })
}
