DROP TABLE loggable_log_chain;
DROP TABLE loggable_log_chain_heads;
DROP TABLE loggable_model_log_entries;
