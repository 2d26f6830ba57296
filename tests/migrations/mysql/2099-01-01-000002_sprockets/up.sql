-- Test models: a sprocket with every lifecycle capability, and a plain gear.
CREATE TABLE sprockets (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name LONGTEXT NOT NULL,
    teeth INTEGER NOT NULL,
    secret LONGTEXT NOT NULL DEFAULT (''),
    notes LONGTEXT NOT NULL DEFAULT (''),
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_at DATETIME(6),
    locked_by BIGINT,
    live BOOLEAN NOT NULL DEFAULT FALSE,
    has_unpublished_changes BOOLEAN NOT NULL DEFAULT FALSE,
    first_published_at DATETIME(6),
    last_published_at DATETIME(6),
    live_revision_id BIGINT,
    latest_revision_id BIGINT,
    go_live_at DATETIME(6),
    expire_at DATETIME(6),
    expired BOOLEAN NOT NULL DEFAULT FALSE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE gears (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name LONGTEXT NOT NULL,
    size INTEGER NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
