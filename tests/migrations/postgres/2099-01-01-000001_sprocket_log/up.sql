-- A model's own log table, as an application would create it (docs/entries.md).
CREATE TABLE sprocket_log_entries (
    id BIGSERIAL PRIMARY KEY,
    content_type TEXT,
    label TEXT NOT NULL CHECK (label <> ''),
    action VARCHAR(255) NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    timestamp TIMESTAMP NOT NULL,
    uuid VARCHAR(36),
    user_id TEXT,
    revision_id BIGINT,
    content_changed BOOLEAN NOT NULL DEFAULT FALSE,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    sprocket_id BIGINT NOT NULL
);
CREATE INDEX sprocket_log_entries_sprocket_id ON sprocket_log_entries (sprocket_id);
