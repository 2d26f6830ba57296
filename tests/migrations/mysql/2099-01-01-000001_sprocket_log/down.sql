DROP TABLE sprocket_log_entries;
