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
///
/// ```
/// use loggable::page::CopyOptions;
///
/// // Wagtail's `update_attrs`: the top copy gets its own title and slug.
/// let how = CopyOptions {
///     title: Some("About us (copy)".into()),
///     slug: Some("about-us-copy".into()),
///     ..CopyOptions::default()
/// };
/// # let _ = how;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyOptions {
    /// Copy the subtree too.
    pub recursive: bool,
    /// Keep copies of live pages live (each is then published).
    pub keep_live: bool,
    /// A new title for the top copy (its title and draft title); its descendants keep theirs.
    pub title: Option<String>,
    /// A new slug for the top copy.
    pub slug: Option<String>,
}

/// How [`create_alias`] aliases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AliasOptions {
    /// Alias the subtree too.
    pub recursive: bool,
    /// A new slug for the top alias (Wagtail's `update_slug`).
    pub slug: Option<String>,
}

/// Copies `page_id` under `destination_id`; for each copied page, parents before children:
/// `wagtail.create` → `wagtail.copy` → [`wagtail.publish` if kept live, no content change].
/// Copy data: `{"page", "source" (the original's parent, as Wagtail has it), "destination",
/// "keep_live", "original" (the page copied)}`. Each copy gets a first revision of its own,
/// which the copy entry (like Wagtail's) does not name. Returns the new top page.
pub fn copy(
    conn: &mut impl LogConnection,
    page_id: i64,
    destination_id: i64,
    how: &CopyOptions,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let (original, destination) = endpoints(conn, page_id, destination_id, how.recursive)?;
            let renamed = Renamed {
                title: how.title.as_deref(),
                slug: how.slug.as_deref(),
            };
            copy_one(conn, &original, &destination, how, renamed, options)
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

/// What the top copy or alias takes instead of the original's (descendants keep theirs).
#[derive(Debug, Clone, Copy, Default)]
struct Renamed<'a> {
    title: Option<&'a str>,
    slug: Option<&'a str>,
}

/// A new page with `original`'s title, slug, type, owner and type fields (`renamed` over
/// them).
fn new_page_like(original: &Page, renamed: Renamed<'_>) -> NewPage {
    NewPage {
        specific: original.specific.clone(),
        title: renamed.title.unwrap_or(&original.title).to_owned(),
        slug: renamed.slug.unwrap_or(&original.slug).to_owned(),
        content_type: original.content_type.clone(),
        owner: original.owner,
    }
}

fn copy_one(
    conn: &mut DbConnection,
    original: &Page,
    destination: &Page,
    how: &CopyOptions,
    renamed: Renamed<'_>,
    options: &LogOptions,
) -> Result<Page> {
    let source_parent = parent(conn, original)?;
    let new = new_page_like(original, renamed);
    let copy = super::add_child(conn, destination.id, &new, options)?;
    let draft_title = renamed.title.unwrap_or(&original.draft_title);
    let copy = set_copied_content(conn, &copy, original, draft_title)?;
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
    options.write(conn, options.entry(&copy, "wagtail.copy", true, data)?)?;
    let copy = if how.keep_live && original.live {
        // Publishing a copy brings no new content (Wagtail publishes it with changed=False).
        let publish = without_action(options).content_changed(false);
        publishing::publish::<Page, _>(conn, &copy.id, revision.id, &publish)?
    } else {
        copy
    };
    if how.recursive {
        // Children only need the copy's id and title, which adding them does not change.
        for child in children(conn, original)? {
            copy_one(conn, &child, &copy, how, Renamed::default(), options)?;
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

/// Gives the new row the original's content columns (what a copy copies), with
/// `draft_title`.
fn set_copied_content(
    conn: &mut DbConnection,
    copy: &Page,
    original: &Page,
    draft_title: &str,
) -> Result<Page> {
    crate::db::get_returning!(
        conn,
        diesel::update(pages::table.find(copy.id)).set((
            pages::draft_title.eq(draft_title),
            pages::go_live_at.eq(original.go_live_at),
            pages::expire_at.eq(original.expire_at),
        )),
        pages::all_columns,
        |mysql| pages::table.find(copy.id).get_result(mysql)
    )
    .context("copying page content")
}

/// Creates an alias of `page_id` under `destination_id` (and of its subtree with
/// `how.recursive`); for each alias: `wagtail.create` → `wagtail.create_alias` (data
/// `{"page", "source" (the original's parent, as Wagtail has it), "destination", "original"
/// (the page aliased)}`); aliases are never published by this. Returns the new top alias.
pub fn create_alias(
    conn: &mut impl LogConnection,
    page_id: i64,
    destination_id: i64,
    how: &AliasOptions,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let (original, destination) = endpoints(conn, page_id, destination_id, how.recursive)?;
            let renamed = Renamed {
                title: None,
                slug: how.slug.as_deref(),
            };
            alias_one(
                conn,
                &original,
                &destination,
                how.recursive,
                renamed,
                options,
            )
        })
    })
}

fn alias_one(
    conn: &mut DbConnection,
    original: &Page,
    destination: &Page,
    recursive: bool,
    renamed: Renamed<'_>,
    options: &LogOptions,
) -> Result<Page> {
    let source_parent = parent(conn, original)?;
    let new = new_page_like(original, renamed);
    let alias = super::add_child(conn, destination.id, &new, options)?;
    let alias: Page = crate::db::get_returning!(
        conn,
        diesel::update(pages::table.find(alias.id)).set(pages::alias_of.eq(original.id)),
        pages::all_columns,
        |mysql| pages::table.find(alias.id).get_result(mysql)
    )
    .context("marking an alias")?;
    let mut data = Map::new();
    data.insert("page".to_owned(), alias.reference());
    data.insert(
        "source".to_owned(),
        source_parent.as_ref().map_or(Value::Null, Page::reference),
    );
    data.insert("destination".to_owned(), destination.reference());
    data.insert("original".to_owned(), original.reference());
    options.write(
        conn,
        options.entry(&alias, "wagtail.create_alias", true, data)?,
    )?;
    if recursive {
        for child in children(conn, original)? {
            alias_one(conn, &child, &alias, recursive, Renamed::default(), options)?;
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
            let page: Page = crate::db::get_returning!(
                conn,
                diesel::update(pages::table.find(page_id)).set(pages::alias_of.eq(None::<i64>)),
                pages::all_columns,
                |mysql| pages::table.find(page_id).get_result(mysql)
            )
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
