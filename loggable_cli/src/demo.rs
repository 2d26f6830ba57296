//! `loggable demo`: a small site and a realistic day of edits by several users, each user
//! action in its own log context, so the site history has something to show.

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use loggable::db::DbConnection;
use loggable::model::LogOptions;
use loggable::page::{self, CopyOptions, NewPage, Page, Position};
use loggable::permission::{PagePermission, add_to_group, create_group, grant_page_permission};
use loggable::prelude::*;
use loggable::privacy::Restriction;
use loggable::registry::ModelType;
use loggable::user::{NewUser, create_user};
use loggable::{LogContext, Loggable, workflow};
use serde::{Deserialize, Serialize};

diesel::table! {
    demo_products (id) {
        id -> BigInt,
        name -> Text,
        price_cents -> Integer,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
        live -> Bool,
        has_unpublished_changes -> Bool,
        first_published_at -> Nullable<Timestamp>,
        last_published_at -> Nullable<Timestamp>,
        live_revision_id -> Nullable<BigInt>,
        latest_revision_id -> Nullable<BigInt>,
    }
}

/// A snippet-like model: a shop product with locking, revisions and draft state.
#[derive(Debug, Clone, Queryable, Serialize, Deserialize, Loggable)]
#[diesel(table_name = demo_products)]
#[loggable(
    content_type = "demo.product",
    verbose_name = "product",
    title = name,
    new = NewProduct<'_>,
    lockable,
    draft_state
)]
struct Product {
    id: i64,
    name: String,
    #[loggable(verbose_name = "price (cents)")]
    price_cents: i32,
    locked: bool,
    locked_at: Option<NaiveDateTime>,
    locked_by: Option<i64>,
    live: bool,
    has_unpublished_changes: bool,
    first_published_at: Option<NaiveDateTime>,
    last_published_at: Option<NaiveDateTime>,
    live_revision_id: Option<i64>,
    latest_revision_id: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = demo_products)]
struct NewProduct<'a> {
    name: &'a str,
    price_cents: i32,
}

const SQLITE_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL_MIGRATIONS: diesel_migrations::EmbeddedMigrations =
    diesel_migrations::embed_migrations!("migrations/mysql");

/// Registers the demo's types, so every command names them as the demo does (a real
/// application registers its own at startup the same way).
pub fn register_types() {
    // The demo's log tables are hash-chained, so `loggable verify` has a chain to walk.
    loggable::registry::update_global(|registry| {
        // The demo's users are the CMS layer's own.
        registry.set_user_directory(std::sync::Arc::new(loggable::user::CmsUsers));
        let chain = std::sync::Arc::new(loggable::integrity::HashChain::new());
        registry.set_write_hook(loggable::entry::PAGE_LOG.name(), chain.clone());
        registry.set_write_hook(loggable::entry::MODEL_LOG.name(), chain);
    });
    loggable::register_model(Product::model_type());
    loggable::register_model(ModelType::page("demo.homepage").verbose_name("home page"));
    loggable::register_model(
        ModelType::page("demo.blogpage")
            .verbose_name("blog page")
            .field("title", "title")
            .field("body", "body"),
    );
}

/// The demo's product table, and hash chains on every log table.
fn prepare(conn: &mut DbConnection) -> Result<()> {
    use diesel_migrations::MigrationHarness;
    let applied = match conn {
        DbConnection::Postgresql(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(drop),
        DbConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS).map(drop),
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(mysql) => mysql.run_pending_migrations(MYSQL_MIGRATIONS).map(drop),
        #[allow(unreachable_patterns)]
        _ => Err("this command line is built without its `mysql` feature".into()),
    };
    applied
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("creating the demo's product table")?;
    for table in loggable::registry::global().log_tables() {
        loggable::integrity::enable(conn, &table).context("starting the hash chains")?;
    }
    Ok(())
}

/// Builds the demo site in `conn` and performs the day's edits; returns how many entries
/// were written.
pub fn run(conn: &mut DbConnection) -> Result<usize> {
    prepare(conn)?;
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..6].to_owned();
    let user = |conn: &mut DbConnection, name: &str, full: &str| -> Result<i64> {
        Ok(create_user(
            conn,
            &NewUser::new(&format!("{name}-{suffix}")).full_name(full),
        )?
        .id)
    };
    let ada = user(conn, "ada", "Ada Lovelace")?;
    let grace = user(conn, "grace", "Grace Hopper")?;
    let linus = user(conn, "linus", "Linus Torvalds")?;
    let editors = create_group(conn, &format!("Editors {suffix}"))?;
    let moderators = create_group(conn, &format!("Moderators {suffix}"))?;
    add_to_group(conn, grace, editors.id)?;
    add_to_group(conn, linus, moderators.id)?;

    // The day is yesterday's, from 08:00 UTC: each user action half an hour after the last,
    // so the history reads like a working day rather than one instant.
    let day_start = (Utc::now() - Duration::days(1))
        .date_naive()
        .and_hms_opt(8, 0, 0)
        .map(|start| start.and_utc())
        .unwrap_or_else(Utc::now);
    let clock = std::cell::Cell::new(day_start);
    let act = |user: i64| {
        clock.set(clock.get() + Duration::minutes(31));
        LogContext::new(Some(user)).at(clock.get())
    };
    let opts = LogOptions::new();
    let root = page::add_root(
        conn,
        &NewPage::new("demo.homepage", "Site root"),
        &LogOptions::new().suppress(),
    )?;
    let home = act(ada).scope(|| -> loggable::Result<Page> {
        let home = page::add_child(conn, root.id, &NewPage::new("demo.homepage", "Home"), &opts)?;
        home.save_and_publish(conn, &Default::default())
    })?;
    let blog = act(ada).scope(|| -> loggable::Result<Page> {
        let blog = page::add_child(conn, home.id, &NewPage::new("demo.blogpage", "Blog"), &opts)?;
        blog.save_and_publish(conn, &Default::default())
    })?;
    grant_page_permission(conn, editors.id, blog.id, PagePermission::Change)?;
    grant_page_permission(conn, moderators.id, home.id, PagePermission::Publish)?;
    let review =
        workflow::create_group_approval_task(conn, &format!("Review {suffix}"), &[moderators.id])?;
    let moderation = workflow::create_workflow(conn, "Moderation", &[review.id])?;
    workflow::assign_to_page(conn, moderation.id, blog.id)?;

    // Grace drafts a post, locks it while she writes, and submits it for review.
    let post = act(grace).scope(|| -> loggable::Result<Page> {
        let post = page::add_child(
            conn,
            blog.id,
            &NewPage::new("demo.blogpage", "Hello world"),
            &opts,
        )?;
        page::save_draft(conn, &post, &opts)?;
        Ok(post)
    })?;
    act(grace).scope(|| post.lock(conn, grace, &Default::default()))?;
    act(grace).scope(|| -> loggable::Result<()> {
        let mut draft = page::find(conn, post.id)?;
        draft.title = "Hello, world".into();
        draft.draft_title = "Hello, world".into();
        page::save_draft_with_comments(
            conn,
            &draft,
            &[page::CommentChange::Create {
                contentpath: "body".into(),
                text: "Needs a picture".into(),
            }],
            // The page is locked: its holder edits it, and says so.
            &opts.clone().user(grace),
        )?;
        Ok(())
    })?;
    act(grace).scope(|| post.unlock(conn, grace, &Default::default()))?;
    act(grace).scope(|| workflow::start(conn, &post, moderation.id, &opts))?;
    // Linus approves: the post is published under its new title.
    act(linus).scope(|| workflow::approve(conn, &post, linus, "Lovely", &opts))?;
    // Ada makes the blog members-only, schedules a page, copies and moves things around.
    act(ada).scope(|| blog.set_restriction(conn, &Restriction::Login, &Default::default()))?;
    let about = act(ada).scope(|| -> loggable::Result<Page> {
        let about = page::add_child(
            conn,
            home.id,
            &NewPage::new("demo.homepage", "About"),
            &opts,
        )?;
        let mut draft = about.clone();
        draft.go_live_at = Some((Utc::now() + Duration::hours(4)).naive_utc());
        let revision = page::save_draft(conn, &draft, &opts)?;
        draft.publish(conn, revision.id, &Default::default())
    })?;
    let archive = act(ada).scope(|| {
        page::copy(
            conn,
            blog.id,
            home.id,
            &CopyOptions {
                recursive: true,
                ..CopyOptions::default()
            },
            &opts,
        )
    })?;
    act(ada).scope(|| page::move_page(conn, about.id, Position::FirstChildOf(home.id), &opts))?;
    act(ada).scope(|| page::delete(conn, archive.id, &opts))?;
    // Grace runs the shop: a product is created, published, repriced in a draft under lock,
    // and a second one is withdrawn and deleted.
    let duck = act(grace).scope(|| -> loggable::Result<Product> {
        let duck = Product::create(
            conn,
            &NewProduct {
                name: "Rubber duck",
                price_cents: 300,
            },
            &Default::default(),
        )?;
        duck.save_and_publish(conn, &Default::default())
    })?;
    act(grace).scope(|| duck.lock(conn, grace, &Default::default()))?;
    act(grace).scope(|| -> loggable::Result<()> {
        let mut dearer = duck.clone();
        dearer.price_cents = 400;
        dearer.save_draft(conn, &LogOptions::new().user(grace))?;
        Ok(())
    })?;
    act(grace).scope(|| duck.unlock(conn, grace, &Default::default()))?;
    act(ada).scope(|| -> loggable::Result<()> {
        let kazoo = Product::create(
            conn,
            &NewProduct {
                name: "Kazoo",
                price_cents: 150,
            },
            &Default::default(),
        )?;
        kazoo.delete(conn, &Default::default())
    })?;
    // The periodic job runs later that day.
    Page::run_scheduled(conn, Utc::now() + Duration::hours(5), &Default::default())?;
    let registry = loggable::registry::global();
    let everything = loggable::entry::EntryQuery::new(loggable::entry::EntryScope::All);
    let mut written = 0;
    for table in registry.log_tables() {
        written += table.count(conn, &everything)?;
    }
    Ok(usize::try_from(written)?)
}

/// `loggable stress` (hidden; the crash tests drive it): creates products and raises their
/// price by one cent at a time, each change with its entry in its own transaction, `ops`
/// times, printing the count every 100 operations. Every product starts at 100 cents, so a
/// product's price says how many edits it must have in the log.
pub fn stress(conn: &mut DbConnection, ops: u64) -> Result<()> {
    prepare(conn)?;
    let mut product: Option<Product> = None;
    for op in 0..ops {
        product = Some(match product.take() {
            Some(mut current) if op % 10 != 0 => {
                current.price_cents += 1;
                current.update(conn, &Default::default())?;
                current
            }
            _ => Product::create(
                conn,
                &NewProduct {
                    name: "Stress test",
                    price_cents: 100,
                },
                &Default::default(),
            )?,
        });
        if op % 100 == 0 {
            println!("{op}");
        }
    }
    Ok(())
}
