-- Fewer B-trees per chained entry. The link and head tables are keyed by their primary key
-- alone (WITHOUT ROWID: one B-tree each, where a rowid table and the index of its text key made
-- two), and the links lose their index on (log_table, entry_id): no read looks a link up by its
-- entry, and an entry linked twice is still found, as verification walks the links and the
-- entries in step.
CREATE TABLE loggable_log_chain_rebuilt (
    log_table TEXT NOT NULL,
    seq BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL,
    PRIMARY KEY (log_table, seq)
) WITHOUT ROWID;
INSERT INTO loggable_log_chain_rebuilt (log_table, seq, entry_id, content_hash, chain_hash)
    SELECT log_table, seq, entry_id, content_hash, chain_hash FROM loggable_log_chain;
DROP TABLE loggable_log_chain;
ALTER TABLE loggable_log_chain_rebuilt RENAME TO loggable_log_chain;

CREATE TABLE loggable_log_chain_heads_rebuilt (
    log_table TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    chain_hash TEXT NOT NULL,
    base_seq BIGINT NOT NULL DEFAULT 0,
    base_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    key_id TEXT
) WITHOUT ROWID;
INSERT INTO loggable_log_chain_heads_rebuilt
    (log_table, seq, chain_hash, base_seq, base_hash, key_id)
    SELECT log_table, seq, chain_hash, base_seq, base_hash, key_id FROM loggable_log_chain_heads;
DROP TABLE loggable_log_chain_heads;
ALTER TABLE loggable_log_chain_heads_rebuilt RENAME TO loggable_log_chain_heads;
