-- A model's own log table, as an application would create it (docs/entries.md).
-- Non-empty texts are checked as CHAR_LENGTH(x) > 0: utf8mb4_bin pads with spaces when
-- comparing, so x <> '' would refuse a text of spaces.
CREATE TABLE sprocket_log_entries (
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
    sprocket_id BIGINT NOT NULL,
    INDEX sprocket_log_entries_sprocket_id (sprocket_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
