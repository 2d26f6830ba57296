DROP TABLE loggable_log_tables;
ALTER TABLE loggable_log_chain_heads DROP COLUMN key_id;
