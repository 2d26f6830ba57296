-- loggable's CMS layer for SQLite: users, groups, permissions, the page tree, revisions, view
-- restrictions and the page log (it lives here because its entries belong to pages). Runs
-- after the core (loggable_core). Keep in step with the PostgreSQL CMS layer: same tables,
-- columns and indexes. Every name loggable creates starts with `loggable_`.
-- AUTOINCREMENT on every table: ids of deleted rows (log entries above all) are never handed
-- out again.

CREATE TABLE loggable_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE CHECK (username <> ''),
    full_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    is_active BOOLEAN NOT NULL DEFAULT 1,
    is_superuser BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE loggable_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE CHECK (name <> '')
);

CREATE TABLE loggable_user_groups (
    user_id BIGINT NOT NULL REFERENCES loggable_users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES loggable_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX loggable_user_groups_group_id ON loggable_user_groups (group_id);

CREATE TABLE loggable_model_permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT REFERENCES loggable_users (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES loggable_groups (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    codename TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX loggable_model_permissions_user ON loggable_model_permissions (user_id, content_type);
CREATE INDEX loggable_model_permissions_group ON loggable_model_permissions (group_id, content_type);

CREATE TABLE loggable_pages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    numchild INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    draft_title TEXT NOT NULL,
    slug TEXT NOT NULL,
    content_type TEXT NOT NULL,
    live BOOLEAN NOT NULL DEFAULT 1,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT 0,
    first_published_at TIMESTAMP,
    last_published_at TIMESTAMP,
    latest_revision_id BIGINT,
    live_revision_id BIGINT,
    go_live_at TIMESTAMP,
    expire_at TIMESTAMP,
    expired BOOLEAN NOT NULL DEFAULT 0,
    locked BOOLEAN NOT NULL DEFAULT 0,
    locked_at TIMESTAMP,
    locked_by BIGINT REFERENCES loggable_users (id) ON DELETE SET NULL,
    owner BIGINT REFERENCES loggable_users (id) ON DELETE SET NULL,
    alias_of BIGINT REFERENCES loggable_pages (id) ON DELETE SET NULL,
    -- The fields of the specific page type (e.g. a blog page's intro), as a JSON object.
    specific TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX loggable_pages_depth ON loggable_pages (depth);
CREATE INDEX loggable_pages_alias_of ON loggable_pages (alias_of);

CREATE TABLE loggable_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    -- The application's user key, as in the log tables: no foreign key.
    user_id TEXT,
    approved_go_live_at TIMESTAMP
);
CREATE INDEX loggable_revisions_object ON loggable_revisions (content_type, object_id);
CREATE INDEX loggable_revisions_approved_go_live_at ON loggable_revisions (approved_go_live_at);

CREATE TABLE loggable_group_page_permissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES loggable_groups (id) ON DELETE CASCADE,
    page_id BIGINT NOT NULL REFERENCES loggable_pages (id) ON DELETE CASCADE,
    permission_type TEXT NOT NULL,
    -- Named: PostgreSQL's generated name would pass its 63-character limit and be cut short.
    CONSTRAINT loggable_group_page_permissions_group_id_page_id_type_key
        UNIQUE (group_id, page_id, permission_type)
);
CREATE INDEX loggable_group_page_permissions_page ON loggable_group_page_permissions (page_id);

CREATE TABLE loggable_view_restrictions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    restriction_type TEXT NOT NULL CHECK (restriction_type IN ('none', 'login', 'password', 'groups')),
    password TEXT NOT NULL DEFAULT ''
);
CREATE INDEX loggable_view_restrictions_object ON loggable_view_restrictions (content_type, object_id);

CREATE TABLE loggable_view_restriction_groups (
    view_restriction_id BIGINT NOT NULL REFERENCES loggable_view_restrictions (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES loggable_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (view_restriction_id, group_id)
);

-- The page log: no foreign keys on purpose (entries outlive users, pages and revisions).
-- `user_id` is the application's own user key as text (an integer or a UUID), as in
-- loggable_model_log_entries.
CREATE TABLE loggable_page_log_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content_type TEXT,
    label TEXT NOT NULL CHECK (label <> ''),
    action VARCHAR(255) NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    timestamp TIMESTAMP NOT NULL,
    uuid VARCHAR(36),
    user_id TEXT,
    revision_id BIGINT,
    content_changed BOOLEAN NOT NULL DEFAULT 0,
    deleted BOOLEAN NOT NULL DEFAULT 0,
    page_id BIGINT NOT NULL
);
CREATE INDEX loggable_page_log_entries_action ON loggable_page_log_entries (action);
CREATE INDEX loggable_page_log_entries_timestamp ON loggable_page_log_entries (timestamp);
CREATE INDEX loggable_page_log_entries_content_changed ON loggable_page_log_entries (content_changed);
CREATE INDEX loggable_page_log_entries_content_type ON loggable_page_log_entries (content_type);
CREATE INDEX loggable_page_log_entries_user_id ON loggable_page_log_entries (user_id);
CREATE INDEX loggable_page_log_entries_revision_id ON loggable_page_log_entries (revision_id);
-- One page's history reads its entries newest first: the page's index carries the order,
-- so no sort and no scan of other pages' entries (issue #8).
CREATE INDEX loggable_page_log_entries_page_id ON loggable_page_log_entries (page_id, timestamp DESC, id DESC);
CREATE INDEX loggable_page_log_entries_uuid_action_timestamp ON loggable_page_log_entries (uuid, action, timestamp DESC);
