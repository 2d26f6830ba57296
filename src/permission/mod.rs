//! Permissions: groups and membership, page permissions of groups, model permissions of
//! users and groups; and ([`Viewer`]) what they let a user see of the log.

mod visibility;

pub use self::visibility::{ExplorableRegion, Viewer, count_viewable, viewable_entries};

use diesel::prelude::*;

use crate::db::LogConnection;
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
pub fn create_group(conn: &mut impl LogConnection, name: &str) -> Result<Group> {
    crate::db::with_db(conn, |conn| {
        crate::db::get_returning!(
            conn,
            diesel::insert_into(auth_groups::table).values(auth_groups::name.eq(name)),
            auth_groups::all_columns,
            |mysql, id| auth_groups::table.find(id).get_result(mysql)
        )
        .context("creating a group")
    })
}

/// Adds `user` to `group` (nothing happens if already a member).
pub fn add_to_group(conn: &mut impl LogConnection, user: i64, group: i64) -> Result<()> {
    crate::db::with_db(conn, |conn| {
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
    })
}

/// The ids of the groups `user` belongs to.
pub fn groups_of(conn: &mut impl LogConnection, user: i64) -> Result<Vec<i64>> {
    crate::db::with_db(conn, |conn| {
        auth_user_groups::table
            .filter(auth_user_groups::user_id.eq(user))
            .select(auth_user_groups::group_id)
            .load(conn)
            .context("reading group membership")
    })
}

/// The page permission kinds (visibility.md); any of them makes pages explorable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PagePermission {
    /// Add child pages.
    Add,
    /// Edit pages.
    Change,
    /// Publish pages.
    Publish,
    /// Lock pages.
    Lock,
    /// Unlock pages.
    Unlock,
    /// Delete pages in bulk.
    BulkDelete,
}

impl PagePermission {
    /// Every kind.
    pub const ALL: [PagePermission; 6] = [
        Self::Add,
        Self::Change,
        Self::Publish,
        Self::Lock,
        Self::Unlock,
        Self::BulkDelete,
    ];

    /// The stored name: `add`, `change`, `publish`, `lock`, `unlock`, `bulk_delete`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Change => "change",
            Self::Publish => "publish",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::BulkDelete => "bulk_delete",
        }
    }
}

/// Grants `group` the permission `kind` on `page` and its descendants (idempotent).
pub fn grant_page_permission(
    conn: &mut impl LogConnection,
    group: i64,
    page: i64,
    kind: PagePermission,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        use crate::schema::group_page_permissions as gpp;
        revoke_page_permission(conn, group, page, kind)?;
        diesel::insert_into(gpp::table)
            .values((
                gpp::group_id.eq(group),
                gpp::page_id.eq(page),
                gpp::permission_type.eq(kind.name()),
            ))
            .execute(conn)
            .context("granting a page permission")?;
        Ok(())
    })
}

/// Revokes `kind` on `page` from `group` (nothing happens if it was not granted).
pub fn revoke_page_permission(
    conn: &mut impl LogConnection,
    group: i64,
    page: i64,
    kind: PagePermission,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        use crate::schema::group_page_permissions as gpp;
        diesel::delete(
            gpp::table
                .filter(gpp::group_id.eq(group))
                .filter(gpp::page_id.eq(page))
                .filter(gpp::permission_type.eq(kind.name())),
        )
        .execute(conn)
        .context("revoking a page permission")?;
        Ok(())
    })
}

/// Who a model permission is granted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantee {
    /// One user.
    User(i64),
    /// Every member of a group.
    Group(i64),
}

/// Grants `codename` (e.g. `change`) on objects of `content_type` (idempotent).
pub fn grant_model_permission(
    conn: &mut impl LogConnection,
    grantee: Grantee,
    content_type: &str,
    codename: &str,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        use crate::schema::model_permissions as mp;
        revoke_model_permission(conn, grantee, content_type, codename)?;
        let (user, group) = match grantee {
            Grantee::User(id) => (Some(id), None),
            Grantee::Group(id) => (None, Some(id)),
        };
        diesel::insert_into(mp::table)
            .values((
                mp::user_id.eq(user),
                mp::group_id.eq(group),
                mp::content_type.eq(content_type),
                mp::codename.eq(codename),
            ))
            .execute(conn)
            .context("granting a model permission")?;
        Ok(())
    })
}

/// Revokes `codename` on `content_type` from `grantee` (nothing happens if not granted).
pub fn revoke_model_permission(
    conn: &mut impl LogConnection,
    grantee: Grantee,
    content_type: &str,
    codename: &str,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        use crate::schema::model_permissions as mp;
        let matching = mp::table
            .filter(mp::content_type.eq(content_type))
            .filter(mp::codename.eq(codename))
            .into_boxed::<crate::db::MultiBackend>();
        let matching = match grantee {
            Grantee::User(id) => matching.filter(mp::user_id.eq(id)),
            Grantee::Group(id) => matching.filter(mp::group_id.eq(id)),
        };
        let ids: Vec<i64> = matching
            .select(mp::id)
            .load(conn)
            .context("revoking a model permission")?;
        diesel::delete(mp::table.filter(mp::id.eq_any(ids)))
            .execute(conn)
            .context("revoking a model permission")?;
        Ok(())
    })
}
