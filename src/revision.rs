//! Revisions: saved versions of any object, as JSON, that entries point at.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::db::LogConnection;
use crate::error::{DatabaseContext, Error, Result};
use crate::schema::revisions;
use crate::user_id::UserId;

/// A saved version of an object.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Revision {
    /// Primary key.
    pub id: i64,
    /// Type name of the object.
    pub content_type: String,
    /// Primary key of the object, as text.
    pub object_id: String,
    /// The object as JSON (text).
    pub content: String,
    /// When it was saved (naive UTC).
    pub created_at: NaiveDateTime,
    /// Who saved it (the application's user key).
    pub user_id: Option<UserId>,
    /// Set while the revision is scheduled to go live.
    pub approved_go_live_at: Option<NaiveDateTime>,
}

impl Revision {
    /// The content parsed as JSON.
    pub fn content_json(&self) -> Result<Value> {
        serde_json::from_str(&self.content).map_err(|e| Error::Revision {
            revision_id: Some(self.id),
            reason: format!("content is not JSON: {e}"),
        })
    }

    /// When it was saved, as UTC.
    pub fn created(&self) -> DateTime<Utc> {
        self.created_at.and_utc()
    }
}

/// Saves `content` as a new revision of the object.
pub(crate) fn save(
    conn: &mut impl LogConnection,
    content_type: &str,
    object_id: &str,
    content: &Value,
    user_id: Option<UserId>,
) -> Result<Revision> {
    crate::db::with_db(conn, |conn| {
        let now = crate::entry::next_timestamp().naive_utc();
        crate::db::get_returning!(
            conn,
            diesel::insert_into(revisions::table).values((
                revisions::content_type.eq(content_type),
                revisions::object_id.eq(object_id),
                revisions::content.eq(content.to_string()),
                revisions::created_at.eq(now),
                revisions::user_id.eq(user_id),
            )),
            revisions::all_columns,
            |mysql, id| revisions::table.find(id).get_result(mysql)
        )
        .context("saving a revision")
    })
}

/// The revision with `id`, if any.
pub fn find(conn: &mut impl LogConnection, id: i64) -> Result<Option<Revision>> {
    crate::db::with_db(conn, |conn| {
        revisions::table
            .find(id)
            .first(conn)
            .optional()
            .context("reading a revision")
    })
}

/// Whether the object has a revision older than `revision_id`.
pub(crate) fn has_earlier(
    conn: &mut impl LogConnection,
    content_type: &str,
    object_id: &str,
    revision_id: i64,
) -> Result<bool> {
    crate::db::with_db(conn, |conn| {
        diesel::select(diesel::dsl::exists(
            revisions::table
                .filter(revisions::content_type.eq(content_type))
                .filter(revisions::object_id.eq(object_id))
                .filter(revisions::id.lt(revision_id)),
        ))
        .get_result(conn)
        .context("looking for earlier revisions")
    })
}

/// Marks `revision_id` as approved to go live at `at` (or clears the mark with `None`).
pub(crate) fn set_approved_go_live_at(
    conn: &mut impl LogConnection,
    revision_id: i64,
    at: Option<NaiveDateTime>,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        diesel::update(revisions::table.find(revision_id))
            .set(revisions::approved_go_live_at.eq(at))
            .execute(conn)
            .context("scheduling a revision")?;
        Ok(())
    })
}

/// Revisions of `content_type` scheduled to go live at or before `now`, oldest first.
pub(crate) fn due(
    conn: &mut impl LogConnection,
    content_type: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Revision>> {
    crate::db::with_db(conn, |conn| {
        revisions::table
            .filter(revisions::content_type.eq(content_type))
            .filter(revisions::approved_go_live_at.le(now.naive_utc()))
            .order((revisions::approved_go_live_at.asc(), revisions::id.asc()))
            .load(conn)
            .context("finding scheduled revisions")
    })
}

/// The revision of the object that is scheduled to go live, if any.
pub(crate) fn scheduled_for(
    conn: &mut impl LogConnection,
    content_type: &str,
    object_id: &str,
) -> Result<Option<Revision>> {
    crate::db::with_db(conn, |conn| {
        revisions::table
            .filter(revisions::content_type.eq(content_type))
            .filter(revisions::object_id.eq(object_id))
            .filter(revisions::approved_go_live_at.is_not_null())
            .order(revisions::id.desc())
            .first(conn)
            .optional()
            .context("finding a scheduled revision")
    })
}

/// Clears every scheduled publication of the object (publishing now supersedes them).
pub(crate) fn clear_schedules(
    conn: &mut impl LogConnection,
    content_type: &str,
    object_id: &str,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        diesel::update(
            revisions::table
                .filter(revisions::content_type.eq(content_type))
                .filter(revisions::object_id.eq(object_id))
                .filter(revisions::approved_go_live_at.is_not_null()),
        )
        .set(revisions::approved_go_live_at.eq(None::<NaiveDateTime>))
        .execute(conn)
        .context("clearing schedules")?;
        Ok(())
    })
}
