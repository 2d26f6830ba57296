-- Test models: a sprocket with every lifecycle capability, and a plain gear.
CREATE TABLE sprockets (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    teeth INTEGER NOT NULL,
    secret TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at TIMESTAMP,
    locked_by BIGINT,
    live BOOLEAN NOT NULL DEFAULT FALSE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE,
    first_published_at TIMESTAMP,
    last_published_at TIMESTAMP,
    live_revision_id BIGINT,
    latest_revision_id BIGINT,
    go_live_at TIMESTAMP,
    expire_at TIMESTAMP,
    expired BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE gears (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    size INTEGER NOT NULL
);
