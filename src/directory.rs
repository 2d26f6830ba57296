//! Who the users are to the log: where their display names come from (the application's
//! [`UserDirectory`]), the names a list shows, and the CMS layer's integer user columns.

use std::collections::HashMap;

use crate::db::BackendConnection;
use crate::error::{Error, Result};
use crate::user_id::UserId;

/// The CMS layer's integer user key of `id`, for its own user columns (comments, locks,
/// workflow decisions); a key of another kind (a UUID) is an error naming the column.
pub(crate) fn cms_user(id: Option<UserId>, column: &'static str) -> Result<Option<i64>> {
    id.map(|id| {
        id.as_i64().ok_or_else(|| Error::UserKeyMismatch {
            key: id.to_string(),
            column,
        })
    })
    .transpose()
}

/// Where display names of users come from: the application's users table. Set one on the
/// registry ([`Registry::set_user_directory`](crate::registry::Registry::set_user_directory));
/// without one, reports show `user {key}`. The CMS layer's own users table is one
/// implementation ([`CmsUsers`](crate::user::CmsUsers)).
///
/// The directory reads on the backend's own connection, so the application's users table
/// may use any column type its backend has (UUID keys on PostgreSQL, say).
///
/// ```
/// use std::collections::HashMap;
/// use loggable::db::BackendConnection;
/// use loggable::{UserDirectory, UserId};
///
/// /// Names kept in memory (an application would read its users table on `conn`).
/// struct Staff(HashMap<UserId, String>);
///
/// impl UserDirectory for Staff {
///     fn display_names(
///         &self,
///         _conn: BackendConnection<'_>,
///         ids: &[UserId],
///     ) -> loggable::Result<HashMap<UserId, String>> {
///         Ok(ids.iter().filter_map(|id| Some((id.clone(), self.0.get(id)?.clone()))).collect())
///     }
/// }
/// ```
pub trait UserDirectory: Send + Sync {
    /// The display names of the users among `ids` that exist; a key left out shows as
    /// `user {key} (deleted)`.
    fn display_names(
        &self,
        conn: BackendConnection<'_>,
        ids: &[UserId],
    ) -> Result<HashMap<UserId, String>>;
}

/// Display names of users, as [`Registry::display_names`](crate::registry::Registry::display_names)
/// looked them up.
#[derive(Debug, Clone, Default)]
pub struct DisplayNames {
    pub(crate) names: HashMap<UserId, String>,
}

impl DisplayNames {
    /// Whether `id` has been looked up (`None`, the system, always has).
    pub fn contains(&self, id: Option<&UserId>) -> bool {
        id.is_none_or(|id| self.names.contains_key(id))
    }

    /// Adds the names of another lookup.
    pub fn extend(&mut self, other: DisplayNames) {
        self.names.extend(other.names);
    }

    /// The display name of `id`: `system` for none, else the directory's name, else
    /// `user {id} (deleted)`.
    pub fn get(&self, id: Option<&UserId>) -> String {
        match id {
            None => SYSTEM.to_owned(),
            Some(id) => self
                .names
                .get(id)
                .cloned()
                .unwrap_or_else(|| deleted_user(id)),
        }
    }
}

/// What a list shows for the system (no user).
pub(crate) const SYSTEM: &str = "system";

/// What a list shows for a key the directory does not know.
pub(crate) fn deleted_user(id: &UserId) -> String {
    format!("user {id} (deleted)")
}
