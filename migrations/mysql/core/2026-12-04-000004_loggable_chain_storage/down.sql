CREATE UNIQUE INDEX loggable_log_chain_entry ON loggable_log_chain (log_table, entry_id);
