-- loggable's CMS layer for MySQL 8 and MariaDB 10.11: users, groups, permissions, the page tree,
-- revisions, view restrictions and the page log (it lives here because its entries belong to
-- pages). Runs after the core (loggable_core). Keep in step with the PostgreSQL and SQLite CMS
-- layers: same tables, columns and indexes. Every name loggable creates starts with `loggable_`.
-- Types as in the core: InnoDB, utf8mb4 with the binary collation, VARCHAR for text in a key or
-- an index, LONGTEXT for other text, DATETIME(6) for timestamps; AUTO_INCREMENT never hands out
-- an id twice.
-- Foreign keys are table constraints: MySQL 8.0 parses a column's REFERENCES and ignores it.
-- InnoDB needs an index that starts with each foreign key's column; where PostgreSQL has none,
-- one is declared here (named `<table>_<column>`) rather than left to InnoDB to make and name.
-- loggable_pages.path is ASCII with the binary collation (bytewise order, as COLLATE "C" on
-- PostgreSQL and SQLite's default), so path ranges select subtrees.

-- Non-empty texts are checked as CHAR_LENGTH(x) > 0: utf8mb4_bin pads with spaces when
-- comparing, so x <> '' would refuse a text of spaces.

CREATE TABLE loggable_users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) NOT NULL CHECK (CHAR_LENGTH(username) > 0),
    full_name LONGTEXT NOT NULL DEFAULT (''),
    email LONGTEXT NOT NULL DEFAULT (''),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT loggable_users_username_key UNIQUE (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_groups (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL CHECK (CHAR_LENGTH(name) > 0),
    CONSTRAINT loggable_groups_name_key UNIQUE (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_user_groups (
    user_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id),
    INDEX loggable_user_groups_group_id (group_id),
    FOREIGN KEY (user_id) REFERENCES loggable_users (id) ON DELETE CASCADE,
    FOREIGN KEY (group_id) REFERENCES loggable_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Without PostgreSQL's CHECK ((user_id IS NULL) <> (group_id IS NULL)): MySQL refuses a CHECK
-- on a column of a foreign key with ON DELETE CASCADE (error 3823), and both columns are one.
-- That a permission names exactly one of a user or a group is kept by loggable's own writes.
CREATE TABLE loggable_model_permissions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id BIGINT,
    group_id BIGINT,
    content_type VARCHAR(255) NOT NULL,
    codename VARCHAR(255) NOT NULL,
    INDEX loggable_model_permissions_user (user_id, content_type),
    INDEX loggable_model_permissions_group (group_id, content_type),
    FOREIGN KEY (user_id) REFERENCES loggable_users (id) ON DELETE CASCADE,
    FOREIGN KEY (group_id) REFERENCES loggable_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_pages (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- 4 characters a level: 63 levels.
    path VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    depth INT NOT NULL,
    numchild INT NOT NULL DEFAULT 0,
    title LONGTEXT NOT NULL,
    draft_title LONGTEXT NOT NULL,
    slug LONGTEXT NOT NULL,
    content_type VARCHAR(255) NOT NULL,
    live BOOLEAN NOT NULL DEFAULT TRUE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE,
    first_published_at DATETIME(6),
    last_published_at DATETIME(6),
    latest_revision_id BIGINT,
    live_revision_id BIGINT,
    go_live_at DATETIME(6),
    expire_at DATETIME(6),
    expired BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at DATETIME(6),
    locked_by BIGINT,
    owner BIGINT,
    alias_of BIGINT,
    -- The fields of the specific page type (e.g. a blog page's intro), as a JSON object.
    -- `specific` is a reserved word in MySQL and MariaDB.
    `specific` LONGTEXT NOT NULL DEFAULT ('{}'),
    CONSTRAINT loggable_pages_path_key UNIQUE (path),
    INDEX loggable_pages_depth (depth),
    INDEX loggable_pages_alias_of (alias_of),
    -- For the foreign keys (see the top).
    INDEX loggable_pages_locked_by (locked_by),
    INDEX loggable_pages_owner (owner),
    FOREIGN KEY (locked_by) REFERENCES loggable_users (id) ON DELETE SET NULL,
    FOREIGN KEY (owner) REFERENCES loggable_users (id) ON DELETE SET NULL,
    FOREIGN KEY (alias_of) REFERENCES loggable_pages (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_revisions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    content_type VARCHAR(255) NOT NULL,
    object_id VARCHAR(255) NOT NULL,
    content LONGTEXT NOT NULL DEFAULT ('{}'),
    created_at DATETIME(6) NOT NULL,
    -- The application's user key, as in the log tables: no foreign key.
    user_id VARCHAR(255),
    approved_go_live_at DATETIME(6),
    INDEX loggable_revisions_object (content_type, object_id),
    INDEX loggable_revisions_approved_go_live_at (approved_go_live_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_group_page_permissions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    group_id BIGINT NOT NULL,
    page_id BIGINT NOT NULL,
    permission_type VARCHAR(255) NOT NULL,
    -- Named as on PostgreSQL, whose generated name would pass its 63-character limit.
    CONSTRAINT loggable_group_page_permissions_group_id_page_id_type_key
        UNIQUE (group_id, page_id, permission_type),
    INDEX loggable_group_page_permissions_page (page_id),
    FOREIGN KEY (group_id) REFERENCES loggable_groups (id) ON DELETE CASCADE,
    FOREIGN KEY (page_id) REFERENCES loggable_pages (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_view_restrictions (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    content_type VARCHAR(255) NOT NULL,
    object_id VARCHAR(255) NOT NULL,
    restriction_type VARCHAR(32) NOT NULL CHECK (restriction_type IN ('none', 'login', 'password', 'groups')),
    password LONGTEXT NOT NULL DEFAULT (''),
    INDEX loggable_view_restrictions_object (content_type, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE loggable_view_restriction_groups (
    view_restriction_id BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    PRIMARY KEY (view_restriction_id, group_id),
    -- For the foreign key (see the top).
    INDEX loggable_view_restriction_groups_group_id (group_id),
    FOREIGN KEY (view_restriction_id) REFERENCES loggable_view_restrictions (id) ON DELETE CASCADE,
    FOREIGN KEY (group_id) REFERENCES loggable_groups (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The page log: no foreign keys on purpose (entries outlive users, pages and revisions).
-- `user_id` is the application's own user key as text (an integer or a UUID), as in
-- loggable_model_log_entries.
CREATE TABLE loggable_page_log_entries (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    content_type VARCHAR(255),
    label LONGTEXT NOT NULL CHECK (CHAR_LENGTH(label) > 0),
    action VARCHAR(255) NOT NULL,
    data LONGTEXT NOT NULL DEFAULT ('{}'),
    timestamp DATETIME(6) NOT NULL,
    uuid VARCHAR(36),
    user_id VARCHAR(255),
    revision_id BIGINT,
    content_changed BOOLEAN NOT NULL DEFAULT FALSE,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    page_id BIGINT NOT NULL,
    INDEX loggable_page_log_entries_action (action),
    INDEX loggable_page_log_entries_timestamp (timestamp),
    INDEX loggable_page_log_entries_content_changed (content_changed),
    INDEX loggable_page_log_entries_content_type (content_type),
    INDEX loggable_page_log_entries_user_id (user_id),
    INDEX loggable_page_log_entries_revision_id (revision_id),
    -- One page's history reads its entries newest first: the page's index carries the order,
    -- so no sort and no scan of other pages' entries (issue #8).
    INDEX loggable_page_log_entries_page_id (page_id, timestamp DESC, id DESC),
    INDEX loggable_page_log_entries_uuid_action_timestamp (uuid, action, timestamp DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
