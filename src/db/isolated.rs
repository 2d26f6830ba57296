//! A PostgreSQL schema of its own, for tests and benchmarks that must not see each other.

use diesel::connection::SimpleConnection;

use super::{BackendKind, DatabaseUrl, DbConnection};
use crate::error::{DatabaseContext, Error, Result};

/// A fresh PostgreSQL schema, reached through [`url`](Self::url), and dropped with everything
/// in it when this value goes out of scope.
///
/// ```no_run
/// let scratch = loggable::db::IsolatedSchema::create("postgres://postgres@127.0.0.1/test", "demo")?;
/// let mut conn = loggable::db::connect(scratch.url())?;
/// loggable::db::run_migrations(&mut conn)?; // tables land in the scratch schema only
/// # Ok::<(), loggable::Error>(())
/// ```
pub struct IsolatedSchema {
    admin: DbConnection,
    name: String,
    url: String,
}

impl IsolatedSchema {
    /// Creates `{prefix}_{random}` on the server `server_url` names. `prefix` is made of
    /// lower-case ASCII letters, digits and underscores.
    pub fn create(server_url: &str, prefix: &str) -> Result<Self> {
        let parsed = DatabaseUrl::parse(server_url)?;
        if parsed.backend() != BackendKind::Postgresql {
            return Err(Error::InvalidDatabaseUrl {
                url: parsed.to_string(),
                reason: "a schema of its own needs PostgreSQL".to_owned(),
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
        // Identifiers cannot be bound; this one is checked above and a hex UUID.
        admin
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .context("creating a schema")?;
        let separator = if server_url.contains('?') { '&' } else { '?' };
        let url = format!("{server_url}{separator}options=-csearch_path%3D{name}");
        Ok(Self { admin, name, url })
    }

    /// A URL whose connections see this schema only (`search_path`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for IsolatedSchema {
    fn drop(&mut self) {
        // Best effort: a leftover schema only costs disk, never another user's isolation.
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}
