//! Groups and membership (the rest of permissions arrives with visibility).

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::{DatabaseContext, Result};
use crate::schema::{auth_groups, auth_user_groups};

/// A named set of users.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Group {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
}

/// Creates a group.
///
/// ```
/// let mut conn = loggable::db::connect(":memory:")?;
/// loggable::db::run_migrations(&mut conn)?;
/// let editors = loggable::permission::create_group(&mut conn, "Editors")?;
/// assert_eq!(editors.name, "Editors");
/// # Ok::<(), loggable::Error>(())
/// ```
pub fn create_group(conn: &mut DbConnection, name: &str) -> Result<Group> {
    diesel::insert_into(auth_groups::table)
        .values(auth_groups::name.eq(name))
        .returning(auth_groups::all_columns)
        .get_result(conn)
        .context("creating a group")
}

/// Adds `user` to `group` (nothing happens if already a member).
pub fn add_to_group(conn: &mut DbConnection, user: i64, group: i64) -> Result<()> {
    let already: i64 = auth_user_groups::table
        .filter(auth_user_groups::user_id.eq(user))
        .filter(auth_user_groups::group_id.eq(group))
        .count()
        .get_result(conn)
        .context("reading group membership")?;
    if already == 0 {
        diesel::insert_into(auth_user_groups::table)
            .values((
                auth_user_groups::user_id.eq(user),
                auth_user_groups::group_id.eq(group),
            ))
            .execute(conn)
            .context("adding a group member")?;
    }
    Ok(())
}

/// The ids of the groups `user` belongs to.
pub fn groups_of(conn: &mut DbConnection, user: i64) -> Result<Vec<i64>> {
    auth_user_groups::table
        .filter(auth_user_groups::user_id.eq(user))
        .select(auth_user_groups::group_id)
        .load(conn)
        .context("reading group membership")
}
