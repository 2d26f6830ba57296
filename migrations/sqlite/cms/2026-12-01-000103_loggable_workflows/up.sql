-- Moderation workflows: ordered tasks, where they apply, and each object's progress.
CREATE TABLE loggable_workflows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (name <> ''),
    active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE loggable_workflow_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (name <> ''),
    kind TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT 1
);

CREATE TABLE loggable_workflow_task_order (
    workflow_id BIGINT NOT NULL REFERENCES loggable_workflows (id) ON DELETE CASCADE,
    task_id BIGINT NOT NULL REFERENCES loggable_workflow_tasks (id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, task_id)
);

CREATE TABLE loggable_workflow_task_groups (
    task_id BIGINT NOT NULL REFERENCES loggable_workflow_tasks (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES loggable_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (task_id, group_id)
);

CREATE TABLE loggable_workflow_pages (
    page_id BIGINT PRIMARY KEY REFERENCES loggable_pages (id) ON DELETE CASCADE,
    workflow_id BIGINT NOT NULL REFERENCES loggable_workflows (id) ON DELETE CASCADE
);

CREATE TABLE loggable_workflow_content_types (
    content_type TEXT PRIMARY KEY,
    workflow_id BIGINT NOT NULL REFERENCES loggable_workflows (id) ON DELETE CASCADE
);

CREATE TABLE loggable_workflow_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    workflow_id BIGINT NOT NULL REFERENCES loggable_workflows (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'approved', 'needs_changes', 'cancelled')),
    requested_by BIGINT REFERENCES loggable_users (id) ON DELETE SET NULL,
    current_task_state_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX loggable_workflow_states_object ON loggable_workflow_states (content_type, object_id);

CREATE TABLE loggable_workflow_task_states (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_state_id BIGINT NOT NULL REFERENCES loggable_workflow_states (id) ON DELETE CASCADE,
    task_id BIGINT NOT NULL REFERENCES loggable_workflow_tasks (id) ON DELETE CASCADE,
    revision_id BIGINT,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'approved', 'rejected', 'skipped', 'cancelled')),
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    finished_by BIGINT REFERENCES loggable_users (id) ON DELETE SET NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX loggable_workflow_task_states_state ON loggable_workflow_task_states (workflow_state_id);
