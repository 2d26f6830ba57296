//! Comments on page fields and their replies, saved together with a draft revision; each
//! change is logged with that revision (`wagtail.comments.*`).

use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::Page;
use crate::db::{DbConnection, LogConnection};
use crate::error::{DatabaseContext, Error, Result};
use crate::model::LogOptions;
use crate::revision::Revision;
use crate::schema::{page_comment_replies, page_comments};

/// One change to a page's comments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentChange {
    /// A new comment on the field at `contentpath` (e.g. `body.0.text`).
    Create {
        /// Field path; its first segment names the field.
        contentpath: String,
        /// The comment.
        text: String,
    },
    /// New text for comment `id`.
    Edit {
        /// The comment.
        id: i64,
        /// Its new text.
        text: String,
    },
    /// Marks comment `id` resolved.
    Resolve {
        /// The comment.
        id: i64,
    },
    /// Deletes comment `id` (and its replies).
    Delete {
        /// The comment.
        id: i64,
    },
    /// A reply to comment `comment_id`.
    Reply {
        /// The comment replied to.
        comment_id: i64,
        /// The reply.
        text: String,
    },
    /// New text for reply `id`.
    EditReply {
        /// The reply.
        id: i64,
        /// Its new text.
        text: String,
    },
    /// Deletes reply `id`.
    DeleteReply {
        /// The reply.
        id: i64,
    },
}

/// What [`save_draft_with_comments`] saved.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentsSaved {
    /// The draft revision the comments were saved with.
    pub revision: Revision,
    /// Ids of the comments and replies created, in the order of the changes.
    pub created: Vec<i64>,
}

/// The columns a [`CommentRow`] is read from, in its field order.
type CommentColumns = (
    page_comments::id,
    page_comments::page_id,
    page_comments::contentpath,
    page_comments::text,
);

#[derive(Queryable)]
struct CommentRow {
    id: i64,
    page_id: i64,
    contentpath: String,
    text: String,
}

/// Saves `draft` as a revision (`wagtail.edit`), then applies `changes` in order, logging one
/// `wagtail.comments.*` entry each with that revision; data `{"comment": {"id",
/// "contentpath", "text"}}`, plus `"reply": {"id", "text"}` for replies. One transaction.
pub fn save_draft_with_comments(
    conn: &mut impl LogConnection,
    draft: &Page,
    changes: &[CommentChange],
    options: &LogOptions,
) -> Result<CommentsSaved> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let revision = super::save_draft(conn, draft, options)?;
            let user = crate::directory::cms_user(
                options.acting_user(),
                "loggable_page_comments.user_id",
            )?;
            let now = crate::entry::next_timestamp().naive_utc();
            let mut created = Vec::new();
            for change in changes {
                let (action, data) = match change {
                    CommentChange::Create { contentpath, text } => {
                        let written: CommentRow = crate::db::get_returning!(
                            conn,
                            diesel::insert_into(page_comments::table).values((
                                page_comments::page_id.eq(draft.id),
                                page_comments::contentpath.eq(contentpath),
                                page_comments::text.eq(text),
                                page_comments::user_id.eq(user),
                                page_comments::created_at.eq(now),
                            )),
                            CommentColumns::default(),
                            |mysql, id| page_comments::table
                                .find(id)
                                .select(CommentColumns::default())
                                .get_result(mysql)
                        )
                        .context("adding a comment")?;
                        created.push(written.id);
                        ("wagtail.comments.create", comment_data(&written))
                    }
                    CommentChange::Edit { id, text } => {
                        let mut edited = comment(conn, draft, *id)?;
                        diesel::update(page_comments::table.find(id))
                            .set(page_comments::text.eq(text))
                            .execute(conn)
                            .context("editing a comment")?;
                        edited.text.clone_from(text);
                        ("wagtail.comments.edit", comment_data(&edited))
                    }
                    CommentChange::Resolve { id } => {
                        let resolved = comment(conn, draft, *id)?;
                        diesel::update(page_comments::table.find(id))
                            .set(page_comments::resolved_at.eq(Some(now)))
                            .execute(conn)
                            .context("resolving a comment")?;
                        ("wagtail.comments.resolve", comment_data(&resolved))
                    }
                    CommentChange::Delete { id } => {
                        let data = comment_data(&comment(conn, draft, *id)?);
                        diesel::delete(page_comments::table.find(id))
                            .execute(conn)
                            .context("deleting a comment")?;
                        ("wagtail.comments.delete", data)
                    }
                    CommentChange::Reply { comment_id, text } => {
                        let parent = comment(conn, draft, *comment_id)?;
                        let id: i64 = crate::db::get_returning!(
                            conn,
                            diesel::insert_into(page_comment_replies::table).values((
                                page_comment_replies::comment_id.eq(parent.id),
                                page_comment_replies::text.eq(text),
                                page_comment_replies::user_id.eq(user),
                                page_comment_replies::created_at.eq(now),
                            )),
                            page_comment_replies::id,
                            |mysql, id| Ok(id)
                        )
                        .context("adding a reply")?;
                        created.push(id);
                        (
                            "wagtail.comments.create_reply",
                            reply_data(&parent, id, text),
                        )
                    }
                    CommentChange::EditReply { id, text } => {
                        let (parent, _) = reply_parent(conn, draft, *id)?;
                        diesel::update(page_comment_replies::table.find(id))
                            .set(page_comment_replies::text.eq(text))
                            .execute(conn)
                            .context("editing a reply")?;
                        (
                            "wagtail.comments.edit_reply",
                            reply_data(&parent, *id, text),
                        )
                    }
                    CommentChange::DeleteReply { id } => {
                        let (parent, text) = reply_parent(conn, draft, *id)?;
                        diesel::delete(page_comment_replies::table.find(id))
                            .execute(conn)
                            .context("deleting a reply")?;
                        (
                            "wagtail.comments.delete_reply",
                            reply_data(&parent, *id, &text),
                        )
                    }
                };
                let entry = options
                    .entry(draft, action, false, data)?
                    .revision(revision.id);
                options.write(conn, entry)?;
            }
            Ok(CommentsSaved { revision, created })
        })
    })
}

fn comment(conn: &mut DbConnection, page: &Page, id: i64) -> Result<CommentRow> {
    page_comments::table
        .find(id)
        .select(CommentColumns::default())
        .first::<CommentRow>(conn)
        .optional()
        .context("reading a comment")?
        .filter(|c| c.page_id == page.id)
        .ok_or_else(|| Error::NotFound {
            content_type: "page comment".to_owned(),
            object_id: id.to_string(),
        })
}

/// The comment a reply belongs to (on `page`), and the reply's text.
fn reply_parent(
    conn: &mut DbConnection,
    page: &Page,
    reply_id: i64,
) -> Result<(CommentRow, String)> {
    let (comment_id, text): (i64, String) = page_comment_replies::table
        .find(reply_id)
        .select((page_comment_replies::comment_id, page_comment_replies::text))
        .first(conn)
        .optional()
        .context("reading a reply")?
        .ok_or_else(|| Error::NotFound {
            content_type: "page comment reply".to_owned(),
            object_id: reply_id.to_string(),
        })?;
    Ok((comment(conn, page, comment_id)?, text))
}

fn comment_data(comment: &CommentRow) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert(
        "comment".to_owned(),
        json!({"id": comment.id, "contentpath": comment.contentpath, "text": comment.text}),
    );
    data
}

fn reply_data(comment: &CommentRow, reply_id: i64, text: &str) -> Map<String, Value> {
    let mut data = comment_data(comment);
    data.insert("reply".to_owned(), json!({"id": reply_id, "text": text}));
    data
}
