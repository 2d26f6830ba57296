-- loggable's core for MySQL 8 and MariaDB 10.11: the generic model log and the hash chain. It
-- references no other table, so it runs without the CMS layer (the loggable_cms migrations,
-- which run after it). Keep in step with the PostgreSQL and SQLite cores: same tables, columns
-- and indexes. Every name loggable creates starts with `loggable_`.
-- AUTO_INCREMENT never hands out an id twice: InnoDB keeps its counter across restarts (MySQL 8,
-- MariaDB 10.2.4 on), as BIGSERIAL and SQLite's AUTOINCREMENT do.
-- Every table is InnoDB, utf8mb4 with the binary collation: text compares and sorts bytewise
-- and uniqueness is case-sensitive, as on the other backends. Text that is a key or in an index
-- is VARCHAR (InnoDB indexes no TEXT without a prefix); other text is LONGTEXT, not JSON (MySQL
-- would reorder a JSON value's keys, and the chain hashes the exact text). Timestamps are
-- DATETIME(6): the chain hashes their microseconds.

-- No foreign keys on purpose (entries outlive users, objects and revisions). `user_id` is the
-- application's own user key as text (integer or UUID keys), in a table loggable does not own.

-- Non-empty texts are checked as CHAR_LENGTH(x) > 0: utf8mb4_bin pads with spaces when
-- comparing, so x <> '' would refuse a text of spaces.
CREATE TABLE loggable_model_log_entries (
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
    object_id VARCHAR(255) NOT NULL CHECK (CHAR_LENGTH(object_id) > 0),
    INDEX loggable_model_log_entries_action (action),
    INDEX loggable_model_log_entries_timestamp (timestamp),
    INDEX loggable_model_log_entries_content_changed (content_changed),
    INDEX loggable_model_log_entries_content_type (content_type),
    INDEX loggable_model_log_entries_user_id (user_id),
    INDEX loggable_model_log_entries_revision_id (revision_id),
    -- One object's history reads its entries newest first: the object's index carries the
    -- order, so no sort and no scan of other objects' entries (issue #8).
    INDEX loggable_model_log_entries_object_id (object_id, timestamp DESC, id DESC),
    INDEX loggable_model_log_entries_uuid_action_timestamp (uuid, action, timestamp DESC)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Tamper evidence (issue #9): an opt-in hash chain per log table. The head row is the lock
-- every appender takes, so the chain is serialised in the database, not in one process.
-- base_seq/base_hash: the checkpoint a purge leaves, where verification of the remaining
-- chain starts. Hashes are lowercase hex SHA-256 (64 characters).
CREATE TABLE loggable_log_chain_heads (
    log_table VARCHAR(255) NOT NULL PRIMARY KEY,
    seq BIGINT NOT NULL,
    chain_hash VARCHAR(64) NOT NULL,
    base_seq BIGINT NOT NULL DEFAULT 0,
    base_hash VARCHAR(64) NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Link `seq` of a table's chain: the entry it covers, the SHA-256 of the entry's canonical
-- content, and SHA-256(previous chain_hash || content_hash).
CREATE TABLE loggable_log_chain (
    log_table VARCHAR(255) NOT NULL,
    seq BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    chain_hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (log_table, seq),
    UNIQUE INDEX loggable_log_chain_entry (log_table, entry_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
