//! The integration suite. One binary (one link step); runs against SQLite by default and
//! against PostgreSQL when `DATABASE_URL` names one.

mod common;
/// loggable's own table definitions, for tests that look at the rows themselves.
#[path = "../../src/schema.rs"]
#[allow(dead_code)]
mod tables;

mod anchoring;
mod app_connection;
mod async_context;
mod buffered;
mod chain_keys;
mod concurrency;
mod connection;
mod contention;
mod context;
mod custom_table;
mod derive;
mod docs;
mod fidelity;
mod history;
mod hostile;
mod integrity;
mod log_tables;
mod lifecycle;
mod lifecycle_bulk;
mod lifecycle_publishing;
mod lifecycle_statement;
mod messages;
mod migrations;
mod outage;
mod page_history;
mod page_revisions;
mod pages;
mod reading;
mod registry;
mod unreadable;
mod report;
mod schema;
mod visibility;
mod visibility_sql;
mod workflows;
mod writing;
