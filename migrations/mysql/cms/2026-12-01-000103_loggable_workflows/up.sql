-- Moderation workflows: ordered tasks, where they apply, and each object's progress. Foreign
-- keys and their indexes as in loggable_cms: each foreign key column that starts no index on
-- PostgreSQL gets one (`<table>_<column>`), which InnoDB needs.

-- Non-empty texts are checked as CHAR_LENGTH(x) > 0: utf8mb4_bin pads with spaces when
-- comparing, so x <> '' would refuse a text of spaces.
CREATE TABLE loggable_workflows (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (CHAR_LENGTH(name) > 0),
    active BOOLEAN NOT NULL DEFAULT TRUE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_tasks (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (CHAR_LENGTH(name) > 0),
    kind VARCHAR(255) NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_task_order (
    workflow_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL,
    sort_order INT NOT NULL,
    PRIMARY KEY (workflow_id, task_id),
    INDEX loggable_workflow_task_order_task_id (task_id),
    FOREIGN KEY (workflow_id) REFERENCES loggable_workflows (id) ON DELETE CASCADE,
    FOREIGN KEY (task_id) REFERENCES loggable_workflow_tasks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_task_groups (
    task_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    PRIMARY KEY (task_id, group_id),
    INDEX loggable_workflow_task_groups_group_id (group_id),
    FOREIGN KEY (task_id) REFERENCES loggable_workflow_tasks (id) ON DELETE CASCADE,
    FOREIGN KEY (group_id) REFERENCES loggable_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_pages (
    page_id BIGINT NOT NULL PRIMARY KEY,
    workflow_id BIGINT NOT NULL,
    INDEX loggable_workflow_pages_workflow_id (workflow_id),
    FOREIGN KEY (page_id) REFERENCES loggable_pages (id) ON DELETE CASCADE,
    FOREIGN KEY (workflow_id) REFERENCES loggable_workflows (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_content_types (
    content_type VARCHAR(255) NOT NULL PRIMARY KEY,
    workflow_id BIGINT NOT NULL,
    INDEX loggable_workflow_content_types_workflow_id (workflow_id),
    FOREIGN KEY (workflow_id) REFERENCES loggable_workflows (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_states (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    content_type VARCHAR(255) NOT NULL,
    object_id VARCHAR(255) NOT NULL,
    workflow_id BIGINT NOT NULL,
    status VARCHAR(32) NOT NULL CHECK (status IN ('in_progress', 'approved', 'needs_changes', 'cancelled')),
    requested_by BIGINT,
    current_task_state_id BIGINT,
    created_at DATETIME(6) NOT NULL,
    INDEX loggable_workflow_states_object (content_type, object_id),
    INDEX loggable_workflow_states_workflow_id (workflow_id),
    INDEX loggable_workflow_states_requested_by (requested_by),
    FOREIGN KEY (workflow_id) REFERENCES loggable_workflows (id) ON DELETE CASCADE,
    FOREIGN KEY (requested_by) REFERENCES loggable_users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_workflow_task_states (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    workflow_state_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL,
    revision_id BIGINT,
    status VARCHAR(32) NOT NULL CHECK (status IN ('in_progress', 'approved', 'rejected', 'skipped', 'cancelled')),
    started_at DATETIME(6) NOT NULL,
    finished_at DATETIME(6),
    finished_by BIGINT,
    comment LONGTEXT NOT NULL DEFAULT (''),
    INDEX loggable_workflow_task_states_state (workflow_state_id),
    INDEX loggable_workflow_task_states_task_id (task_id),
    INDEX loggable_workflow_task_states_finished_by (finished_by),
    FOREIGN KEY (workflow_state_id) REFERENCES loggable_workflow_states (id) ON DELETE CASCADE,
    FOREIGN KEY (task_id) REFERENCES loggable_workflow_tasks (id) ON DELETE CASCADE,
    FOREIGN KEY (finished_by) REFERENCES loggable_users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
