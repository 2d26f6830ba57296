-- Test models: a sprocket with every lifecycle capability, and a plain gear.
CREATE TABLE sprockets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    teeth INTEGER NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    locked BOOLEAN NOT NULL DEFAULT 0,
    locked_at TIMESTAMP,
    locked_by BIGINT,
    live BOOLEAN NOT NULL DEFAULT 0,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT 0,
    first_published_at TIMESTAMP,
    last_published_at TIMESTAMP,
    live_revision_id BIGINT,
    latest_revision_id BIGINT,
    go_live_at TIMESTAMP,
    expire_at TIMESTAMP,
    expired BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE gears (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    size INTEGER NOT NULL
);
