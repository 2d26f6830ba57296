//! The newsroom: an application with its own Diesel tables, its own users (UUID keys) and its
//! own migrations, that logs its models with loggable. It runs on PostgreSQL (an r2d2 pool
//! of plain `PgConnection`s) and is tested on SQLite (a plain `SqliteConnection`); the
//! backend is chosen at build time by the `postgres` or `sqlite` feature.
//!
//! Nothing here names a loggable connection type: every operation takes the newsroom's own
//! connection, inside the newsroom's own transactions.

#[cfg(all(feature = "postgres", feature = "sqlite"))]
compile_error!("the newsroom is built for one backend: `postgres` or `sqlite`");

mod account;
pub mod schema;
#[cfg(feature = "web")]
pub mod web;

use loggable::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use loggable::db::BackendConnection;
use loggable::model::LogOptions;
use loggable::{LogContext, Loggable, UserDirectory, UserId};
use serde::Serialize;

pub use crate::account::AccountId;
use crate::schema::{articles, pages, users};

/// The column types that differ by backend.
pub mod sql_types {
    /// A user key: PostgreSQL's UUID, text on SQLite.
    #[cfg(feature = "postgres")]
    pub type AccountKey = diesel::sql_types::Uuid;
    /// A user key: PostgreSQL's UUID, text on SQLite.
    #[cfg(feature = "sqlite")]
    pub type AccountKey = diesel::sql_types::Text;

    /// A point in time with its zone: `TIMESTAMPTZ` on PostgreSQL.
    #[cfg(feature = "postgres")]
    pub type Moment = diesel::sql_types::Timestamptz;
    /// A point in time with its zone: text with an offset on SQLite.
    #[cfg(feature = "sqlite")]
    pub type Moment = diesel::sql_types::TimestamptzSqlite;
}

/// The newsroom's connection.
#[cfg(feature = "postgres")]
pub type Conn = diesel::PgConnection;
/// The newsroom's connection.
#[cfg(feature = "sqlite")]
pub type Conn = diesel::SqliteConnection;

/// The newsroom's pool of its own connections (r2d2).
pub type Pool = diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<Conn>>;

/// Gives each pooled SQLite connection loggable's recommended settings (WAL, a busy timeout
/// for concurrent writers, foreign keys).
#[cfg(feature = "sqlite")]
#[derive(Debug)]
struct SqliteSettings;

#[cfg(feature = "sqlite")]
impl diesel::r2d2::CustomizeConnection<Conn, diesel::r2d2::Error> for SqliteSettings {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        loggable::db::configure_sqlite(conn, true).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A pool of up to `size` connections to `url`.
pub fn pool(url: &str, size: u32) -> Result<Pool> {
    let builder = diesel::r2d2::Pool::builder().max_size(size);
    #[cfg(feature = "sqlite")]
    let builder = builder.connection_customizer(Box::new(SqliteSettings));
    builder
        .build(diesel::r2d2::ConnectionManager::<Conn>::new(url))
        .map_err(|e| Error::Pool(e.to_string()))
}

/// loggable's core (copied in with `loggable write-migrations --core-only`), then the
/// newsroom's own tables: one migrations folder, as `diesel migration run` sees it.
#[cfg(feature = "postgres")]
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// loggable's core, then the newsroom's own tables.
#[cfg(feature = "sqlite")]
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The newsroom's errors: its own database, or loggable.
#[derive(Debug)]
pub enum Error {
    /// A statement of the newsroom's own failed.
    Database(diesel::result::Error),
    /// Logging failed (nothing of the operation was written).
    Log(loggable::Error),
    /// The migrations failed.
    Migrations(String),
    /// No pooled connection could be had.
    Pool(String),
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(e)
    }
}

impl From<loggable::Error> for Error {
    fn from(e: loggable::Error) -> Self {
        Self::Log(e)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Database(e) => write!(f, "database: {e}"),
            Self::Log(e) => write!(f, "audit log: {e}"),
            Self::Migrations(e) => write!(f, "migrations: {e}"),
            Self::Pool(e) => write!(f, "connection pool: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// The newsroom's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A news article: its body is JSON, its publication time has a zone, and it can be locked
/// by one of the newsroom's users.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, Loggable)]
#[diesel(table_name = articles)]
#[loggable(content_type = "newsroom.article", title = title, new = NewArticle<'_>, lockable)]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub body: serde_json::Value,
    pub published_at: Option<DateTime<Utc>>,
    pub author_id: AccountId,
    pub locked: bool,
    pub locked_at: Option<NaiveDateTime>,
    pub locked_by: Option<AccountId>,
}

/// An article to write.
#[derive(Insertable)]
#[diesel(table_name = articles)]
pub struct NewArticle<'a> {
    pub title: &'a str,
    pub body: serde_json::Value,
    pub author_id: AccountId,
}

/// A page of the newsroom's own site (its own `pages` table; loggable's CMS tables, if an
/// application installs them, are `loggable_pages` and never collide).
#[derive(Debug, Clone, PartialEq, Queryable, Serialize, Loggable)]
#[diesel(table_name = pages)]
#[loggable(content_type = "newsroom.page", title = title, new = NewPage<'_>)]
pub struct Page {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// A page to create.
#[derive(Insertable)]
#[diesel(table_name = pages)]
pub struct NewPage<'a> {
    pub slug: &'a str,
    pub title: &'a str,
}

/// The newsroom's users table as loggable's source of display names.
pub struct Staff;

impl UserDirectory for Staff {
    fn display_names(
        &self,
        conn: BackendConnection<'_>,
        ids: &[UserId],
    ) -> loggable::Result<HashMap<UserId, String>> {
        let keys: Vec<AccountId> = ids
            .iter()
            .filter_map(UserId::as_uuid)
            .map(AccountId)
            .collect();
        let query = users::table
            .filter(users::id.eq_any(keys))
            .select((users::id, users::name));
        let rows: Vec<(AccountId, String)> = match conn {
            #[cfg(feature = "postgres")]
            BackendConnection::Postgresql(pg) => query.load(pg),
            #[cfg(feature = "sqlite")]
            BackendConnection::Sqlite(sqlite) => query.load(sqlite),
            #[allow(unreachable_patterns)]
            _ => Ok(Vec::new()),
        }
        .map_err(|source| loggable::Error::Database {
            context: "reading the newsroom's users",
            source,
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| (loggable::UserKey::to_user_id(&id), name))
            .collect())
    }
}

/// Tells loggable about the newsroom's models and users; call once at start-up.
pub fn register() {
    loggable::register_model(Article::model_type());
    loggable::register_model(Page::model_type());
    loggable::registry::update_global(|registry| {
        registry.set_user_directory(Arc::new(Staff));
    });
}

/// Applies loggable's core and the newsroom's own migrations.
pub fn migrate(conn: &mut Conn) -> Result<()> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(drop)
        .map_err(|e| Error::Migrations(e.to_string()))
}

/// Adds a user.
pub fn add_user(conn: &mut Conn, name: &str) -> Result<AccountId> {
    let id = AccountId::random();
    diesel::insert_into(users::table)
        .values((users::id.eq(id), users::name.eq(name)))
        .execute(conn)?;
    Ok(id)
}

/// One editor's day, each step one user action in the newsroom's own transaction: write an
/// article, rework its body, lock it, retitle every article of its author at once, publish
/// the site's front page, and delete a draft. Returns the article as it ends up.
pub fn editorial_day(conn: &mut Conn, editor: AccountId) -> Result<Article> {
    let acting = LogContext::new(Some(editor.0));
    let article = acting.scope(|| {
        conn.transaction(|conn| {
            let article = Article::create(
                conn,
                &NewArticle {
                    title: "Harbour reopens",
                    body: serde_json::json!({"paragraphs": ["The harbour reopened today."]}),
                    author_id: editor,
                },
                &Default::default(),
            )?;
            Ok::<_, Error>(article)
        })
    })?;

    let reworked = LogContext::new(Some(editor.0)).scope(|| {
        conn.transaction(|conn| {
            let mut reworked = article.clone();
            reworked.body = serde_json::json!({
                "paragraphs": ["The harbour reopened today.", "Ferries run from Monday."]
            });
            reworked.published_at = Some(Utc::now());
            reworked.update_over(conn, &article, &Default::default())?;
            Ok::<_, Error>(reworked.lock(conn, editor, &Default::default())?)
        })
    })?;

    LogContext::new(Some(editor.0)).scope(|| {
        conn.transaction(|conn| {
            // The article is locked by the editor: the editor may change it, and says so.
            Article::update_where(
                conn,
                articles::author_id.eq(editor),
                articles::title.eq("Harbour reopens to ferries"),
                &LogOptions::new().user(editor),
            )?;
            Page::create(
                conn,
                &NewPage {
                    slug: "front",
                    title: "Front page",
                },
                &Default::default(),
            )?;
            let draft = Article::create(
                conn,
                &NewArticle {
                    title: "Draft: storm warning",
                    body: serde_json::json!({}),
                    author_id: editor,
                },
                &Default::default(),
            )?;
            draft.delete(conn, &Default::default())?;
            Ok::<_, Error>(())
        })
    })?;
    Ok(Article::find(conn, &reworked.id)?)
}

/// An article's history, newest first: (action, who by name, when).
pub fn history_of(conn: &mut Conn, article: &Article) -> Result<Vec<(String, String)>> {
    let registry = loggable::registry::global();
    let entries = loggable::entries_for_object(conn, &registry, article)?;
    let names = registry.display_names(conn, entries.iter().map(|e| e.user_id.clone()))?;
    Ok(entries
        .iter()
        .map(|e| (e.action.clone(), names.get(e.user_id.as_ref())))
        .collect())
}
