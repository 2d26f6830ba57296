//! loggable's schema migrations, in two layers: the core (the generic log table and the hash
//! chain) and the CMS layer (users, groups, pages, revisions, permissions, workflows and the
//! page log). Every table carries the prefix `loggable_`.
//!
//! An application takes them one of three ways:
//! - [`run_migrations`] / [`run_core_migrations`] on its connection;
//! - its own `MigrationHarness` with the embedded sets ([`SQLITE_CORE`], [`POSTGRES_CORE`],
//!   and the `_CMS` ones), next to its own migrations;
//! - [`write_migrations`] (or `loggable migrations write`) copies them into its own
//!   `migrations/` folder, so `diesel migration run`, `revert` and `redo` cover them.

use std::fmt;
use std::path::{Path, PathBuf};

use diesel::QueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{BackendConnection, BackendKind, LogConnection};
use crate::error::{Error, Result};

/// Which part of loggable's schema a migration belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The generic model log table and the hash chain: all an application needs to log its
    /// own models.
    Core,
    /// The CMS layer: users, groups, pages, revisions, permissions, view restrictions,
    /// comments, workflows and the page log.
    Cms,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Core => "core",
            Self::Cms => "cms",
        })
    }
}

/// One of loggable's migrations as files: the folder name Diesel expects
/// (`{version}_{name}`) and its `up.sql` / `down.sql`.
#[derive(Debug, Clone, Copy)]
pub struct MigrationFile {
    /// The backend whose SQL dialect it is written in.
    pub backend: BackendKind,
    /// The layer it belongs to.
    pub layer: Layer,
    /// The folder name, `{version}_{name}`.
    pub name: &'static str,
    /// The SQL that applies it.
    pub up: &'static str,
    /// The SQL that reverts it.
    pub down: &'static str,
}

static FILES: &[MigrationFile] = include!(concat!(env!("OUT_DIR"), "/migration_files.rs"));

/// The core layer for SQLite, to run with the application's own `MigrationHarness`.
#[cfg(feature = "sqlite")]
pub const SQLITE_CORE: EmbeddedMigrations = embed_migrations!("migrations/sqlite/core");
/// The CMS layer for SQLite (run after [`SQLITE_CORE`]).
#[cfg(feature = "sqlite")]
pub const SQLITE_CMS: EmbeddedMigrations = embed_migrations!("migrations/sqlite/cms");
/// The core layer for PostgreSQL, to run with the application's own `MigrationHarness`.
#[cfg(feature = "postgres")]
pub const POSTGRES_CORE: EmbeddedMigrations = embed_migrations!("migrations/postgres/core");
/// The CMS layer for PostgreSQL (run after [`POSTGRES_CORE`]).
#[cfg(feature = "postgres")]
pub const POSTGRES_CMS: EmbeddedMigrations = embed_migrations!("migrations/postgres/cms");
/// The core layer for MySQL and MariaDB, to run with the application's own `MigrationHarness`.
#[cfg(feature = "mysql")]
pub const MYSQL_CORE: EmbeddedMigrations = embed_migrations!("migrations/mysql/core");
/// The CMS layer for MySQL and MariaDB (run after [`MYSQL_CORE`]).
#[cfg(feature = "mysql")]
pub const MYSQL_CMS: EmbeddedMigrations = embed_migrations!("migrations/mysql/cms");

/// loggable's migrations for `backend` in the given layers, oldest first.
///
/// ```
/// use loggable::db::{BackendKind, Layer, migration_files};
///
/// let core: Vec<_> = migration_files(BackendKind::Postgresql, &[Layer::Core]).collect();
/// assert!(core.iter().all(|m| m.up.contains("loggable_")));
/// ```
pub fn migration_files(
    backend: BackendKind,
    layers: &[Layer],
) -> impl Iterator<Item = &'static MigrationFile> {
    let mut files: Vec<&'static MigrationFile> = FILES
        .iter()
        .filter(|file| file.backend == backend && layers.contains(&file.layer))
        .collect();
    files.sort_by_key(|file| file.name);
    files.into_iter()
}

/// Writes loggable's migrations for `backend` in `layers` into `dir` (the application's
/// `migrations/` folder), one folder each; returns the folders. A folder already holding the
/// same files is left as it is; one holding other files is an error and nothing is
/// overwritten.
///
/// ```
/// use loggable::db::{BackendKind, Layer, write_migrations};
///
/// let dir = std::env::temp_dir().join(format!("loggable-doc-{}", std::process::id()));
/// let written = write_migrations(&dir, BackendKind::Sqlite, &[Layer::Core])?;
/// assert!(written[0].join("up.sql").is_file());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn write_migrations(
    dir: &Path,
    backend: BackendKind,
    layers: &[Layer],
) -> Result<Vec<PathBuf>> {
    let files: Vec<_> = migration_files(backend, layers).collect();
    // Check every file first, so a conflict leaves the folder as it was.
    for file in &files {
        for (path, text) in sql_files(dir, file) {
            match std::fs::read_to_string(&path) {
                Ok(existing) if existing != text => {
                    return Err(Error::MigrationFile {
                        path,
                        source: std::io::Error::new(
                            std::io::ErrorKind::AlreadyExists,
                            "a different file of that name exists; move it away to write this one",
                        ),
                    });
                }
                _ => {}
            }
        }
    }
    let mut written = Vec::with_capacity(files.len());
    for file in files {
        let folder = dir.join(file.name);
        std::fs::create_dir_all(&folder).map_err(|source| Error::MigrationFile {
            path: folder.clone(),
            source,
        })?;
        for (path, text) in sql_files(dir, file) {
            std::fs::write(&path, text).map_err(|source| Error::MigrationFile { path, source })?;
        }
        written.push(folder);
    }
    Ok(written)
}

fn sql_files(dir: &Path, file: &MigrationFile) -> [(PathBuf, &'static str); 2] {
    let folder = dir.join(file.name);
    [
        (folder.join("up.sql"), file.up),
        (folder.join("down.sql"), file.down),
    ]
}

/// Applies every pending migration of loggable's schema, core and CMS layer; returns the
/// versions applied.
///
/// ```
/// let mut conn = loggable::db::connect(":memory:")?;
/// let applied = loggable::db::run_migrations(&mut conn)?;
/// assert!(!applied.is_empty());
/// assert!(loggable::db::run_migrations(&mut conn)?.is_empty());
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn run_migrations<C: LogConnection + ?Sized>(conn: &mut C) -> Result<Vec<String>> {
    let mut applied = run_layer(conn, Layer::Core)?;
    applied.extend(run_layer(conn, Layer::Cms)?);
    Ok(applied)
}

/// Applies the pending migrations of the core alone (the generic log table and the hash
/// chain): what an application that logs only its own models needs.
pub fn run_core_migrations<C: LogConnection + ?Sized>(conn: &mut C) -> Result<Vec<String>> {
    run_layer(conn, Layer::Core)
}

diesel::table! {
    /// Diesel's record of applied migrations (read here without creating it).
    #[sql_name = "__diesel_schema_migrations"]
    applied_migrations (version) {
        version -> Text,
    }
}

/// Checks, without writing anything, that every migration of loggable's schema has been
/// applied: for tools that only read (reports, exports, verification) on a database they must
/// not create or change. A missing schema or missing migrations are
/// [`Error::SchemaNotCurrent`].
///
/// ```
/// let mut conn = loggable::db::connect(":memory:")?;
/// assert!(loggable::db::check_schema(&mut conn).is_err());
/// loggable::db::run_migrations(&mut conn)?;
/// loggable::db::check_schema(&mut conn)?;
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn check_schema<C: LogConnection + ?Sized>(conn: &mut C) -> Result<()> {
    use diesel::RunQueryDsl;
    let query = applied_migrations::table.select(applied_migrations::version);
    let (applied, wanted): (diesel::QueryResult<Vec<String>>, Vec<String>) =
        match conn.backend_connection() {
            #[cfg(feature = "postgres")]
            BackendConnection::Postgresql(pg) => (
                query.load(pg),
                versions::<diesel::pg::Pg>(&[POSTGRES_CORE, POSTGRES_CMS]),
            ),
            #[cfg(feature = "sqlite")]
            BackendConnection::Sqlite(sqlite) => (
                query.load(sqlite),
                versions::<diesel::sqlite::Sqlite>(&[SQLITE_CORE, SQLITE_CMS]),
            ),
            #[cfg(feature = "mysql")]
            BackendConnection::Mysql(mysql) => (
                query.load(mysql),
                versions::<diesel::mysql::Mysql>(&[MYSQL_CORE, MYSQL_CMS]),
            ),
        };
    // No record at all reads as no schema (the table is missing).
    let applied = applied.unwrap_or_default();
    let missing: Vec<String> = wanted
        .into_iter()
        .filter(|v| !applied.contains(v))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::SchemaNotCurrent { missing })
    }
}

/// The versions of the migrations in `sets`, in order.
fn versions<DB: diesel::backend::Backend>(sets: &[EmbeddedMigrations]) -> Vec<String>
where
    EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
{
    use diesel::migration::MigrationSource;
    sets.iter()
        .flat_map(|set| MigrationSource::<DB>::migrations(set).unwrap_or_default())
        .map(|migration| migration.name().version().to_string())
        .collect()
}

fn run_layer<C: LogConnection + ?Sized>(conn: &mut C, layer: Layer) -> Result<Vec<String>> {
    let applied = match conn.backend_connection() {
        #[cfg(feature = "postgres")]
        BackendConnection::Postgresql(pg) => pg
            .run_pending_migrations(match layer {
                Layer::Core => POSTGRES_CORE,
                Layer::Cms => POSTGRES_CMS,
            })
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        #[cfg(feature = "sqlite")]
        BackendConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(match layer {
                Layer::Core => SQLITE_CORE,
                Layer::Cms => SQLITE_CMS,
            })
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        #[cfg(feature = "mysql")]
        BackendConnection::Mysql(mysql) => mysql
            .run_pending_migrations(match layer {
                Layer::Core => MYSQL_CORE,
                Layer::Cms => MYSQL_CMS,
            })
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
    };
    applied.map_err(|e| Error::Migration(e.to_string()))
}
