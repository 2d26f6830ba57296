//! Users as the log shows them: accounts, and the display-name rules for entries.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::LogConnection;
use crate::error::{DatabaseContext, Result};
use crate::schema::auth_users;

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
        diesel::insert_into(auth_users::table)
            .values(user)
            .returning(auth_users::all_columns)
            .get_result(conn)
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

/// Display names of many users with one query (for lists of entries).
pub fn display_names(
    conn: &mut impl LogConnection,
    ids: impl IntoIterator<Item = Option<i64>>,
) -> Result<DisplayNames> {
    crate::db::with_db(conn, |conn| {
        let mut wanted: Vec<i64> = ids.into_iter().flatten().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let users: Vec<User> = auth_users::table
            .filter(auth_users::id.eq_any(&wanted))
            .select(User::as_select())
            .load(conn)
            .context("reading users")?;
        let found: HashMap<i64, User> = users.into_iter().map(|u| (u.id, u)).collect();
        let names = wanted
            .into_iter()
            .map(|id| (id, display_for(id, found.get(&id))))
            .collect();
        Ok(DisplayNames { names })
    })
}

/// Display names looked up by [`display_names`].
#[derive(Debug, Clone, Default)]
pub struct DisplayNames {
    names: HashMap<i64, String>,
}

impl DisplayNames {
    /// Whether `id` has been looked up (`None`, the system, always has).
    pub fn contains(&self, id: Option<i64>) -> bool {
        id.is_none_or(|id| self.names.contains_key(&id))
    }

    /// Adds the names of another lookup.
    pub fn extend(&mut self, other: DisplayNames) {
        self.names.extend(other.names);
    }

    /// The display name of `id` by the rules of [`display_name`].
    pub fn get(&self, id: Option<i64>) -> String {
        match id {
            None => SYSTEM.to_owned(),
            Some(id) => self
                .names
                .get(&id)
                .cloned()
                .unwrap_or_else(|| deleted_user(id)),
        }
    }
}

const SYSTEM: &str = "system";

fn display_for(id: i64, user: Option<&User>) -> String {
    user.map_or_else(|| deleted_user(id), |u| u.display_name().to_owned())
}

fn deleted_user(id: i64) -> String {
    format!("user {id} (deleted)")
}
