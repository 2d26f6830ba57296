CREATE TABLE loggable_log_chain_rebuilt (
    log_table TEXT NOT NULL,
    seq BIGINT NOT NULL,
    entry_id BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    chain_hash TEXT NOT NULL,
    PRIMARY KEY (log_table, seq)
);
INSERT INTO loggable_log_chain_rebuilt (log_table, seq, entry_id, content_hash, chain_hash)
    SELECT log_table, seq, entry_id, content_hash, chain_hash FROM loggable_log_chain;
DROP TABLE loggable_log_chain;
ALTER TABLE loggable_log_chain_rebuilt RENAME TO loggable_log_chain;
CREATE UNIQUE INDEX loggable_log_chain_entry ON loggable_log_chain (log_table, entry_id);

CREATE TABLE loggable_log_chain_heads_rebuilt (
    log_table TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    chain_hash TEXT NOT NULL,
    base_seq BIGINT NOT NULL DEFAULT 0,
    base_hash TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    key_id TEXT
);
INSERT INTO loggable_log_chain_heads_rebuilt
    (log_table, seq, chain_hash, base_seq, base_hash, key_id)
    SELECT log_table, seq, chain_hash, base_seq, base_hash, key_id FROM loggable_log_chain_heads;
DROP TABLE loggable_log_chain_heads;
ALTER TABLE loggable_log_chain_heads_rebuilt RENAME TO loggable_log_chain_heads;
