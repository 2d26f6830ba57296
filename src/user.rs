//! Users as the log shows them: accounts, and the display-name rules for entries.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::{BackendConnection, LogConnection};
use crate::directory::{SYSTEM, UserDirectory, deleted_user};
use crate::error::{DatabaseContext, Result};
use crate::schema::auth_users;
use crate::user_id::UserId;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = auth_users)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Unique login name.
    pub username: String,
    /// Full name; may be empty.
    pub full_name: String,
    /// E-mail address; may be empty.
    pub email: String,
    /// Inactive users see nothing.
    pub is_active: bool,
    /// Superusers see everything.
    pub is_superuser: bool,
}

impl User {
    /// The full name, else the username.
    pub fn display_name(&self) -> &str {
        if self.full_name.trim().is_empty() {
            &self.username
        } else {
            &self.full_name
        }
    }
}

/// A user to create.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = auth_users)]
pub struct NewUser<'a> {
    /// Unique login name.
    pub username: &'a str,
    /// Full name; may be empty.
    pub full_name: &'a str,
    /// E-mail address; may be empty.
    pub email: &'a str,
    /// Whether the account may act.
    pub is_active: bool,
    /// Whether the account may see and do everything.
    pub is_superuser: bool,
}

impl<'a> NewUser<'a> {
    /// An active, ordinary user.
    pub fn new(username: &'a str) -> Self {
        Self {
            username,
            full_name: "",
            email: "",
            is_active: true,
            is_superuser: false,
        }
    }

    /// Sets the full name.
    pub fn full_name(mut self, full_name: &'a str) -> Self {
        self.full_name = full_name;
        self
    }

    /// Makes the user a superuser.
    pub fn superuser(mut self) -> Self {
        self.is_superuser = true;
        self
    }

    /// Makes the user inactive.
    pub fn inactive(mut self) -> Self {
        self.is_active = false;
        self
    }
}

/// Creates a user.
///
/// ```
/// use loggable::user::{NewUser, create_user, display_name};
///
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let ada = create_user(&mut conn, &NewUser::new("ada").full_name("Ada Lovelace"))?;
/// assert_eq!(display_name(&mut conn, Some(ada.id))?, "Ada Lovelace");
/// assert_eq!(display_name(&mut conn, None)?, "system");
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn create_user(conn: &mut impl LogConnection, user: &NewUser<'_>) -> Result<User> {
    crate::db::with_db(conn, |conn| {
        crate::db::get_returning!(
            conn,
            diesel::insert_into(auth_users::table).values(user),
            auth_users::all_columns,
            |mysql, id| auth_users::table.find(id).get_result(mysql)
        )
        .context("creating a user")
    })
}

/// Deletes a user; their log entries stay and show `user {id} (deleted)`.
pub fn delete_user(conn: &mut impl LogConnection, id: i64) -> Result<bool> {
    crate::db::with_db(conn, |conn| {
        let deleted = diesel::delete(auth_users::table.find(id))
            .execute(conn)
            .context("deleting a user")?;
        Ok(deleted > 0)
    })
}

/// Finds a user by id.
pub fn find_user(conn: &mut impl LogConnection, id: i64) -> Result<Option<User>> {
    crate::db::with_db(conn, |conn| {
        auth_users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
            .context("reading a user")
    })
}

/// How an entry shows the user `id`: `system` for none, `user {id} (deleted)` when the user
/// is gone, else the full name, else the username.
pub fn display_name(conn: &mut impl LogConnection, id: Option<i64>) -> Result<String> {
    crate::db::with_db(conn, |conn| {
        let Some(id) = id else {
            return Ok(SYSTEM.to_owned());
        };
        Ok(display_for(id, find_user(conn, id)?.as_ref()))
    })
}

/// The CMS layer's users table (`loggable_users`) as a [`UserDirectory`]: the full name,
/// else the username. Keys that are not integers name no user of it.
///
/// ```
/// use std::sync::Arc;
///
/// loggable::registry::update_global(|registry| {
///     registry.set_user_directory(Arc::new(loggable::user::CmsUsers));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CmsUsers;

impl UserDirectory for CmsUsers {
    fn display_names(
        &self,
        conn: BackendConnection<'_>,
        ids: &[UserId],
    ) -> Result<HashMap<UserId, String>> {
        let wanted: Vec<i64> = ids.iter().filter_map(UserId::as_i64).collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        // `as_select` is built per backend, so the query is written once as a closure.
        let query = || auth_users::table.filter(auth_users::id.eq_any(&wanted));
        let users: Vec<User> = match conn {
            #[cfg(feature = "postgres")]
            BackendConnection::Postgresql(pg) => query().select(User::as_select()).load(pg),
            #[cfg(feature = "sqlite")]
            BackendConnection::Sqlite(sqlite) => query().select(User::as_select()).load(sqlite),
            #[cfg(feature = "mysql")]
            BackendConnection::Mysql(mysql) => query().select(User::as_select()).load(mysql),
        }
        .context("reading users")?;
        Ok(users
            .iter()
            .map(|user| (UserId::from(user.id), user.display_name().to_owned()))
            .collect())
    }
}

fn display_for(id: i64, user: Option<&User>) -> String {
    user.map_or_else(
        || deleted_user(&UserId::from(id)),
        |u| u.display_name().to_owned(),
    )
}
