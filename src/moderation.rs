//! The rows of moderation workflows (workflows, tasks, runs and their task states) and the one
//! step publishing takes on them: a publication cancels the object's run.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use crate::db::{DbConnection, LogConnection};
use crate::error::{DatabaseContext, Result};
use crate::model::LogOptions;
use crate::object::Loggable;
use crate::schema::{workflow_states, workflow_task_states, workflow_tasks, workflows};

/// A workflow.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Workflow {
    /// Primary key.
    pub id: i64,
    /// Its name (the `title` in entries).
    pub name: String,
    /// Inactive workflows cannot be started.
    pub active: bool,
}

/// A task of a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Task {
    /// Primary key.
    pub id: i64,
    /// Its name (the task `title` in entries).
    pub name: String,
    /// Who may act on it (see [`TaskKind`](crate::workflow::TaskKind)).
    pub kind: String,
    /// Inactive tasks are skipped.
    pub active: bool,
}

/// One run of a workflow on one object.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct WorkflowState {
    /// Primary key.
    pub id: i64,
    /// Base type of the object.
    pub content_type: String,
    /// The object's primary key.
    pub object_id: String,
    /// The workflow.
    pub workflow_id: i64,
    /// `in_progress`, `approved`, `needs_changes` or `cancelled`.
    pub status: String,
    /// Who submitted.
    pub requested_by: Option<i64>,
    /// The task being worked on.
    pub current_task_state_id: Option<i64>,
    /// When it was submitted.
    pub created_at: NaiveDateTime,
}

/// One task's progress in a run.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct TaskState {
    /// Primary key.
    pub id: i64,
    /// The run.
    pub workflow_state_id: i64,
    /// The task.
    pub task_id: i64,
    /// The revision under review.
    pub revision_id: Option<i64>,
    /// `in_progress`, `approved`, `rejected`, `skipped` or `cancelled`.
    pub status: String,
    /// When it started.
    pub started_at: NaiveDateTime,
    /// When it ended.
    pub finished_at: Option<NaiveDateTime>,
    /// Who ended it.
    pub finished_by: Option<i64>,
    /// The approver's or rejecter's comment.
    pub comment: String,
}

/// The object's run that is in progress or waiting for changes, if any.
pub fn active_state(
    conn: &mut impl LogConnection,
    content_type: &str,
    object_id: &str,
) -> Result<Option<WorkflowState>> {
    crate::db::with_db(conn, |conn| {
        workflow_states::table
            .filter(workflow_states::content_type.eq(content_type))
            .filter(workflow_states::object_id.eq(object_id))
            .filter(workflow_states::status.eq_any(["in_progress", "needs_changes"]))
            .order(workflow_states::id.desc())
            .first(conn)
            .optional()
            .context("reading workflow state")
    })
}

pub(crate) fn workflow(conn: &mut DbConnection, id: i64) -> Result<Workflow> {
    workflows::table
        .find(id)
        .first(conn)
        .context("reading a workflow")
}

pub(crate) fn task(conn: &mut DbConnection, id: i64) -> Result<Task> {
    workflow_tasks::table
        .find(id)
        .first(conn)
        .context("reading a task")
}

pub(crate) fn task_state(conn: &mut DbConnection, id: i64) -> Result<TaskState> {
    workflow_task_states::table
        .find(id)
        .first(conn)
        .context("reading a task state")
}

pub(crate) fn set_status(conn: &mut DbConnection, state_id: i64, status: &str) -> Result<()> {
    diesel::update(workflow_states::table.find(state_id))
        .set(workflow_states::status.eq(status))
        .execute(conn)
        .context("updating workflow state")?;
    Ok(())
}

pub(crate) fn reference(task: &Task) -> Value {
    json!({"id": task.id, "title": task.name})
}

pub(crate) fn current_state(conn: &mut DbConnection, id: i64) -> Result<WorkflowState> {
    workflow_states::table
        .find(id)
        .first(conn)
        .context("reading workflow state")
}

/// `{"id", "title", "status", "task_state_id", "task"}`: where a run stands on one task.
pub(crate) fn task_step(
    workflow: &Workflow,
    status: &str,
    task_state: &TaskState,
    task: &Task,
) -> Map<String, Value> {
    let mut step = Map::new();
    step.insert("id".to_owned(), json!(workflow.id));
    step.insert("title".to_owned(), json!(workflow.name));
    step.insert("status".to_owned(), json!(status));
    step.insert("task_state_id".to_owned(), json!(task_state.id));
    step.insert("task".to_owned(), reference(task));
    step
}

/// `{"workflow": step}`.
pub(crate) fn workflow_data(step: Map<String, Value>) -> Map<String, Value> {
    let mut data = Map::new();
    data.insert("workflow".to_owned(), Value::Object(step));
    data
}

/// Cancels the active run of the object, logging `wagtail.workflow.cancel` about `object`.
/// Publishing calls this first, so a publication ends moderation.
pub(crate) fn cancel_active(
    conn: &mut DbConnection,
    content_type: &str,
    object_id: &str,
    object: &(impl Loggable + ?Sized),
    options: &LogOptions,
) -> Result<Option<WorkflowState>> {
    let Some(state) = active_state(conn, content_type, object_id)? else {
        return Ok(None);
    };
    set_status(conn, state.id, "cancelled")?;
    let workflow = workflow(conn, state.workflow_id)?;
    let mut data = Map::new();
    let mut revision = None;
    if let Some(task_state_id) = state.current_task_state_id {
        let task_state = task_state(conn, task_state_id)?;
        let task = task(conn, task_state.task_id)?;
        data = workflow_data(task_step(&workflow, "cancelled", &task_state, &task));
        revision = task_state.revision_id;
        diesel::update(
            workflow_task_states::table
                .filter(workflow_task_states::workflow_state_id.eq(state.id))
                .filter(workflow_task_states::status.eq("in_progress")),
        )
        .set(workflow_task_states::status.eq("cancelled"))
        .execute(conn)
        .context("cancelling tasks")?;
    }
    let entry = options.entry(object, "wagtail.workflow.cancel", false, data)?;
    options.write(conn, entry.revision_if_any(revision))?;
    current_state(conn, state.id).map(Some)
}
