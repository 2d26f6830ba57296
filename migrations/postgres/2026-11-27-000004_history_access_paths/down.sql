DROP INDEX page_log_entries_page_id;
CREATE INDEX page_log_entries_page_id ON page_log_entries (page_id);
DROP INDEX model_log_entries_object_id;
CREATE INDEX model_log_entries_object_id ON model_log_entries (object_id);
