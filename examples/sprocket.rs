//! A `Sprocket` model with locking, revisions, draft state and scheduling: a day of edits by
//! two users, then its history as the log shows it.
//!
//! ```sh
//! cargo run --example sprocket                       # SQLite in memory
//! DATABASE_URL=postgres://postgres@127.0.0.1/test cargo run --example sprocket
//! ```

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use loggable::prelude::*;
use loggable::user::{NewUser, create_user};
use loggable::{LogContext, Loggable};
use serde::{Deserialize, Serialize};

diesel::table! {
    example_sprockets (id) {
        id -> BigInt,
        name -> Text,
        teeth -> Integer,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
        live -> Bool,
        has_unpublished_changes -> Bool,
        first_published_at -> Nullable<Timestamp>,
        last_published_at -> Nullable<Timestamp>,
        live_revision_id -> Nullable<BigInt>,
        latest_revision_id -> Nullable<BigInt>,
        go_live_at -> Nullable<Timestamp>,
        expire_at -> Nullable<Timestamp>,
        expired -> Bool,
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Deserialize, Loggable)]
#[diesel(table_name = example_sprockets)]
#[loggable(content_type = "shop.sprocket", title = name, new = NewSprocket<'_>, lockable, scheduling)]
struct Sprocket {
    id: i64,
    name: String,
    #[loggable(verbose_name = "number of teeth")]
    teeth: i32,
    locked: bool,
    locked_at: Option<NaiveDateTime>,
    locked_by: Option<i64>,
    live: bool,
    has_unpublished_changes: bool,
    first_published_at: Option<NaiveDateTime>,
    last_published_at: Option<NaiveDateTime>,
    live_revision_id: Option<i64>,
    latest_revision_id: Option<i64>,
    go_live_at: Option<NaiveDateTime>,
    expire_at: Option<NaiveDateTime>,
    expired: bool,
}

#[derive(Insertable)]
#[diesel(table_name = example_sprockets)]
struct NewSprocket<'a> {
    name: &'a str,
    teeth: i32,
}

/// The example's own table. Backend-specific DDL only because an example has no migrations
/// directory of its own; an application would use Diesel migrations.
fn create_table(conn: &mut loggable::db::DbConnection) -> QueryResult<usize> {
    let (id, timestamp) = match conn.backend() {
        loggable::db::BackendKind::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TIMESTAMP"),
        loggable::db::BackendKind::Postgresql => ("BIGSERIAL PRIMARY KEY", "TIMESTAMP"),
        // MySQL's TIMESTAMP converts time zones and ends in 2038; DATETIME does neither.
        loggable::db::BackendKind::Mysql => ("BIGINT AUTO_INCREMENT PRIMARY KEY", "DATETIME(6)"),
    };
    diesel::sql_query(format!(
        "CREATE TABLE IF NOT EXISTS example_sprockets (id {id}, name TEXT NOT NULL, \
         teeth INTEGER NOT NULL, locked BOOLEAN NOT NULL DEFAULT FALSE, locked_at {timestamp}, \
         locked_by BIGINT, live BOOLEAN NOT NULL DEFAULT FALSE, \
         has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE, first_published_at {timestamp}, \
         last_published_at {timestamp}, live_revision_id BIGINT, latest_revision_id BIGINT, \
         go_live_at {timestamp}, expire_at {timestamp}, expired BOOLEAN NOT NULL DEFAULT FALSE)"
    ))
    .execute(conn)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| ":memory:".to_owned());
    let mut conn = loggable::db::connect(&url)?;
    loggable::db::run_migrations(&mut conn)?;
    create_table(&mut conn)?;
    loggable::register_model(Sprocket::model_type());

    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let ada = create_user(
        &mut conn,
        &NewUser::new(&format!("ada-{suffix}")).full_name("Ada Lovelace"),
    )?;
    let grace = create_user(
        &mut conn,
        &NewUser::new(&format!("grace-{suffix}")).full_name("Grace Hopper"),
    )?;

    // Each block is one user action: one context, one uuid.
    let sprocket = LogContext::new(Some(ada.id)).scope(|| {
        Sprocket::create(
            &mut conn,
            &NewSprocket {
                name: "Left sprocket",
                teeth: 12,
            },
            &Default::default(),
        )
    })?;
    LogContext::new(Some(ada.id)).scope(|| -> loggable::Result<()> {
        let mut draft = sprocket.clone();
        draft.teeth = 14;
        draft.save_and_publish(&mut conn, &Default::default())?;
        Ok(())
    })?;
    // Grace locks it; while it is locked only she may change it, and she says who she is
    // (the log context only attributes entries; it grants nothing).
    LogContext::new(Some(grace.id))
        .scope(|| sprocket.lock(&mut conn, grace.id, &Default::default()))?;
    LogContext::new(Some(grace.id)).scope(|| -> loggable::Result<()> {
        let as_grace = loggable::model::LogOptions::new().user(grace.id);
        let mut renamed = Sprocket::find(&mut conn, &sprocket.id)?;
        renamed.name = "Port sprocket".into();
        renamed.go_live_at = Some((Utc::now() + Duration::hours(2)).naive_utc());
        let revision = renamed.save_draft(&mut conn, &as_grace)?;
        renamed.publish(&mut conn, revision.id, &as_grace)?;
        Ok(())
    })?;
    LogContext::new(Some(grace.id))
        .scope(|| sprocket.unlock(&mut conn, grace.id, &Default::default()))?;
    // The periodic job, three hours later: publishes the scheduled draft.
    Sprocket::run_scheduled(
        &mut conn,
        Utc::now() + Duration::hours(3),
        &Default::default(),
    )?;

    let registry = loggable::registry::global();
    let history = loggable::history_for_object(&mut conn, &registry, &sprocket)?;
    let names = registry.display_names(&mut conn, history.iter().map(|e| e.user_id.clone()))?;
    println!(
        "History of {} ({}):",
        sprocket.name,
        sprocket.content_type()
    );
    for entry in &history {
        println!(
            "  {}  {:<14} {}",
            entry.timestamp.format("%H:%M:%S%.3f"),
            names.get(entry.user_id.as_ref()),
            registry.message(entry)
        );
    }
    Ok(())
}
