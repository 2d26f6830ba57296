//! Diesel table definitions for the tables that the embedded migrations create.
//!
//! Written by hand rather than by `diesel print-schema`: one definition has to serve SQLite and
//! PostgreSQL alike, so every column uses a type both backends (and Diesel's `MultiConnection`)
//! share. JSON (`data`, `content`) and UUIDs are stored as text for that reason.

diesel::table! {
    /// Accounts that act in the admin and appear in the log as `user_id`.
    #[sql_name = "loggable_users"]
    auth_users (id) {
        id -> BigInt,
        username -> Text,
        full_name -> Text,
        email -> Text,
        is_active -> Bool,
        is_superuser -> Bool,
    }
}

diesel::table! {
    /// Named sets of users that hold permissions together.
    #[sql_name = "loggable_groups"]
    auth_groups (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    /// Membership of users in groups.
    #[sql_name = "loggable_user_groups"]
    auth_user_groups (user_id, group_id) {
        user_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::table! {
    /// Permissions on a model type, granted to exactly one of a user or a group.
    #[sql_name = "loggable_model_permissions"]
    model_permissions (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
        content_type -> Text,
        codename -> Text,
    }
}

diesel::table! {
    /// The page tree (materialised paths) and each page's publishing state.
    #[sql_name = "loggable_pages"]
    pages (id) {
        id -> BigInt,
        path -> Text,
        depth -> Integer,
        numchild -> Integer,
        title -> Text,
        draft_title -> Text,
        slug -> Text,
        content_type -> Text,
        live -> Bool,
        has_unpublished_changes -> Bool,
        first_published_at -> Nullable<Timestamp>,
        last_published_at -> Nullable<Timestamp>,
        latest_revision_id -> Nullable<BigInt>,
        live_revision_id -> Nullable<BigInt>,
        go_live_at -> Nullable<Timestamp>,
        expire_at -> Nullable<Timestamp>,
        expired -> Bool,
        locked -> Bool,
        locked_at -> Nullable<Timestamp>,
        locked_by -> Nullable<BigInt>,
        owner -> Nullable<BigInt>,
        alias_of -> Nullable<BigInt>,
        specific -> Text,
    }
}

diesel::table! {
    /// Saved versions of any object, as JSON.
    #[sql_name = "loggable_revisions"]
    revisions (id) {
        id -> BigInt,
        content_type -> Text,
        object_id -> Text,
        content -> Text,
        created_at -> Timestamp,
        user_id -> Nullable<Text>,
        approved_go_live_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Page permissions granted to a group on a page and its descendants.
    #[sql_name = "loggable_group_page_permissions"]
    group_page_permissions (id) {
        id -> BigInt,
        group_id -> BigInt,
        page_id -> BigInt,
        permission_type -> Text,
    }
}

diesel::table! {
    /// Who may read an object's published version (none, login, password, groups).
    #[sql_name = "loggable_view_restrictions"]
    view_restrictions (id) {
        id -> BigInt,
        content_type -> Text,
        object_id -> Text,
        restriction_type -> Text,
        password -> Text,
    }
}

diesel::table! {
    /// The groups of a `groups` view restriction.
    #[sql_name = "loggable_view_restriction_groups"]
    view_restriction_groups (view_restriction_id, group_id) {
        view_restriction_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::table! {
    /// Log entries of pages.
    loggable_page_log_entries (id) {
        id -> BigInt,
        content_type -> Nullable<Text>,
        label -> Text,
        action -> Text,
        data -> Text,
        timestamp -> Timestamp,
        uuid -> Nullable<Text>,
        user_id -> Nullable<Text>,
        revision_id -> Nullable<BigInt>,
        content_changed -> Bool,
        deleted -> Bool,
        page_id -> BigInt,
    }
}

diesel::table! {
    /// Log entries of every model without a log table of its own.
    loggable_model_log_entries (id) {
        id -> BigInt,
        content_type -> Nullable<Text>,
        label -> Text,
        action -> Text,
        data -> Text,
        timestamp -> Timestamp,
        uuid -> Nullable<Text>,
        user_id -> Nullable<Text>,
        revision_id -> Nullable<BigInt>,
        content_changed -> Bool,
        deleted -> Bool,
        object_id -> Text,
    }
}

diesel::table! {
    /// Comments on a page's fields.
    #[sql_name = "loggable_page_comments"]
    page_comments (id) {
        id -> BigInt,
        page_id -> BigInt,
        contentpath -> Text,
        text -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Replies to page comments.
    #[sql_name = "loggable_page_comment_replies"]
    page_comment_replies (id) {
        id -> BigInt,
        comment_id -> BigInt,
        text -> Text,
        user_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Named, ordered lists of moderation tasks.
    #[sql_name = "loggable_workflows"]
    workflows (id) {
        id -> BigInt,
        name -> Text,
        active -> Bool,
    }
}

diesel::table! {
    /// Moderation tasks; `kind` names who may act on them (e.g. `group_approval`).
    #[sql_name = "loggable_workflow_tasks"]
    workflow_tasks (id) {
        id -> BigInt,
        name -> Text,
        kind -> Text,
        active -> Bool,
    }
}

diesel::table! {
    /// The tasks of each workflow, in order.
    #[sql_name = "loggable_workflow_task_order"]
    workflow_task_order (workflow_id, task_id) {
        workflow_id -> BigInt,
        task_id -> BigInt,
        sort_order -> Integer,
    }
}

diesel::table! {
    /// The groups whose users may act on a group-approval task.
    #[sql_name = "loggable_workflow_task_groups"]
    workflow_task_groups (task_id, group_id) {
        task_id -> BigInt,
        group_id -> BigInt,
    }
}

diesel::table! {
    /// Workflows assigned to page subtrees.
    #[sql_name = "loggable_workflow_pages"]
    workflow_pages (page_id) {
        page_id -> BigInt,
        workflow_id -> BigInt,
    }
}

diesel::table! {
    /// Workflows assigned to model types.
    #[sql_name = "loggable_workflow_content_types"]
    workflow_content_types (content_type) {
        content_type -> Text,
        workflow_id -> BigInt,
    }
}

diesel::table! {
    /// One run of a workflow on one object.
    #[sql_name = "loggable_workflow_states"]
    workflow_states (id) {
        id -> BigInt,
        content_type -> Text,
        object_id -> Text,
        workflow_id -> BigInt,
        status -> Text,
        requested_by -> Nullable<BigInt>,
        current_task_state_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// One task's progress within a workflow run.
    #[sql_name = "loggable_workflow_task_states"]
    workflow_task_states (id) {
        id -> BigInt,
        workflow_state_id -> BigInt,
        task_id -> BigInt,
        revision_id -> Nullable<BigInt>,
        status -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        finished_by -> Nullable<BigInt>,
        comment -> Text,
    }
}

diesel::table! {
    /// The head of each hash-chained log table's chain (the appenders' lock).
    #[sql_name = "loggable_log_chain_heads"]
    log_chain_heads (log_table) {
        log_table -> Text,
        seq -> BigInt,
        chain_hash -> Text,
        base_seq -> BigInt,
        base_hash -> Text,
        key_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// Every log table loggable has written to, by qualified name.
    #[sql_name = "loggable_log_tables"]
    log_tables (name) {
        name -> Text,
        object_column -> Text,
        integer_objects -> Bool,
        match_content_type -> Bool,
    }
}

diesel::table! {
    /// The links of the hash chains: one per chained entry.
    #[sql_name = "loggable_log_chain"]
    log_chain (log_table, seq) {
        log_table -> Text,
        seq -> BigInt,
        entry_id -> BigInt,
        content_hash -> Text,
        chain_hash -> Text,
    }
}

diesel::joinable!(auth_user_groups -> auth_users (user_id));
diesel::joinable!(auth_user_groups -> auth_groups (group_id));
diesel::joinable!(group_page_permissions -> pages (page_id));
diesel::joinable!(group_page_permissions -> auth_groups (group_id));
diesel::joinable!(workflow_task_order -> workflow_tasks (task_id));

diesel::allow_tables_to_appear_in_same_query!(
    auth_users,
    auth_groups,
    auth_user_groups,
    model_permissions,
    pages,
    revisions,
    group_page_permissions,
    view_restrictions,
    view_restriction_groups,
    loggable_page_log_entries,
    loggable_model_log_entries,
    page_comments,
    page_comment_replies,
    workflows,
    workflow_tasks,
    workflow_task_order,
    workflow_task_groups,
    workflow_pages,
    workflow_content_types,
    workflow_states,
    workflow_task_states,
    log_chain_heads,
    log_chain,
);
