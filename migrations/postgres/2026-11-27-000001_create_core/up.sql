-- Core schema for PostgreSQL. Keep in step with ../../sqlite: same tables, columns and indexes.
-- BIGSERIAL never hands out an id twice, as AUTOINCREMENT does on SQLite.
-- pages.path sorts bytewise (COLLATE "C"), as SQLite sorts it, so path ranges select subtrees.

CREATE TABLE auth_users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE CHECK (username <> ''),
    full_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE auth_groups (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> '')
);

CREATE TABLE auth_user_groups (
    user_id BIGINT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES auth_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX auth_user_groups_group_id ON auth_user_groups (group_id);

CREATE TABLE model_permissions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT REFERENCES auth_users (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES auth_groups (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    codename TEXT NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX model_permissions_user ON model_permissions (user_id, content_type);
CREATE INDEX model_permissions_group ON model_permissions (group_id, content_type);

CREATE TABLE pages (
    id BIGSERIAL PRIMARY KEY,
    path TEXT COLLATE "C" NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    numchild INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    draft_title TEXT NOT NULL,
    slug TEXT NOT NULL,
    content_type TEXT NOT NULL,
    live BOOLEAN NOT NULL DEFAULT TRUE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE,
    first_published_at TIMESTAMP,
    last_published_at TIMESTAMP,
    latest_revision_id BIGINT,
    live_revision_id BIGINT,
    go_live_at TIMESTAMP,
    expire_at TIMESTAMP,
    expired BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at TIMESTAMP,
    locked_by BIGINT REFERENCES auth_users (id) ON DELETE SET NULL,
    owner BIGINT REFERENCES auth_users (id) ON DELETE SET NULL,
    alias_of BIGINT REFERENCES pages (id) ON DELETE SET NULL,
    -- The fields of the specific page type (e.g. a blog page's intro), as a JSON object.
    specific TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX pages_depth ON pages (depth);
CREATE INDEX pages_alias_of ON pages (alias_of);

CREATE TABLE revisions (
    id BIGSERIAL PRIMARY KEY,
    content_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    user_id BIGINT REFERENCES auth_users (id) ON DELETE SET NULL,
    approved_go_live_at TIMESTAMP
);
CREATE INDEX revisions_object ON revisions (content_type, object_id);
CREATE INDEX revisions_approved_go_live_at ON revisions (approved_go_live_at);

CREATE TABLE group_page_permissions (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES auth_groups (id) ON DELETE CASCADE,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    permission_type TEXT NOT NULL,
    UNIQUE (group_id, page_id, permission_type)
);
CREATE INDEX group_page_permissions_page ON group_page_permissions (page_id);

CREATE TABLE view_restrictions (
    id BIGSERIAL PRIMARY KEY,
    content_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    restriction_type TEXT NOT NULL CHECK (restriction_type IN ('none', 'login', 'password', 'groups')),
    password TEXT NOT NULL DEFAULT ''
);
CREATE INDEX view_restrictions_object ON view_restrictions (content_type, object_id);

CREATE TABLE view_restriction_groups (
    view_restriction_id BIGINT NOT NULL REFERENCES view_restrictions (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES auth_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (view_restriction_id, group_id)
);

-- Log tables: no foreign keys on purpose (entries outlive users, objects and revisions).
CREATE TABLE page_log_entries (
    id BIGSERIAL PRIMARY KEY,
    content_type TEXT,
    label TEXT NOT NULL CHECK (label <> ''),
    action VARCHAR(255) NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    timestamp TIMESTAMP NOT NULL,
    uuid VARCHAR(36),
    user_id BIGINT,
    revision_id BIGINT,
    content_changed BOOLEAN NOT NULL DEFAULT FALSE,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    page_id BIGINT NOT NULL
);
CREATE INDEX page_log_entries_action ON page_log_entries (action);
CREATE INDEX page_log_entries_timestamp ON page_log_entries (timestamp);
CREATE INDEX page_log_entries_content_changed ON page_log_entries (content_changed);
CREATE INDEX page_log_entries_content_type ON page_log_entries (content_type);
CREATE INDEX page_log_entries_user_id ON page_log_entries (user_id);
CREATE INDEX page_log_entries_revision_id ON page_log_entries (revision_id);
CREATE INDEX page_log_entries_page_id ON page_log_entries (page_id);
CREATE INDEX page_log_entries_uuid_action_timestamp ON page_log_entries (uuid, action, timestamp DESC);

CREATE TABLE model_log_entries (
    id BIGSERIAL PRIMARY KEY,
    content_type TEXT,
    label TEXT NOT NULL CHECK (label <> ''),
    action VARCHAR(255) NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    timestamp TIMESTAMP NOT NULL,
    uuid VARCHAR(36),
    user_id BIGINT,
    revision_id BIGINT,
    content_changed BOOLEAN NOT NULL DEFAULT FALSE,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    object_id VARCHAR(255) NOT NULL CHECK (object_id <> '')
);
CREATE INDEX model_log_entries_action ON model_log_entries (action);
CREATE INDEX model_log_entries_timestamp ON model_log_entries (timestamp);
CREATE INDEX model_log_entries_content_changed ON model_log_entries (content_changed);
CREATE INDEX model_log_entries_content_type ON model_log_entries (content_type);
CREATE INDEX model_log_entries_user_id ON model_log_entries (user_id);
CREATE INDEX model_log_entries_revision_id ON model_log_entries (revision_id);
CREATE INDEX model_log_entries_object_id ON model_log_entries (object_id);
CREATE INDEX model_log_entries_uuid_action_timestamp ON model_log_entries (uuid, action, timestamp DESC);
