//! View restrictions: who may read an object's published version, and their log entries
//! (`wagtail.view_restriction.create` / `.edit` / `.delete`). Any loggable object can have one;
//! pages use the same code.

use diesel::prelude::*;
use serde_json::{Map, json};

use crate::db::LogConnection;
use crate::error::{DatabaseContext, Result};
use crate::model::{LogOptions, in_transaction};
use crate::object::{Loggable, object_id_of};
use crate::schema::{view_restriction_groups, view_restrictions};

/// Who may read the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    /// Public.
    None,
    /// Any logged-in user.
    Login,
    /// Anyone with the shared password.
    Password(String),
    /// Users in these groups.
    Groups(Vec<i64>),
}

impl Restriction {
    /// The stored type name: `none`, `login`, `password`, `groups`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Login => "login",
            Self::Password(_) => "password",
            Self::Groups(_) => "groups",
        }
    }

    /// The title entries record and messages show.
    pub fn title(&self) -> &'static str {
        title_of(self.type_name())
    }
}

fn title_of(type_name: &str) -> &'static str {
    match type_name {
        "login" => "Private, accessible to any logged-in users",
        "password" => "Private, accessible with a shared password",
        "groups" => "Private, accessible to users in specific groups",
        _ => "Public",
    }
}

/// The stored restriction of an object.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct ViewRestriction {
    /// Primary key.
    pub id: i64,
    /// Type name of the object.
    pub content_type: String,
    /// Primary key of the object.
    pub object_id: String,
    /// `none`, `login`, `password` or `groups`.
    pub restriction_type: String,
    /// The shared password (`password` restrictions).
    pub password: String,
}

/// The restriction on `object`, if any.
pub fn restriction_of(
    conn: &mut impl LogConnection,
    object: &(impl Loggable + ?Sized),
) -> Result<Option<ViewRestriction>> {
    crate::db::with_db(conn, |conn| {
        let object_id = object_id_of(object)?;
        view_restrictions::table
            .filter(view_restrictions::content_type.eq(object.content_type()))
            .filter(view_restrictions::object_id.eq(object_id))
            .first(conn)
            .optional()
            .context("reading a view restriction")
    })
}

/// Sets the restriction on `object`: adding one logs `wagtail.view_restriction.create`,
/// saving an existing one (changed or not) logs `.edit`; [`Restriction::None`] removes it
/// (see [`remove_restriction`]). Data: `{"restriction": {"type", "title"}}`.
pub fn set_restriction(
    conn: &mut impl LogConnection,
    object: &(impl Loggable + ?Sized),
    restriction: &Restriction,
    options: &LogOptions,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        if *restriction == Restriction::None {
            return remove_restriction(conn, object, options);
        }
        in_transaction(conn, |conn| {
            let object_id = object_id_of(object)?;
            let password = match restriction {
                Restriction::Password(password) => password.clone(),
                _ => String::new(),
            };
            let existing = restriction_of(conn, object)?;
            let (id, action) = match existing {
                Some(existing) => {
                    diesel::update(view_restrictions::table.find(existing.id))
                        .set((
                            view_restrictions::restriction_type.eq(restriction.type_name()),
                            view_restrictions::password.eq(&password),
                        ))
                        .execute(conn)
                        .context("changing a view restriction")?;
                    diesel::delete(
                        view_restriction_groups::table
                            .filter(view_restriction_groups::view_restriction_id.eq(existing.id)),
                    )
                    .execute(conn)
                    .context("changing a view restriction")?;
                    (existing.id, "wagtail.view_restriction.edit")
                }
                None => {
                    let id: i64 = crate::db::get_returning!(
                        conn,
                        diesel::insert_into(view_restrictions::table).values((
                            view_restrictions::content_type.eq(object.content_type()),
                            view_restrictions::object_id.eq(&object_id),
                            view_restrictions::restriction_type.eq(restriction.type_name()),
                            view_restrictions::password.eq(&password),
                        )),
                        view_restrictions::id,
                        |mysql, id| Ok(id)
                    )
                    .context("adding a view restriction")?;
                    (id, "wagtail.view_restriction.create")
                }
            };
            if let Restriction::Groups(groups) = restriction {
                let rows: Vec<_> = groups
                    .iter()
                    .map(|group| {
                        (
                            view_restriction_groups::view_restriction_id.eq(id),
                            view_restriction_groups::group_id.eq(*group),
                        )
                    })
                    .collect();
                let insert = diesel::insert_into(view_restriction_groups::table).values(rows);
                crate::db::on_backend_connection!(conn, |conn| insert.execute(conn))
                    .context("adding view restriction groups")?;
            }
            let entry = options.entry(
                object,
                action,
                true,
                restriction_data(restriction.type_name()),
            )?;
            options.write(conn, entry)?;
            Ok(())
        })
    })
}

/// Removes the restriction on `object` and logs `wagtail.view_restriction.delete` with the
/// removed restriction's type and title; an unrestricted object logs nothing.
pub fn remove_restriction(
    conn: &mut impl LogConnection,
    object: &(impl Loggable + ?Sized),
    options: &LogOptions,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        in_transaction(conn, |conn| {
            let Some(existing) = restriction_of(conn, object)? else {
                return Ok(());
            };
            let entry = options.entry(
                object,
                "wagtail.view_restriction.delete",
                true,
                restriction_data(&existing.restriction_type),
            )?;
            options.write(conn, entry)?;
            diesel::delete(view_restrictions::table.find(existing.id))
                .execute(conn)
                .context("removing a view restriction")?;
            Ok(())
        })
    })
}

fn restriction_data(type_name: &str) -> Map<String, serde_json::Value> {
    let mut data = Map::new();
    data.insert(
        "restriction".to_owned(),
        json!({"type": type_name, "title": title_of(type_name)}),
    );
    data
}

/// View restrictions for a derived model (`#[loggable(privacy)]`): `#[derive(Loggable)]`
/// implements it; import it (or `loggable::prelude::*`) to call it. Any other object uses the
/// functions of this module.
pub trait Private: Loggable {
    /// Sets who may read this object and logs the view-restriction entry (see
    /// [`set_restriction`]).
    fn set_restriction(
        &self,
        conn: &mut impl LogConnection,
        restriction: &Restriction,
        options: &LogOptions,
    ) -> Result<()> {
        set_restriction(conn, self, restriction, options)
    }

    /// Removes the restriction and logs `wagtail.view_restriction.delete`.
    fn remove_restriction(
        &self,
        conn: &mut impl LogConnection,
        options: &LogOptions,
    ) -> Result<()> {
        remove_restriction(conn, self, options)
    }

    /// The stored restriction, if any.
    fn restriction(&self, conn: &mut impl LogConnection) -> Result<Option<ViewRestriction>> {
        restriction_of(conn, self)
    }
}
