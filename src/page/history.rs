//! Page revision operations beyond the derive's: autosave over a revision, revert to an older
//! one, and unpublishing with descendants.

use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::{Page, descendants, find};
use crate::db::LogConnection;
use crate::error::{DatabaseContext, Error, Result};
use crate::model::LogOptions;
use crate::publishing;
use crate::registry::data_datetime;
use crate::schema::{loggable_page_log_entries, pages, revisions};

/// Overwrites revision `revision_id` with `draft` (an autosave) and logs `wagtail.edit`,
/// reusing the uuid of the latest edit entry of this page by the same user for the same
/// revision, so repeated autosaves group together in history.
pub fn overwrite_revision(
    conn: &mut impl LogConnection,
    draft: &Page,
    revision_id: i64,
    options: &LogOptions,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let current = find(conn, draft.id)?;
            let stored = publishing::revision_of::<Page, _>(conn, &draft.id, revision_id)?;
            let content = serde_json::to_value(draft).map_err(|e| Error::Revision {
                revision_id: Some(stored.id),
                reason: format!("the page cannot be serialised: {e}"),
            })?;
            diesel::update(revisions::table.find(stored.id))
                .set(revisions::content.eq(content.to_string()))
                .execute(conn)
                .context("overwriting a revision")?;
            diesel::update(pages::table.find(draft.id))
                .set((
                    pages::draft_title.eq(&draft.draft_title),
                    pages::has_unpublished_changes.eq(true),
                ))
                .execute(conn)
                .context("saving the draft title")?;
            let user = options.acting_user();
            let mut same_autosave = loggable_page_log_entries::table
                .filter(loggable_page_log_entries::page_id.eq(draft.id))
                .filter(loggable_page_log_entries::action.eq("wagtail.edit"))
                .filter(loggable_page_log_entries::revision_id.eq(stored.id))
                .into_boxed::<crate::db::MultiBackend>();
            same_autosave = match user {
                Some(user) => same_autosave
                    .filter(loggable_page_log_entries::user_id.eq(user.as_str().to_owned())),
                None => same_autosave.filter(loggable_page_log_entries::user_id.is_null()),
            };
            let previous_uuid: Option<String> = same_autosave
                .order((
                    loggable_page_log_entries::timestamp.desc(),
                    loggable_page_log_entries::id.desc(),
                ))
                .select(loggable_page_log_entries::uuid)
                .first::<Option<String>>(conn)
                .optional()
                .context("finding the autosave group")?
                .flatten();
            let mut options = options.clone();
            if let Some(uuid) = previous_uuid.and_then(|text| uuid::Uuid::parse_str(&text).ok()) {
                options = options.uuid(uuid);
            }
            let entry = options
                .edit_entry(&current, draft, false)?
                .revision(stored.id);
            options.write(conn, entry)?;
            Ok(())
        })
    })
}

/// Saves the content of the older revision `revision_id` as the new draft and logs
/// `wagtail.revert` (the new revision; data `{"revision": {"id", "created"}}` of the revision
/// reverted to). With `publish`, publishes it too: `wagtail.revert` → (`wagtail.rename`) →
/// `wagtail.publish`, the last two carrying the same revision data; the rename compares with
/// the revision reverted to, so going back to an older title is no rename.
pub fn revert(
    conn: &mut impl LogConnection,
    page_id: i64,
    revision_id: i64,
    publish: bool,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let current = find(conn, page_id)?;
            let old = publishing::revision_of::<Page, _>(conn, &page_id, revision_id)?;
            let mut draft: Page = publishing::model_from_revision(&old)?;
            // The tree position and state are the page's now, not the old revision's.
            draft.path = current.path.clone();
            draft.depth = current.depth;
            draft.numchild = current.numchild;
            let reverted_to = json!({"id": old.id, "created": data_datetime(old.created())});
            let data = merge_revision_data(options, &reverted_to)?;
            let mut revert_options = options.clone().action("wagtail.revert");
            revert_options.data = Some(data.clone());
            let new_revision = super::save_draft(conn, &draft, &revert_options)?;
            if !publish {
                return find(conn, page_id);
            }
            let mut publish_options = options.clone();
            publish_options.data = Some(data);
            publishing::publish_reverted::<Page, _>(
                conn,
                &page_id,
                new_revision.id,
                &publish_options,
                Some(&draft),
            )
        })
    })
}

fn merge_revision_data(options: &LogOptions, revision: &Value) -> Result<Value> {
    let mut data = match &options.data {
        None => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(other) => {
            return Err(Error::DataNotObject(
                crate::JsonKind::of(other).unwrap_or(crate::JsonKind::Null),
            ));
        }
    };
    data.insert("revision".to_owned(), revision.clone());
    Ok(Value::Object(data))
}

/// Unpublishes the page (`wagtail.unpublish`, only if live) and, with `descendants`, every live
/// descendant (one entry each), in one transaction.
pub fn unpublish(
    conn: &mut impl LogConnection,
    page_id: i64,
    include_descendants: bool,
    options: &LogOptions,
) -> Result<Page> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let page = publishing::unpublish::<Page, _>(conn, &page_id, options)?;
            if include_descendants {
                for descendant in descendants(conn, &page)?.into_iter().filter(|p| p.live) {
                    publishing::unpublish::<Page, _>(conn, &descendant.id, options)?;
                }
            }
            Ok(page)
        })
    })
}
