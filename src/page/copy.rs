//! Copies and aliases of pages, and turning an alias into an ordinary page.

use diesel::prelude::*;
use serde_json::{Map, Value};

use super::{NewPage, Page, children, find, parent};
use crate::db::{DbConnection, LogConnection};
use crate::error::{DatabaseContext, Error, Result};
use crate::model::LogOptions;
use crate::publishing;
use crate::schema::pages;

/// How [`copy`] copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyOptions {
    /// Copy the subtree too.
    pub recursive: bool,
    /// Keep copies of live pages live (each is then published).
    pub keep_live: bool,
}

/// Copies `page_id` under `destination_id`; for each copied page, parents before children:
/// `wagtail.create` → `wagtail.copy` → [`wagtail.publish` if kept live]. Copy data:
/// `{"page", "source" (the original's parent, as Wagtail has it), "destination",
/// "keep_live", "original" (the page copied)}`. Returns the new top page.
pub fn copy(
    conn: &mut impl LogConnection,
    page_id: i64,
    destination_id: i64,
    how: CopyOptions,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let (original, destination) = endpoints(conn, page_id, destination_id, how.recursive)?;
            copy_one(conn, &original, &destination, how, options)
        })
    })
}

/// The page to copy or alias and where to; a recursive copy into its own subtree would
/// never end.
fn endpoints(
    conn: &mut DbConnection,
    page_id: i64,
    destination_id: i64,
    recursive: bool,
) -> Result<(Page, Page)> {
    let original = find(conn, page_id)?;
    let destination = find(conn, destination_id)?;
    if recursive && destination.path.starts_with(&original.path) {
        return Err(Error::IntoOwnSubtree { page: original.id });
    }
    Ok((original, destination))
}

/// A new page with `original`'s title, slug, type, owner and type fields.
fn new_page_like(original: &Page) -> NewPage {
    NewPage {
        specific: original.specific.clone(),
        title: original.title.clone(),
        slug: original.slug.clone(),
        content_type: original.content_type.clone(),
        owner: original.owner,
    }
}

fn copy_one(
    conn: &mut DbConnection,
    original: &Page,
    destination: &Page,
    how: CopyOptions,
    options: &LogOptions,
) -> Result<Page> {
    let source_parent = parent(conn, original)?;
    let copy = super::add_child(conn, destination.id, &new_page_like(original), options)?;
    let copy = set_copied_content(conn, &copy, original)?;
    let mut data = Map::new();
    data.insert("page".to_owned(), copy.reference());
    data.insert(
        "source".to_owned(),
        source_parent.as_ref().map_or(Value::Null, Page::reference),
    );
    data.insert("destination".to_owned(), destination.reference());
    data.insert("keep_live".to_owned(), Value::Bool(how.keep_live));
    data.insert("original".to_owned(), original.reference());
    let revision = publishing::lifecycle_revision(conn, &copy, options)?;
    let entry = options
        .entry(&copy, "wagtail.copy", true, data)?
        .revision(revision.id);
    options.write(conn, entry)?;
    let copy = if how.keep_live && original.live {
        publishing::publish::<Page, _>(conn, &copy.id, revision.id, &without_action(options))?
    } else {
        copy
    };
    if how.recursive {
        // Children only need the copy's id and title, which adding them does not change.
        for child in children(conn, original)? {
            copy_one(conn, &child, &copy, how, options)?;
        }
    }
    find(conn, copy.id)
}

/// The caller's action names the main entry only; follow-up entries keep their own.
fn without_action(options: &LogOptions) -> LogOptions {
    let mut options = options.clone();
    options.action = None;
    options
}

/// Gives the new row the original's content columns (what a copy copies).
fn set_copied_content(conn: &mut DbConnection, copy: &Page, original: &Page) -> Result<Page> {
    diesel::update(pages::table.find(copy.id))
        .set((
            pages::draft_title.eq(&original.draft_title),
            pages::go_live_at.eq(original.go_live_at),
            pages::expire_at.eq(original.expire_at),
        ))
        .returning(pages::all_columns)
        .get_result(conn)
        .context("copying page content")
}

/// Creates an alias of `page_id` under `destination_id` (and of its subtree with `recursive`);
/// for each alias: `wagtail.create` → `wagtail.create_alias` (data `{"page", "source",
/// "destination"}`); aliases are never published by this. Returns the new top alias.
pub fn create_alias(
    conn: &mut impl LogConnection,
    page_id: i64,
    destination_id: i64,
    recursive: bool,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let (original, destination) = endpoints(conn, page_id, destination_id, recursive)?;
            alias_one(conn, &original, &destination, recursive, options)
        })
    })
}

fn alias_one(
    conn: &mut DbConnection,
    original: &Page,
    destination: &Page,
    recursive: bool,
    options: &LogOptions,
) -> Result<Page> {
    let alias = super::add_child(conn, destination.id, &new_page_like(original), options)?;
    let alias: Page = diesel::update(pages::table.find(alias.id))
        .set(pages::alias_of.eq(original.id))
        .returning(pages::all_columns)
        .get_result(conn)
        .context("marking an alias")?;
    let mut data = Map::new();
    data.insert("page".to_owned(), alias.reference());
    data.insert("source".to_owned(), original.reference());
    data.insert("destination".to_owned(), destination.reference());
    options.write(
        conn,
        options.entry(&alias, "wagtail.create_alias", true, data)?,
    )?;
    if recursive {
        for child in children(conn, original)? {
            alias_one(conn, &child, &alias, recursive, options)?;
        }
    }
    find(conn, alias.id)
}

/// Turns the alias `page_id` into an ordinary page: a first revision of its own, and
/// `wagtail.convert_alias` (that revision; data `{"page": {"id", "title"}}`).
pub fn convert_alias(
    conn: &mut impl LogConnection,
    page_id: i64,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let page = find(conn, page_id)?;
            if page.alias_of.is_none() {
                return Err(Error::NotAnAlias { page: page_id });
            }
            let page: Page = diesel::update(pages::table.find(page_id))
                .set(pages::alias_of.eq(None::<i64>))
                .returning(pages::all_columns)
                .get_result(conn)
                .context("converting an alias")?;
            let revision = publishing::lifecycle_revision(conn, &page, options)?;
            let mut data = Map::new();
            data.insert("page".to_owned(), page.reference());
            let entry = options
                .entry(&page, "wagtail.convert_alias", true, data)?
                .revision(revision.id);
            options.write(conn, entry)?;
            find(conn, page_id)
        })
    })
}
