//! Setting moderation up: task kinds (who may act on a task), tasks, workflows, and where
//! they apply (page subtrees, model types).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use diesel::prelude::*;

use crate::db::{DbConnection, LogConnection};
use crate::error::{DatabaseContext, Error, Result};
use crate::moderation::{Task, Workflow};
use crate::page::{self, Page};
use crate::schema::{
    auth_users, pages, workflow_content_types, workflow_pages, workflow_task_groups,
    workflow_task_order, workflow_tasks, workflows,
};

/// The built-in task kind: users of the task's groups (and superusers) may act.
pub const GROUP_APPROVAL: &str = "group_approval";

/// A kind of task: decides who may approve or reject it. Applications add their own with
/// [`register_task_kind`].
pub trait TaskKind: Send + Sync {
    /// Whether `user` may approve or reject `task`.
    fn user_may_act(&self, conn: &mut DbConnection, task: &Task, user: Option<i64>)
    -> Result<bool>;
}

/// Group approval: the user belongs to one of the task's groups, or is an active superuser.
struct GroupApproval;

impl TaskKind for GroupApproval {
    fn user_may_act(
        &self,
        conn: &mut DbConnection,
        task: &Task,
        user: Option<i64>,
    ) -> Result<bool> {
        let Some(user) = user else {
            return Ok(false);
        };
        let (active, superuser): (bool, bool) = auth_users::table
            .find(user)
            .select((auth_users::is_active, auth_users::is_superuser))
            .first(conn)
            .optional()
            .context("reading a user")?
            .unwrap_or((false, false));
        if !active {
            return Ok(false);
        }
        if superuser {
            return Ok(true);
        }
        let groups = crate::permission::groups_of(conn, user)?;
        let allowed: i64 = workflow_task_groups::table
            .filter(workflow_task_groups::task_id.eq(task.id))
            .filter(workflow_task_groups::group_id.eq_any(groups))
            .count()
            .get_result(conn)
            .context("reading task groups")?;
        Ok(allowed > 0)
    }
}

static TASK_KINDS: LazyLock<RwLock<HashMap<String, Arc<dyn TaskKind>>>> = LazyLock::new(|| {
    let mut kinds: HashMap<String, Arc<dyn TaskKind>> = HashMap::new();
    kinds.insert(GROUP_APPROVAL.to_owned(), Arc::new(GroupApproval));
    RwLock::new(kinds)
});

/// Registers an application's task kind under `name` (replacing one of that name).
pub fn register_task_kind(name: &str, kind: impl TaskKind + 'static) {
    TASK_KINDS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name.to_owned(), Arc::new(kind));
}

pub(super) fn task_kind(name: &str) -> Result<Arc<dyn TaskKind>> {
    TASK_KINDS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(name)
        .cloned()
        .ok_or_else(|| Error::UnknownTaskKind(name.to_owned()))
}

/// Creates a group-approval task that users of `groups` may act on.
pub fn create_group_approval_task(
    conn: &mut impl LogConnection,
    name: &str,
    groups: &[i64],
) -> Result<Task> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let task = create_task(conn, name, GROUP_APPROVAL)?;
            let rows: Vec<_> = groups
                .iter()
                .map(|group| {
                    (
                        workflow_task_groups::task_id.eq(task.id),
                        workflow_task_groups::group_id.eq(*group),
                    )
                })
                .collect();
            let insert = diesel::insert_into(workflow_task_groups::table).values(rows);
            crate::db::on_backend_connection!(conn, |conn| insert.execute(conn))
                .context("setting task groups")?;
            Ok(task)
        })
    })
}

/// Creates a task of an application-defined `kind` (see [`register_task_kind`]).
pub fn create_task(conn: &mut impl LogConnection, name: &str, kind: &str) -> Result<Task> {
    crate::db::with_db(conn, |conn| {
        task_kind(kind)?;
        crate::db::get_returning!(
            conn,
            diesel::insert_into(workflow_tasks::table)
                .values((workflow_tasks::name.eq(name), workflow_tasks::kind.eq(kind))),
            workflow_tasks::all_columns,
            |mysql, id| workflow_tasks::table.find(id).get_result(mysql)
        )
        .context("creating a task")
    })
}

/// Creates a workflow whose tasks run in the order given.
pub fn create_workflow(
    conn: &mut impl LogConnection,
    name: &str,
    tasks: &[i64],
) -> Result<Workflow> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            let workflow: Workflow = crate::db::get_returning!(
                conn,
                diesel::insert_into(workflows::table).values(workflows::name.eq(name)),
                workflows::all_columns,
                |mysql, id| workflows::table.find(id).get_result(mysql)
            )
            .context("creating a workflow")?;
            let rows: Vec<_> = tasks
                .iter()
                .enumerate()
                .map(|(order, task)| {
                    (
                        workflow_task_order::workflow_id.eq(workflow.id),
                        workflow_task_order::task_id.eq(*task),
                        workflow_task_order::sort_order
                            .eq(i32::try_from(order).unwrap_or(i32::MAX)),
                    )
                })
                .collect();
            let insert = diesel::insert_into(workflow_task_order::table).values(rows);
            crate::db::on_backend_connection!(conn, |conn| insert.execute(conn))
                .context("ordering workflow tasks")?;
            Ok(workflow)
        })
    })
}

/// Assigns `workflow_id` to the subtree of `page_id` (replacing an assignment there).
pub fn assign_to_page(conn: &mut impl LogConnection, workflow_id: i64, page_id: i64) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            diesel::delete(workflow_pages::table.find(page_id))
                .execute(conn)
                .context("assigning a workflow")?;
            diesel::insert_into(workflow_pages::table)
                .values((
                    workflow_pages::page_id.eq(page_id),
                    workflow_pages::workflow_id.eq(workflow_id),
                ))
                .execute(conn)
                .context("assigning a workflow")?;
            Ok(())
        })
    })
}

/// Assigns `workflow_id` to every object of `content_type` (replacing an assignment).
pub fn assign_to_type(
    conn: &mut impl LogConnection,
    workflow_id: i64,
    content_type: &str,
) -> Result<()> {
    crate::db::with_db(conn, |conn| {
        crate::db::transaction(conn, |conn| {
            diesel::delete(workflow_content_types::table.find(content_type))
                .execute(conn)
                .context("assigning a workflow")?;
            diesel::insert_into(workflow_content_types::table)
                .values((
                    workflow_content_types::content_type.eq(content_type),
                    workflow_content_types::workflow_id.eq(workflow_id),
                ))
                .execute(conn)
                .context("assigning a workflow")?;
            Ok(())
        })
    })
}

/// The workflow that applies to `page`: the one assigned to it or its nearest ancestor.
pub fn workflow_for_page(conn: &mut impl LogConnection, page: &Page) -> Result<Option<Workflow>> {
    crate::db::with_db(conn, |conn| {
        let mut chain = page::tree::ancestor_paths(&page.path);
        chain.push(page.path.clone());
        // The deepest page of the chain with an assignment wins.
        workflow_pages::table
            .inner_join(pages::table.on(pages::id.eq(workflow_pages::page_id)))
            .inner_join(workflows::table.on(workflows::id.eq(workflow_pages::workflow_id)))
            .filter(pages::path.eq_any(chain))
            .order(pages::depth.desc())
            .select(workflows::all_columns)
            .first(conn)
            .optional()
            .context("finding a page's workflow")
    })
}

/// The workflow assigned to `content_type`, if any.
pub fn workflow_for_type(
    conn: &mut impl LogConnection,
    content_type: &str,
) -> Result<Option<Workflow>> {
    crate::db::with_db(conn, |conn| {
        workflow_content_types::table
            .find(content_type)
            .inner_join(workflows::table.on(workflows::id.eq(workflow_content_types::workflow_id)))
            .select(workflows::all_columns)
            .first(conn)
            .optional()
            .context("finding a type's workflow")
    })
}
