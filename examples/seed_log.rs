//! Fills a database with N synthetic page and model entries, for trying reports and exports
//! at scale.
//!
//! ```sh
//! cargo run --release --example seed_log -- big.sqlite3 1000000
//! cargo run --release -- export --format csv --database big.sqlite3 --output audit-log.csv
//! ```

use chrono::{Duration, Utc};
use loggable::entry::{LogTable, ModelLogTable, NewLogEntry, PageLogTable};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| loggable::db::DEFAULT_DATABASE_URL.to_owned());
    let count: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100_000);
    let mut conn = loggable::db::connect(&url)?;
    loggable::db::run_migrations(&mut conn)?;
    let start = Utc::now() - Duration::days(365);
    let actions = [
        "wagtail.create",
        "wagtail.edit",
        "wagtail.publish",
        "wagtail.lock",
        "wagtail.unlock",
    ];
    let mut written = 0;
    while written < count {
        let chunk = (count - written).min(20_000);
        let entries: Vec<NewLogEntry> = (written..written + chunk)
            .map(|i| NewLogEntry {
                object_id: (i % 5_000 + 1).to_string(),
                content_type: Some(
                    if i % 4 == 0 {
                        "shop.product"
                    } else {
                        "cms.simplepage"
                    }
                    .to_owned(),
                ),
                label: format!("Object {}", i % 5_000),
                action: actions[i % actions.len()].to_owned(),
                data: Default::default(),
                timestamp: start + Duration::milliseconds(i as i64 * 30),
                uuid: None,
                user_id: None,
                revision_id: None,
                content_changed: i % 2 == 0,
                deleted: false,
            })
            .collect();
        let (pages, models): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|e| e.content_type.as_deref() == Some("cms.simplepage"));
        loggable::db::transaction(&mut conn, |conn| {
            PageLogTable.insert_many(conn, &pages)?;
            ModelLogTable.insert_many(conn, &models)
        })?;
        written += chunk;
        eprint!("\rseeded {written}/{count}");
    }
    eprintln!();
    Ok(())
}
