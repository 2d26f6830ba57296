//! Publishing (the CMS layer): save drafts as revisions, publish one (with the rename rule),
//! unpublish, schedule a publication, cancel it, and run due schedules and expiries. A
//! publication ends the object's moderation run. [`Publishing`] gives a derived model with
//! draft state these operations.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::QueryResult;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::context::LogContext;
use crate::db::LogConnection;
use crate::error::{DatabaseContext, Error, Result};
use crate::model::{
    DraftState, LogOptions, Model, ModelStore, check_lock, find, in_transaction, save_revision,
};
use crate::registry::data_datetime;
use crate::revision::{self, Revision};
use crate::user_id::UserId;

/// A model with draft state (`#[loggable(draft_state)]`): the row holds the live version,
/// drafts live in revisions.
pub trait DraftStateful<C: ?Sized>: ModelStore<C> + DeserializeOwned {
    /// Writes only the draft-state columns of the row with `key`; returns the row as stored.
    fn store_draft_state(conn: &mut C, key: &Self::Key, state: &DraftState) -> QueryResult<Self>;
}

/// A model with publication scheduling (`#[loggable(scheduling)]`).
pub trait Scheduled<C: ?Sized>: DraftStateful<C> {
    /// Live rows whose `expire_at` is at or before `now`.
    fn expired_rows(conn: &mut C, now: NaiveDateTime) -> QueryResult<Vec<Self>>;
}

fn state_of<M: Model>(row: &M) -> DraftState {
    row.draft_state().unwrap_or_default()
}

pub(crate) fn model_from_revision<M: DeserializeOwned>(revision: &Revision) -> Result<M> {
    serde_json::from_str(&revision.content).map_err(|e| Error::Revision {
        revision_id: Some(revision.id),
        reason: format!("content does not fit the model: {e}"),
    })
}

/// Saves `draft` as a new revision and logs `wagtail.edit` (the revision; content_changed and
/// `data.changes` against the stored row). A live row keeps its published content; a row that
/// is not live takes the draft's.
pub(crate) fn save_draft<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    draft: &M,
    options: &LogOptions,
) -> Result<Revision> {
    save_draft_keeping(conn, draft, options, RowOnDraft::TakesUnpublishedDraft)
}

/// What saving a draft does to the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowOnDraft {
    /// A row with nothing published holds the draft (Wagtail's snippets).
    TakesUnpublishedDraft,
    /// The row changes only at publication (Wagtail's pages).
    KeepsContent,
}

pub(crate) fn save_draft_keeping<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    draft: &M,
    options: &LogOptions,
    row: RowOnDraft,
) -> Result<Revision> {
    in_transaction(conn, |conn| {
        let key = draft.key();
        let current = find::<M, _>(conn, &key)?;
        check_lock(&current, options)?;
        // The first revision counts as a change, as Wagtail's `save_revision` has it: there
        // is nothing earlier to compare with.
        let first_revision = state_of(&current).latest_revision_id.is_none();
        let revision = save_revision(conn, draft, options.acting_user())?.ok_or(
            Error::DraftStateWithoutRevisions {
                content_type: M::CONTENT_TYPE,
            },
        )?;
        let mut state = state_of(&current);
        state.latest_revision_id = Some(revision.id);
        state.has_unpublished_changes = true;
        if !state.live && row == RowOnDraft::TakesUnpublishedDraft {
            draft.save_row(conn).context("saving a draft")?;
            let draft_state = state_of(draft);
            state.go_live_at = draft_state.go_live_at;
            state.expire_at = draft_state.expire_at;
        }
        M::store_draft_state(conn, &key, &state).context("saving a draft")?;
        let entry = options
            .edit_entry(&current, draft, first_revision)?
            .revision(revision.id);
        options.write(conn, entry)?;
        Ok(revision)
    })
}

/// Publishes revision `revision_id` of the row with `key`: [`wagtail.rename` when the object
/// had an earlier revision and the title changes] → `wagtail.publish`. If the revision's
/// `go_live_at` is in the future, schedules it instead (`wagtail.publish.schedule`), leaving
/// what is live as it is. Returns the row as stored.
pub(crate) fn publish<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    revision_id: i64,
    options: &LogOptions,
) -> Result<M> {
    publish_reverted(conn, key, revision_id, options, None)
}

/// [`publish`] of a revision that reverts to `reverted_to` (that revision's content), if
/// any: the rename rule compares with the revision reverted to (as Wagtail's
/// `previous_revision`), so going back to an older title is no rename.
pub(crate) fn publish_reverted<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    revision_id: i64,
    options: &LogOptions,
    reverted_to: Option<&M>,
) -> Result<M> {
    publish_at(
        conn,
        key,
        revision_id,
        options,
        Utc::now(),
        "wagtail.publish",
        reverted_to,
    )
}

fn publish_at<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    revision_id: i64,
    options: &LogOptions,
    now: DateTime<Utc>,
    action: &str,
    reverted_to: Option<&M>,
) -> Result<M> {
    in_transaction(conn, |conn| {
        let current = find::<M, _>(conn, key)?;
        check_lock(&current, options)?;
        let revision = revision_of::<M, _>(conn, key, revision_id)?;
        // Publishing ends moderation: the cancel entry comes before the publish entries.
        crate::db::with_db(conn, |conn| {
            crate::moderation::cancel_active(
                conn,
                M::CONTENT_TYPE,
                &key.to_string(),
                &current,
                options,
            )
        })?;
        let row: M = model_from_revision(&revision)?;
        let mut state = state_of(&current);
        let wanted = state_of(&row);
        state.latest_revision_id = state.latest_revision_id.max(Some(revision.id));

        if let Some(go_live_at) = wanted.go_live_at.filter(|at| *at > now.naive_utc()) {
            revision::set_approved_go_live_at(conn, revision.id, Some(go_live_at))?;
            state.has_unpublished_changes = true;
            if !state.live {
                state.go_live_at = Some(go_live_at);
            }
            let stored = M::store_draft_state(conn, key, &state).context("scheduling")?;
            let data = schedule_data(&revision, Some(go_live_at), state.live);
            let entry = options
                .entry(&stored, "wagtail.publish.schedule", true, data)?
                .revision(revision.id)
                .content_changed(options.content_changed.unwrap_or(true));
            options.write(conn, entry)?;
            return Ok(stored);
        }

        revision::clear_schedules(conn, M::CONTENT_TYPE, &key.to_string())?;
        let mut data = Map::new();
        let new_title = row.live_title();
        let (old_title, renamed) = match reverted_to {
            Some(reverted_to) => {
                let old_title = reverted_to.live_title();
                let renamed = old_title != new_title;
                (old_title, renamed)
            }
            None => {
                let old_title = current.live_title();
                let renamed = old_title != new_title
                    && revision::has_earlier(conn, M::CONTENT_TYPE, &key.to_string(), revision.id)?;
                (old_title, renamed)
            }
        };
        if renamed {
            data.insert(
                "title".to_owned(),
                json!({"old": old_title, "new": new_title}),
            );
            let rename = options
                .entry(&row, "wagtail.rename", false, data.clone())?
                .revision(revision.id);
            options.write(conn, rename)?;
        }
        let published_at = crate::entry::next_timestamp().naive_utc();
        state.live = true;
        state.has_unpublished_changes = state.latest_revision_id > Some(revision.id);
        state.first_published_at = state.first_published_at.or(Some(published_at));
        state.last_published_at = Some(published_at);
        state.live_revision_id = Some(revision.id);
        state.go_live_at = wanted.go_live_at;
        state.expire_at = wanted.expire_at;
        state.expired = false;
        row.save_row(conn).context("publishing")?;
        let row = M::store_draft_state(conn, key, &state).context("publishing")?;
        let entry = options
            .entry(&row, action, true, data)?
            .revision(revision.id)
            .content_changed(options.content_changed.unwrap_or(true));
        options.write(conn, entry)?;
        Ok(row)
    })
}

/// Revision `revision_id`, checked to be one of the row with `key`.
pub(crate) fn revision_of<M: ModelStore<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    revision_id: i64,
) -> Result<Revision> {
    let revision = revision::find(conn, revision_id)?.ok_or(Error::Revision {
        revision_id: Some(revision_id),
        reason: "no such revision".to_owned(),
    })?;
    if revision.content_type != M::CONTENT_TYPE || revision.object_id != key.to_string() {
        return Err(Error::Revision {
            revision_id: Some(revision_id),
            reason: format!(
                "it belongs to {} {}, not {} {}",
                revision.content_type,
                revision.object_id,
                M::CONTENT_TYPE,
                key.to_string()
            ),
        });
    }
    Ok(revision)
}

/// `{"revision": {"id", "created", "go_live_at", "has_live_version"}}`.
fn schedule_data(
    revision: &Revision,
    go_live_at: Option<NaiveDateTime>,
    has_live_version: bool,
) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert(
        "revision".to_owned(),
        json!({
            "id": revision.id,
            "created": data_datetime(revision.created()),
            "go_live_at": go_live_at.map(|at| data_datetime(at.and_utc())),
            "has_live_version": has_live_version,
        }),
    );
    data
}

/// Withdraws the live version of the row with `key` and logs `wagtail.unpublish`; a row that
/// is not live is left as it is and nothing is logged.
pub(crate) fn unpublish<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    options: &LogOptions,
) -> Result<M> {
    unpublish_as(conn, key, options, "wagtail.unpublish", false)
}

fn unpublish_as<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    options: &LogOptions,
    action: &str,
    expired: bool,
) -> Result<M> {
    in_transaction(conn, |conn| {
        let current = find::<M, _>(conn, key)?;
        let mut state = state_of(&current);
        if !state.live {
            return Ok(current);
        }
        state.live = false;
        state.has_unpublished_changes = true;
        state.live_revision_id = None;
        state.expired = expired;
        let row = M::store_draft_state(conn, key, &state).context("unpublishing")?;
        options.write(conn, options.entry(&row, action, true, Map::new())?)?;
        Ok(row)
    })
}

/// Cancels the scheduled publication of the row with `key` and logs
/// `wagtail.schedule.cancel` (the revision and its schedule data). Returns the revision that
/// was scheduled, or `None` (and logs nothing) when none was.
pub(crate) fn cancel_schedule<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    key: &M::Key,
    options: &LogOptions,
) -> Result<Option<Revision>> {
    in_transaction(conn, |conn| {
        let object_id = key.to_string();
        let Some(revision) = revision::scheduled_for(conn, M::CONTENT_TYPE, &object_id)? else {
            return Ok(None);
        };
        let current = find::<M, _>(conn, key)?;
        let mut state = state_of(&current);
        let data = schedule_data(&revision, revision.approved_go_live_at, state.live);
        revision::set_approved_go_live_at(conn, revision.id, None)?;
        let row = if state.live {
            current
        } else {
            state.go_live_at = None;
            M::store_draft_state(conn, key, &state).context("cancelling a schedule")?
        };
        let entry = options
            .entry(&row, "wagtail.schedule.cancel", true, data)?
            .revision(revision.id);
        options.write(conn, entry)?;
        Ok(Some(revision))
    })
}

/// What one scheduled run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduledRun {
    /// Revisions published because their time came.
    pub published: usize,
    /// Rows withdrawn because they expired.
    pub expired: usize,
}

/// The periodic job: publishes every revision of `M` due at `now`
/// (`wagtail.publish.scheduled`, after the rename rule) and withdraws every expired live row
/// (`wagtail.unpublish.scheduled`). Entries have no user and no uuid; each object is its own
/// transaction, so one failure leaves the others done.
pub(crate) fn run_scheduled<M: Scheduled<C>, C: LogConnection>(
    conn: &mut C,
    now: DateTime<Utc>,
    options: &LogOptions,
) -> Result<ScheduledRun> {
    // Schedules run as the system, whoever holds a lock (as Wagtail's scheduled publishing).
    let options = &options.clone().override_lock();
    LogContext::without_uuid(None::<UserId>).scope(|| {
        let mut run = ScheduledRun::default();
        for revision in revision::due(conn, M::CONTENT_TYPE, now)? {
            let key = parse_key::<M>(&revision.object_id)?;
            publish_at::<M, _>(
                conn,
                &key,
                revision.id,
                options,
                now,
                "wagtail.publish.scheduled",
                None,
            )?;
            run.published += 1;
        }
        let expired = M::expired_rows(conn, now.naive_utc()).context("finding expired rows")?;
        for row in expired {
            unpublish_as::<M, _>(
                conn,
                &row.key(),
                options,
                "wagtail.unpublish.scheduled",
                true,
            )?;
            run.expired += 1;
        }
        Ok(run)
    })
}

fn parse_key<M: Model>(object_id: &str) -> Result<M::Key> {
    object_id.parse().map_err(|_| Error::InvalidObjectId {
        object_id: object_id.to_owned(),
        table: "revisions",
        reason: format!("not a primary key of {}", M::CONTENT_TYPE),
    })
}

/// Saves a revision of `row` as it stands (no entry) and makes it the latest revision: what a
/// copy or a converted alias starts from.
pub(crate) fn lifecycle_revision<M: DraftStateful<C>, C: LogConnection>(
    conn: &mut C,
    row: &M,
    options: &LogOptions,
) -> Result<Revision> {
    let revision = save_revision(conn, row, options.acting_user())?.ok_or(
        Error::DraftStateWithoutRevisions {
            content_type: M::CONTENT_TYPE,
        },
    )?;
    let mut state = state_of(row);
    state.latest_revision_id = Some(revision.id);
    M::store_draft_state(conn, &row.key(), &state).context("recording the revision")?;
    Ok(revision)
}

/// Publishing for a model with draft state (`#[loggable(draft_state)]`, or `scheduling`):
/// `#[derive(Loggable)]` implements it; import it (or `loggable::prelude::*`) to call it.
pub trait Publishing: Model {
    /// Saves this value as a draft revision and logs `wagtail.edit` (content_changed and
    /// `data.changes` against the stored row). A live row keeps its published content.
    fn save_draft<C: LogConnection>(&self, conn: &mut C, options: &LogOptions) -> Result<Revision>
    where
        Self: DraftStateful<C>,
    {
        save_draft(conn, self, options)
    }

    /// Publishes revision `revision_id`: (`wagtail.rename` when the title changes) →
    /// `wagtail.publish`, or `wagtail.publish.schedule` when the revision's `go_live_at` is in
    /// the future. Ends the object's moderation run. Returns the row as stored.
    fn publish<C: LogConnection>(
        &self,
        conn: &mut C,
        revision_id: i64,
        options: &LogOptions,
    ) -> Result<Self>
    where
        Self: DraftStateful<C>,
    {
        publish::<Self, C>(conn, &self.key(), revision_id, options)
    }

    /// Saves this value as a draft and publishes it, in one transaction.
    fn save_and_publish<C: LogConnection>(&self, conn: &mut C, options: &LogOptions) -> Result<Self>
    where
        Self: DraftStateful<C>,
    {
        crate::db::transaction(conn, |conn| {
            let revision = save_draft(conn, self, options)?;
            publish::<Self, C>(conn, &self.key(), revision.id, options)
        })
    }

    /// Withdraws the live version and logs `wagtail.unpublish`; nothing when it is not live.
    fn unpublish<C: LogConnection>(&self, conn: &mut C, options: &LogOptions) -> Result<Self>
    where
        Self: DraftStateful<C>,
    {
        unpublish::<Self, C>(conn, &self.key(), options)
    }

    /// Cancels the scheduled publication and logs `wagtail.schedule.cancel`; returns the
    /// revision that was scheduled, or `None` (and logs nothing) when none was.
    fn cancel_schedule<C: LogConnection>(
        &self,
        conn: &mut C,
        options: &LogOptions,
    ) -> Result<Option<Revision>>
    where
        Self: Scheduled<C>,
    {
        cancel_schedule::<Self, C>(conn, &self.key(), options)
    }

    /// The periodic job: publishes every revision due at `now` and withdraws every expired
    /// row (no user, no uuid; each object in its own transaction).
    fn run_scheduled<C: LogConnection>(
        conn: &mut C,
        now: DateTime<Utc>,
        options: &LogOptions,
    ) -> Result<ScheduledRun>
    where
        Self: Scheduled<C>,
    {
        run_scheduled::<Self, C>(conn, now, options)
    }
}
