-- A keyed hash chain (HMAC-SHA-256) names the key it was made with: the first 16 bytes (hex) of
-- HMAC(key, 'loggable chain key id'), never the key itself. NULL: a plain SHA-256 chain.
ALTER TABLE loggable_log_chain_heads ADD COLUMN key_id VARCHAR(64);

-- Every log table loggable has written to, by qualified name: tools in other processes (the
-- command line, a purge job) find an application's own tables here even when their registry
-- never heard of the model.
CREATE TABLE loggable_log_tables (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    object_column VARCHAR(255) NOT NULL,
    integer_objects BOOLEAN NOT NULL,
    match_content_type BOOLEAN NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
