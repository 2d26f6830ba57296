-- Tamper evidence (issue #9): an opt-in hash chain per log table. The head row is the lock
-- every appender takes, so the chain is serialised in the database, not in one process.
-- base_seq/base_hash: the checkpoint a purge leaves, where verification of the remaining
-- chain starts.
CREATE TABLE log_chain_heads (
    log_table TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    chain_hash TEXT NOT NULL,
    base_seq BIGINT NOT NULL DEFAULT 0,
    base_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
);

-- Link `seq` of a table's chain: the entry it covers, the SHA-256 of the entry's canonical
-- content, and SHA-256(previous chain_hash || content_hash).
CREATE TABLE log_chain (
    log_table TEXT NOT NULL,
    seq BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL,
    PRIMARY KEY (log_table, seq)
);
CREATE UNIQUE INDEX log_chain_entry ON log_chain (log_table, entry_id);
