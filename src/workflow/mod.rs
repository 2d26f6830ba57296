//! Moderation workflows: submit an object, approve or reject each task in order, resubmit
//! after changes, cancel; the last approval publishes the latest revision as the approver.
//! Every step is logged with the data of docs/operations.md ("Workflows").

use diesel::prelude::*;
use serde_json::{Map, Value, json};

mod setup;

use self::setup::task_kind;
pub use self::setup::{
    GROUP_APPROVAL, TaskKind, assign_to_page, assign_to_type, create_group_approval_task,
    create_task, create_workflow, register_task_kind, workflow_for_page, workflow_for_type,
};
use crate::db::{DbConnection, LogConnection};
use crate::error::{DatabaseContext, Error, Result};
use crate::model::{self, LogOptions, Model};
pub use crate::moderation::{Task, TaskState, Workflow, WorkflowState, active_state};
use crate::moderation::{
    cancel_active, current_state, reference, set_status, task, task_state, task_step, workflow,
    workflow_data,
};
use crate::publishing::{self, DraftStateful};
use crate::schema::{workflow_states, workflow_task_order, workflow_task_states, workflow_tasks};

/// The first active task of the workflow not yet approved or skipped in this run.
fn next_task(conn: &mut DbConnection, state: &WorkflowState) -> Result<Option<Task>> {
    let done: Vec<i64> = workflow_task_states::table
        .filter(workflow_task_states::workflow_state_id.eq(state.id))
        .filter(workflow_task_states::status.eq_any(["approved", "skipped"]))
        .select(workflow_task_states::task_id)
        .load(conn)
        .context("reading task states")?;
    workflow_task_order::table
        .inner_join(workflow_tasks::table)
        .filter(workflow_task_order::workflow_id.eq(state.workflow_id))
        .filter(workflow_tasks::active.eq(true))
        .filter(diesel::dsl::not(workflow_tasks::id.eq_any(done)))
        .order(workflow_task_order::sort_order)
        .select(workflow_tasks::all_columns)
        .first(conn)
        .optional()
        .context("finding the next task")
}

fn start_task(
    conn: &mut DbConnection,
    state: &WorkflowState,
    task: &Task,
    revision_id: Option<i64>,
) -> Result<TaskState> {
    let now = crate::entry::next_timestamp().naive_utc();
    let task_state: TaskState = crate::db::get_returning!(
        conn,
        diesel::insert_into(workflow_task_states::table).values((
            workflow_task_states::workflow_state_id.eq(state.id),
            workflow_task_states::task_id.eq(task.id),
            workflow_task_states::revision_id.eq(revision_id),
            workflow_task_states::status.eq("in_progress"),
            workflow_task_states::started_at.eq(now),
        )),
        workflow_task_states::all_columns,
        |mysql, id| workflow_task_states::table.find(id).get_result(mysql)
    )
    .context("starting a task")?;
    diesel::update(workflow_states::table.find(state.id))
        .set(workflow_states::current_task_state_id.eq(Some(task_state.id)))
        .execute(conn)
        .context("starting a task")?;
    Ok(task_state)
}

/// What an object needs to go through moderation.
fn key_of<M: Model>(object: &M) -> String {
    object.key().to_string()
}

/// Submits `object` to `workflow_id`: starts its first task on the latest revision and logs
/// `wagtail.workflow.start` (data `{"workflow": {"id", "title", "status", "next",
/// "task_state_id"}}`, revision = latest).
pub fn start<M: DraftStateful<DbConnection>>(
    conn: &mut impl LogConnection,
    object: &M,
    workflow_id: i64,
    options: &LogOptions,
) -> Result<WorkflowState> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let object_id = key_of(object);
            if active_state(conn, M::CONTENT_TYPE, &object_id)?.is_some() {
                return Err(Error::Moderation {
                    content_type: M::CONTENT_TYPE,
                    object_id,
                    problem: "is already in moderation",
                });
            }
            let workflow = workflow(conn, workflow_id)?;
            if !workflow.active {
                return Err(Error::WorkflowInactive {
                    workflow: workflow.name,
                });
            }
            let current = model::find::<M, _>(conn, &object.key())?;
            let revision_id = current.draft_state().and_then(|s| s.latest_revision_id);
            let now = crate::entry::next_timestamp().naive_utc();
            let requested_by = crate::directory::cms_user(
                options.acting_user(),
                "loggable_workflow_states.requested_by",
            )?;
            let state: WorkflowState = crate::db::get_returning!(
                conn,
                diesel::insert_into(workflow_states::table).values((
                    workflow_states::content_type.eq(M::CONTENT_TYPE),
                    workflow_states::object_id.eq(&object_id),
                    workflow_states::workflow_id.eq(workflow.id),
                    workflow_states::status.eq("in_progress"),
                    workflow_states::requested_by.eq(requested_by),
                    workflow_states::created_at.eq(now),
                )),
                workflow_states::all_columns,
                |mysql, id| workflow_states::table.find(id).get_result(mysql)
            )
            .context("starting a workflow")?;
            let first = next_task(conn, &state)?;
            let task_state = match &first {
                Some(task) => Some(start_task(conn, &state, task, revision_id)?),
                None => None,
            };
            let mut data = Map::new();
            data.insert(
                "workflow".to_owned(),
                json!({
                    "id": workflow.id,
                    "title": workflow.name,
                    "status": "in_progress",
                    "next": first.as_ref().map(reference),
                    "task_state_id": task_state.as_ref().map(|t| t.id),
                }),
            );
            let entry = options.entry(&current, "wagtail.workflow.start", true, data)?;
            options.write(conn, entry.revision_if_any(revision_id))?;
            if first.is_none() {
                finish(conn, &current, &state, options)?;
            }
            current_state(conn, state.id)
        })
    })
}

/// The run in progress for `object` and its current task, checking `user` may act on it.
fn acting_on<M: DraftStateful<DbConnection>>(
    conn: &mut DbConnection,
    object: &M,
    by: i64,
    action: &str,
) -> Result<(WorkflowState, TaskState, Task)> {
    let object_id = key_of(object);
    let state = active_state(conn, M::CONTENT_TYPE, &object_id)?
        .filter(|s| s.status == "in_progress")
        .and_then(|state| Some((state.current_task_state_id?, state)));
    let Some((task_state_id, state)) = state else {
        return Err(Error::Moderation {
            content_type: M::CONTENT_TYPE,
            object_id,
            problem: "has no task in progress",
        });
    };
    let task_state = task_state(conn, task_state_id)?;
    let task = task(conn, task_state.task_id)?;
    let user = Some(by);
    if !task_kind(&task.kind)?.user_may_act(conn, &task, user)? {
        return Err(Error::PermissionDenied {
            user,
            action: format!("{action} the task '{}'", task.name),
        });
    }
    Ok((state, task_state, task))
}

fn end_task(
    conn: &mut DbConnection,
    task_state: &TaskState,
    status: &str,
    comment: &str,
    user: Option<i64>,
) -> Result<()> {
    let now = crate::entry::next_timestamp().naive_utc();
    diesel::update(workflow_task_states::table.find(task_state.id))
        .set((
            workflow_task_states::status.eq(status),
            workflow_task_states::finished_at.eq(Some(now)),
            workflow_task_states::finished_by.eq(user),
            workflow_task_states::comment.eq(comment),
        ))
        .execute(conn)
        .context("ending a task")?;
    Ok(())
}

/// `{"workflow": {"id", "title", "status", "task_state_id", "task", "next"}, "comment"}`.
fn decision_data(
    workflow: &Workflow,
    task_state: &TaskState,
    status: &str,
    task: &Task,
    next: Option<&Task>,
    comment: &str,
) -> Map<String, Value> {
    let mut step = task_step(workflow, status, task_state, task);
    step.insert("next".to_owned(), json!(next.map(reference)));
    let mut data = workflow_data(step);
    data.insert("comment".to_owned(), Value::String(comment.to_owned()));
    data
}

/// A reviewer's decision on the current task.
#[derive(Clone, Copy)]
enum Decision {
    Approve,
    Reject,
}

impl Decision {
    fn verb(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    fn task_status(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
        }
    }
}

/// Records `decision` on the current task (as an allowed user) and logs it; returns the run,
/// the task state decided, the next task and the object as stored.
fn decide<M: DraftStateful<DbConnection>>(
    conn: &mut DbConnection,
    object: &M,
    by: i64,
    comment: &str,
    options: &LogOptions,
    decision: Decision,
) -> Result<(WorkflowState, TaskState, Option<Task>, M)> {
    let (state, task_state, task) = acting_on(conn, object, by, decision.verb())?;
    let status = decision.task_status();
    end_task(conn, &task_state, status, comment, Some(by))?;
    if matches!(decision, Decision::Reject) {
        set_status(conn, state.id, "needs_changes")?;
    }
    let workflow = workflow(conn, state.workflow_id)?;
    let next = next_task(conn, &state)?;
    let current = model::find::<M, _>(conn, &object.key())?;
    // The decision is about the revision under review: the entry records its title, not that
    // of a draft saved since (Wagtail logs the revision's object).
    let reviewed: Option<M> = match task_state.revision_id {
        Some(id) => Some(publishing::model_from_revision(
            &publishing::revision_of::<M, _>(conn, &object.key(), id)?,
        )?),
        None => None,
    };
    let data = decision_data(
        &workflow,
        &task_state,
        status,
        &task,
        next.as_ref(),
        comment,
    );
    let action = format!("wagtail.workflow.{}", decision.verb());
    let entry = options.entry(reviewed.as_ref().unwrap_or(&current), &action, true, data)?;
    options.write(conn, entry.revision_if_any(task_state.revision_id))?;
    Ok((state, task_state, next, current))
}

/// Approves the current task as user `by` (the CMS layer's user id), who must be allowed by
/// the task, and logs `wagtail.workflow.approve` as `by`; then starts the next task, or on
/// the last one completes the workflow and publishes the latest revision as the approver
/// ((`wagtail.rename`) → `wagtail.publish`). Anyone else gets [`Error::PermissionDenied`] and
/// nothing is written. The decision is `by`'s alone: the log context never stands in for it.
pub fn approve<M: DraftStateful<DbConnection>>(
    conn: &mut impl LogConnection,
    object: &M,
    by: i64,
    comment: &str,
    options: &LogOptions,
) -> Result<WorkflowState> {
    let options = &options.clone().user(by);
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let (state, _, next, current) =
                decide(conn, object, by, comment, options, Decision::Approve)?;
            match next {
                // A task starts on the object's latest revision, which may be a draft saved
                // while the previous task was under review.
                Some(next) => {
                    let latest = current.draft_state().and_then(|s| s.latest_revision_id);
                    start_task(conn, &state, &next, latest)?;
                }
                None => finish(conn, &current, &state, options)?,
            }
            current_state(conn, state.id)
        })
    })
}

/// Completes the run and publishes the object's latest revision as the acting user. `object`
/// is the row as stored (the callers have just read it; the run does not change it).
fn finish<M: DraftStateful<DbConnection>>(
    conn: &mut DbConnection,
    object: &M,
    state: &WorkflowState,
    options: &LogOptions,
) -> Result<()> {
    set_status(conn, state.id, "approved")?;
    let latest = object.draft_state().and_then(|s| s.latest_revision_id);
    if let Some(revision_id) = latest {
        let mut publish = options.clone();
        publish.action = None;
        publish.data = None;
        publishing::publish::<M, _>(conn, &object.key(), revision_id, &publish)?;
    }
    Ok(())
}

/// Rejects the current task as user `by` (who must be allowed by the task) and logs
/// `wagtail.workflow.reject` as `by`; the run waits for changes (`needs_changes`).
pub fn reject<M: DraftStateful<DbConnection>>(
    conn: &mut impl LogConnection,
    object: &M,
    by: i64,
    comment: &str,
    options: &LogOptions,
) -> Result<WorkflowState> {
    let options = &options.clone().user(by);
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let (state, ..) = decide(conn, object, by, comment, options, Decision::Reject)?;
            current_state(conn, state.id)
        })
    })
}

/// Resubmits after changes as user `by`: the run goes back in progress, restarting the
/// rejected task on the latest revision; logs `wagtail.workflow.resume` as `by`.
pub fn resume<M: DraftStateful<DbConnection>>(
    conn: &mut impl LogConnection,
    object: &M,
    by: i64,
    options: &LogOptions,
) -> Result<WorkflowState> {
    let options = &options.clone().user(by);
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let object_id = key_of(object);
            let state = active_state(conn, M::CONTENT_TYPE, &object_id)?
                .filter(|s| s.status == "needs_changes")
                .ok_or_else(|| Error::Moderation {
                    content_type: M::CONTENT_TYPE,
                    object_id: object_id.clone(),
                    problem: "is not waiting for changes",
                })?;
            let rejected = task_state(conn, state.current_task_state_id.unwrap_or_default())?;
            let task = task(conn, rejected.task_id)?;
            let workflow = workflow(conn, state.workflow_id)?;
            set_status(conn, state.id, "in_progress")?;
            let current = model::find::<M, _>(conn, &object.key())?;
            let data = workflow_data(task_step(&workflow, "in_progress", &rejected, &task));
            let entry = options.entry(&current, "wagtail.workflow.resume", true, data)?;
            options.write(conn, entry.revision_if_any(rejected.revision_id))?;
            let latest = current.draft_state().and_then(|s| s.latest_revision_id);
            start_task(conn, &state, &task, latest)?;
            current_state(conn, state.id)
        })
    })
}

/// Cancels the object's run (in progress or waiting for changes) as user `by` and logs
/// `wagtail.workflow.cancel` as `by`; returns `None` (and logs nothing) when there is none.
pub fn cancel<M: DraftStateful<DbConnection>>(
    conn: &mut impl LogConnection,
    object: &M,
    by: i64,
    options: &LogOptions,
) -> Result<Option<WorkflowState>> {
    let options = &options.clone().user(by);
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let current = model::find::<M, _>(conn, &object.key())?;
            cancel_active(conn, M::CONTENT_TYPE, &key_of(object), &current, options)
        })
    })
}
