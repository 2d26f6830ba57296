//! A PostgreSQL schema (or a MySQL database) of its own, for tests and benchmarks that must
//! not see each other.

use diesel::connection::SimpleConnection;

use super::{BackendKind, DatabaseUrl, DbConnection};
use crate::error::{DatabaseContext, Error, Result};

/// A fresh PostgreSQL schema, or on MySQL/MariaDB a fresh database, reached through
/// [`url`](Self::url), and dropped with everything in it when this value goes out of scope.
///
/// ```no_run
/// let scratch = loggable::db::IsolatedSchema::create("postgres://postgres@127.0.0.1/test", "demo")?;
/// let mut conn = loggable::db::connect(scratch.url())?;
/// loggable::db::run_migrations(&mut conn)?; // tables land in the scratch schema only
/// # Ok::<(), loggable::Error>(())
/// ```
pub struct IsolatedSchema {
    admin: DbConnection,
    statement_to_drop: String,
    url: String,
}

impl IsolatedSchema {
    /// Creates `{prefix}_{random}` on the server `server_url` names. `prefix` is made of
    /// lower-case ASCII letters, digits and underscores.
    pub fn create(server_url: &str, prefix: &str) -> Result<Self> {
        let parsed = DatabaseUrl::parse(server_url)?;
        if parsed.backend() == BackendKind::Sqlite {
            return Err(Error::InvalidDatabaseUrl {
                url: parsed.to_string(),
                reason: "a schema of its own needs PostgreSQL or MySQL".to_owned(),
            });
        }
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(Error::InvalidSchemaPrefix(prefix.to_owned()));
        }
        let mut admin = parsed.connect()?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let (create, statement_to_drop, url) = match parsed.backend() {
            BackendKind::Mysql => {
                let target = parsed.driver_target();
                // The database is the URL's path: replace it, keeping the authority before it
                // and any parameters after it (which may hold a `/` of their own).
                let after_scheme = target.len() - target.trim_start_matches("mysql://").len();
                let authority_end = target[after_scheme..]
                    .find(['/', '?'])
                    .map_or(target.len(), |i| after_scheme + i);
                let parameters = target[authority_end..]
                    .find('?')
                    .map_or("", |i| &target[authority_end + i..]);
                (
                    format!("CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
                    format!("DROP DATABASE IF EXISTS {name}"),
                    format!("{}/{name}{parameters}", &target[..authority_end]),
                )
            }
            _ => {
                let separator = if server_url.contains('?') { '&' } else { '?' };
                (
                    format!("CREATE SCHEMA {name}"),
                    format!("DROP SCHEMA IF EXISTS {name} CASCADE"),
                    format!("{server_url}{separator}options=-csearch_path%3D{name}"),
                )
            }
        };
        // Identifiers cannot be bound; this one is checked above and a hex UUID.
        admin.batch_execute(&create).context("creating a schema")?;
        Ok(Self {
            admin,
            statement_to_drop,
            url,
        })
    }

    /// A URL whose connections see this schema only (PostgreSQL's `search_path`, MySQL's
    /// database).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for IsolatedSchema {
    fn drop(&mut self) {
        // Best effort: a leftover schema only costs disk, never another user's isolation.
        let _ = self.admin.batch_execute(&self.statement_to_drop);
    }
}
