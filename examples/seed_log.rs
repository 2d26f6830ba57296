//! Fills a database with N synthetic page and model entries, for trying reports and exports
//! at scale.
//!
//! ```sh
//! cargo run --release --example seed_log -- big.sqlite3 1000000
//! cargo run --release -- export --format csv --database big.sqlite3 --output audit-log.csv
//! ```

use chrono::{Duration, Utc};
use loggable::model::{log_bulk, prepare_bulk};
use loggable::registry::{ModelType, Registry};
use loggable::{ObjectRef, log};

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
    let mut registry = Registry::new();
    registry.register_model(ModelType::page("cms.simplepage"));
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
        let objects: Vec<ObjectRef> = (written..written + chunk)
            .map(|i| {
                let content_type = if i % 4 == 0 {
                    "shop.product"
                } else {
                    "cms.simplepage"
                };
                ObjectRef::new(content_type, i % 5_000 + 1).title(format!("Object {}", i % 5_000))
            })
            .collect();
        // Validated in memory, then written with multi-row INSERTs in one transaction.
        let entries = prepare_bulk(
            &registry,
            objects.iter().enumerate().map(|(k, object)| {
                let i = written + k;
                log(object, actions[i % actions.len()])
                    .timestamp(start + Duration::milliseconds(i as i64 * 30))
                    .content_changed(i % 2 == 0)
            }),
        )?;
        log_bulk(&mut conn, &entries)?;
        written += chunk;
        eprint!("\rseeded {written}/{count}");
    }
    eprintln!();
    Ok(())
}
