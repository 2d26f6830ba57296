//! Pages: a tree of pages with revisions, drafts, schedules, locks and view restrictions,
//! every operation logged to `loggable_page_log_entries` (docs/operations.md, "Pages").
//!
//! [`Page`] is itself a `#[derive(Loggable)]` model: the lifecycle operations (drafts,
//! publishing with the rename rule, scheduling, locking, privacy) are the derive's; this module
//! adds what only a tree has: creating pages in it, moving, reordering and deleting subtrees.

mod comments;
mod copy;
mod history;
pub(crate) mod tree;

pub use self::comments::{CommentChange, CommentsSaved, save_draft_with_comments};
pub use self::copy::{AliasOptions, CopyOptions, convert_alias, copy, create_alias};
pub use self::history::{overwrite_revision, revert, unpublish};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use crate::db::{DbConnection, LogConnection};
use crate::entry::PAGE_LOG;
use crate::error::{DatabaseContext, Error, Result};
use crate::model::{self, LogOptions};
use crate::publishing;
use crate::schema::pages;

/// The base type page revisions are filed under; each page's own `content_type` names its
/// specific type (e.g. `cms.blogpage`).
pub const PAGE_CONTENT_TYPE: &str = "loggable.page";

/// A page: its place in the tree and its publishing state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize, Deserialize, crate::Loggable)]
#[diesel(table_name = pages)]
#[loggable(
    content_type = "loggable.page",
    content_type_field = content_type,
    title_fn = admin_title,
    live_title = title,
    log_table = PAGE_LOG,
    lockable,
    scheduling,
    privacy,
    custom_delete
)]
pub struct Page {
    /// Primary key.
    pub id: i64,
    /// Materialised path: the parent's path plus four base-36 characters.
    #[loggable(managed)]
    pub path: String,
    /// Steps in the path; the root has depth 1.
    #[loggable(managed)]
    pub depth: i32,
    /// Number of children.
    #[loggable(managed)]
    pub numchild: i32,
    /// The live title.
    pub title: String,
    /// The title of the latest draft.
    pub draft_title: String,
    /// URL segment.
    pub slug: String,
    /// The specific page type, e.g. `cms.blogpage`.
    pub content_type: String,
    /// Whether a version is published.
    pub live: bool,
    /// Whether the latest revision is newer than the live one.
    pub has_unpublished_changes: bool,
    /// When it was first published.
    pub first_published_at: Option<NaiveDateTime>,
    /// When it was last published.
    pub last_published_at: Option<NaiveDateTime>,
    /// The newest revision.
    pub latest_revision_id: Option<i64>,
    /// The published revision.
    pub live_revision_id: Option<i64>,
    /// When the draft should go live.
    pub go_live_at: Option<NaiveDateTime>,
    /// When the live version should be withdrawn.
    pub expire_at: Option<NaiveDateTime>,
    /// Whether it was withdrawn by expiry.
    pub expired: bool,
    /// Whether it is locked.
    pub locked: bool,
    /// When it was locked.
    pub locked_at: Option<NaiveDateTime>,
    /// Who locked it.
    pub locked_by: Option<i64>,
    /// Who owns it.
    pub owner: Option<i64>,
    /// The page this one is an alias of.
    pub alias_of: Option<i64>,
    /// The fields of the specific page type, as a JSON object (see [`Page::specific`]).
    pub specific: String,
}

impl Page {
    /// The title the admin shows (and entries record): the draft title, else the title.
    pub fn admin_title(&self) -> &str {
        if self.draft_title.is_empty() {
            &self.title
        } else {
            &self.draft_title
        }
    }

    /// The fields of the specific page type, e.g. a `BlogPage { intro, .. }`.
    pub fn specific<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.specific).map_err(|e| Error::PageFields {
            page: self.id,
            content_type: self.content_type.clone(),
            reason: e.to_string(),
        })
    }

    /// Sets the fields of the specific page type (saved by the next draft or update).
    pub fn set_specific<T: Serialize>(&mut self, fields: &T) -> Result<()> {
        self.specific = serde_json::to_string(fields).map_err(|e| Error::PageFields {
            page: self.id,
            content_type: self.content_type.clone(),
            reason: e.to_string(),
        })?;
        Ok(())
    }

    /// `{"id", "title"}` as page data in entries.
    fn reference(&self) -> serde_json::Value {
        json!({"id": self.id, "title": self.admin_title()})
    }
}

/// A page to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPage {
    /// The specific page type's fields, as a JSON object (`{}` when it has none).
    pub specific: String,
    /// Title (also the draft title).
    pub title: String,
    /// URL segment.
    pub slug: String,
    /// Specific page type, e.g. `cms.simplepage`.
    pub content_type: String,
    /// Owner; the create entry is attributed to the owner unless a user is given.
    pub owner: Option<i64>,
}

impl NewPage {
    /// A page of `content_type` titled `title`, its slug derived from the title.
    pub fn new(content_type: impl Into<String>, title: impl Into<String>) -> Self {
        let title = title.into();
        let slug = slugify(&title);
        Self {
            specific: "{}".to_owned(),
            title,
            slug,
            content_type: content_type.into(),
            owner: None,
        }
    }

    /// Sets the specific page type's fields.
    pub fn specific<T: Serialize>(mut self, fields: &T) -> Result<Self> {
        self.specific = serde_json::to_string(fields).map_err(|e| Error::PageFields {
            page: 0,
            content_type: self.content_type.clone(),
            reason: e.to_string(),
        })?;
        Ok(self)
    }

    /// Sets the owner.
    pub fn owner(mut self, owner: i64) -> Self {
        self.owner = Some(owner);
        self
    }
}

fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Where [`move_page`] puts a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// As the last child of the page with this id.
    LastChildOf(i64),
    /// As the first child of the page with this id.
    FirstChildOf(i64),
    /// Just before the sibling with this id.
    LeftOf(i64),
    /// Just after the sibling with this id.
    RightOf(i64),
}

/// The page with `id`.
pub fn find(conn: &mut impl LogConnection, id: i64) -> Result<Page> {
    crate::db::with_db(conn, |conn| model::find::<Page, _>(conn, &id))
}

/// The page at `path`, if any.
pub fn find_by_path(conn: &mut impl LogConnection, path: &str) -> Result<Option<Page>> {
    crate::db::with_db(conn, |conn| {
        pages::table
            .filter(pages::path.eq(path))
            .first(conn)
            .optional()
            .context("reading a page")
    })
}

/// The children of `page`, in tree order.
pub fn children(conn: &mut impl LogConnection, page: &Page) -> Result<Vec<Page>> {
    crate::db::with_db(conn, |conn| {
        pages::table
            .filter(pages::path.gt(&page.path))
            .filter(pages::path.lt(tree::subtree_end(&page.path)))
            .filter(pages::depth.eq(page.depth + 1))
            .order(pages::path)
            .load(conn)
            .context("reading children")
    })
}

/// Every descendant of `page` (not the page), in tree order: parents before children.
pub fn descendants(conn: &mut impl LogConnection, page: &Page) -> Result<Vec<Page>> {
    crate::db::with_db(conn, |conn| {
        pages::table
            .filter(pages::path.gt(&page.path))
            .filter(pages::path.lt(tree::subtree_end(&page.path)))
            .order(pages::path)
            .load(conn)
            .context("reading descendants")
    })
}

/// The ancestors of `page`, root first.
pub fn ancestors(conn: &mut impl LogConnection, page: &Page) -> Result<Vec<Page>> {
    crate::db::with_db(conn, |conn| {
        pages::table
            .filter(pages::path.eq_any(tree::ancestor_paths(&page.path)))
            .order(pages::path)
            .load(conn)
            .context("reading ancestors")
    })
}

/// The parent of `page`, or `None` for a root.
pub fn parent(conn: &mut impl LogConnection, page: &Page) -> Result<Option<Page>> {
    crate::db::with_db(conn, |conn| match tree::parent_path(&page.path) {
        Some(path) => find_by_path(conn, path),
        None => Ok(None),
    })
}

/// Creates a root page (depth 1) and logs `wagtail.create`.
pub fn add_root(
    conn: &mut impl LogConnection,
    new: &NewPage,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| insert_page(conn, "", 1, new, options))
}

/// Creates a page as the last child of `parent_id` and logs `wagtail.create` (content_changed;
/// the user given in `options`, else the page's owner, else the context's user).
pub fn add_child(
    conn: &mut impl LogConnection,
    parent_id: i64,
    new: &NewPage,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let parent = find(conn, parent_id)?;
            let page = insert_page(conn, &parent.path, parent.depth + 1, new, options)?;
            tree::add_to_numchild(conn, parent.id, 1)?;
            Ok(page)
        })
    })
}

fn insert_page(
    conn: &mut DbConnection,
    parent_path: &str,
    depth: i32,
    new: &NewPage,
    options: &LogOptions,
) -> Result<Page> {
    let mut options = options.clone();
    if options.user.is_none() {
        options.user = new.owner.map(crate::UserId::from);
    }
    crate::db::transaction(conn, |conn| {
        let path = tree::next_child_path(conn, parent_path, depth)?;
        let page: Page = crate::db::get_returning!(
            conn,
            diesel::insert_into(pages::table).values((
                pages::path.eq(&path),
                pages::depth.eq(depth),
                pages::numchild.eq(0),
                pages::title.eq(&new.title),
                pages::draft_title.eq(&new.title),
                pages::slug.eq(&new.slug),
                pages::content_type.eq(&new.content_type),
                pages::live.eq(false),
                pages::has_unpublished_changes.eq(true),
                pages::owner.eq(new.owner),
                pages::specific.eq(&new.specific),
            )),
            pages::all_columns,
            |mysql, id| pages::table.find(id).get_result(mysql)
        )
        .context("creating the page")?;
        // No revision yet, as in Wagtail: a page row is saved before its first revision, and
        // its `wagtail.create` has none.
        let entry = options
            .entry(&page, "wagtail.create", true, Map::new())?
            .content_changed(true);
        options.write(conn, entry)?;
        Ok(page)
    })
}

/// Saves `draft` as a new revision and logs `wagtail.edit`; of the row only the draft title
/// follows the draft: a page's content changes when a revision is published.
pub fn save_draft(
    conn: &mut impl LogConnection,
    draft: &Page,
    options: &LogOptions,
) -> Result<crate::revision::Revision> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let revision = publishing::save_draft_keeping(
                conn,
                draft,
                options,
                publishing::RowOnDraft::KeepsContent,
            )?;
            diesel::update(pages::table.find(draft.id))
                .set(pages::draft_title.eq(&draft.draft_title))
                .execute(conn)
                .context("saving the draft title")?;
            Ok(revision)
        })
    })
}

/// Deletes `page` and its subtree: `wagtail.delete` (deleted = true) for every descendant in
/// tree order, then for the page itself, all written before the rows go, in one transaction.
/// Returns how many pages went.
pub fn delete(conn: &mut impl LogConnection, page_id: i64, options: &LogOptions) -> Result<usize> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let page = find(conn, page_id)?;
            let mut doomed = descendants(conn, &page)?;
            doomed.push(page.clone());
            model::log_deletes(conn, &doomed, options)?;
            let parent = parent(conn, &page)?;
            let deleted = tree::delete_subtree(conn, &page.path)?;
            if let Some(parent) = parent {
                tree::add_to_numchild(conn, parent.id, -1)?;
            }
            Ok(deleted)
        })
    })
}

/// Moves `page_id` (with its subtree) to `position`: `wagtail.move` when the parent changes,
/// `wagtail.reorder` among the same parent's children; data
/// `{"source": old parent, "destination": new parent}`. Returns the page as stored.
pub fn move_page(
    conn: &mut impl LogConnection,
    page_id: i64,
    position: Position,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let page = find(conn, page_id)?;
            let (target_id, as_child) = match position {
                Position::LastChildOf(id) | Position::FirstChildOf(id) => (id, true),
                Position::LeftOf(id) | Position::RightOf(id) => (id, false),
            };
            let target = find(conn, target_id)?;
            if target.path.starts_with(&page.path) {
                return Err(Error::IntoOwnSubtree { page: page.id });
            }
            let new_parent = if as_child {
                target.clone()
            } else {
                parent(conn, &target)?.ok_or(Error::RootPage { page: target.id })?
            };
            let old_parent = parent(conn, &page)?.ok_or(Error::RootPage { page: page.id })?;

            // Park the subtree outside the tree, make room, then put it in its place.
            let parked = format!("~{}", page.id);
            tree::rewrite_subtree(conn, &page.path, &parked, 0)?;
            let siblings: Vec<Page> = children(conn, &new_parent)?;
            let insert_at = match position {
                Position::LastChildOf(_) => siblings.len(),
                Position::FirstChildOf(_) => 0,
                Position::LeftOf(id) => siblings.iter().position(|s| s.id == id).unwrap_or(0),
                Position::RightOf(id) => siblings
                    .iter()
                    .position(|s| s.id == id)
                    .map_or(siblings.len(), |i| i + 1),
            };
            let new_path = if insert_at == siblings.len() {
                tree::next_child_path(conn, &new_parent.path, new_parent.depth + 1)?
            } else {
                for sibling in siblings[insert_at..].iter().rev() {
                    let step =
                        tree::last_step(&sibling.path).ok_or_else(|| Error::MalformedPagePath {
                            path: sibling.path.clone(),
                        })?;
                    let shifted = format!("{}{}", new_parent.path, tree::encode_step(step + 1)?);
                    tree::rewrite_subtree(conn, &sibling.path, &shifted, 0)?;
                }
                siblings[insert_at].path.clone()
            };
            tree::rewrite_subtree(conn, &parked, &new_path, new_parent.depth + 1 - page.depth)?;
            if old_parent.id != new_parent.id {
                tree::add_to_numchild(conn, old_parent.id, -1)?;
                tree::add_to_numchild(conn, new_parent.id, 1)?;
            }

            let moved = find(conn, page.id)?;
            let action = if old_parent.id == new_parent.id {
                "wagtail.reorder"
            } else {
                "wagtail.move"
            };
            // Parents keep their ids and titles through a move: their references stand.
            let mut data = Map::new();
            data.insert("source".to_owned(), old_parent.reference());
            data.insert("destination".to_owned(), new_parent.reference());
            options.write(conn, options.entry(&moved, action, true, data)?)?;
            Ok(moved)
        })
    })
}
