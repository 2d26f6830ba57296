-- loggable's core for SQLite: the generic model log and the hash chain. It references no other
-- table, so it runs without the CMS layer (the loggable_cms migrations, which run after it).
-- Keep in step with the PostgreSQL core: same tables, columns and indexes. Every name loggable
-- creates starts with `loggable_`.
-- AUTOINCREMENT on the log table: ids of deleted entries are never handed out again.

-- No foreign keys on purpose (entries outlive users, objects and revisions). `user_id` is the
-- application's own user key as text (integer or UUID keys), in a table loggable does not own.
CREATE TABLE loggable_model_log_entries (
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
    object_id VARCHAR(255) NOT NULL CHECK (object_id <> '')
);
CREATE INDEX loggable_model_log_entries_action ON loggable_model_log_entries (action);
CREATE INDEX loggable_model_log_entries_timestamp ON loggable_model_log_entries (timestamp);
CREATE INDEX loggable_model_log_entries_content_changed ON loggable_model_log_entries (content_changed);
CREATE INDEX loggable_model_log_entries_content_type ON loggable_model_log_entries (content_type);
CREATE INDEX loggable_model_log_entries_user_id ON loggable_model_log_entries (user_id);
CREATE INDEX loggable_model_log_entries_revision_id ON loggable_model_log_entries (revision_id);
-- One object's history reads its entries newest first: the object's index carries the order,
-- so no sort and no scan of other objects' entries (issue #8).
CREATE INDEX loggable_model_log_entries_object_id ON loggable_model_log_entries (object_id, timestamp DESC, id DESC);
CREATE INDEX loggable_model_log_entries_uuid_action_timestamp ON loggable_model_log_entries (uuid, action, timestamp DESC);

-- Tamper evidence (issue #9): an opt-in hash chain per log table. The head row is the lock
-- every appender takes, so the chain is serialised in the database, not in one process.
-- base_seq/base_hash: the checkpoint a purge leaves, where verification of the remaining
-- chain starts.
CREATE TABLE loggable_log_chain_heads (
    log_table TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    chain_hash TEXT NOT NULL,
    base_seq BIGINT NOT NULL DEFAULT 0,
    base_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
);

-- Link `seq` of a table's chain: the entry it covers, the SHA-256 of the entry's canonical
-- content, and SHA-256(previous chain_hash || content_hash).
CREATE TABLE loggable_log_chain (
    log_table TEXT NOT NULL,
    seq BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL,
    PRIMARY KEY (log_table, seq)
);
CREATE UNIQUE INDEX loggable_log_chain_entry ON loggable_log_chain (log_table, entry_id);
