-- One object's history reads its entries newest first: the object's index carries the order,
-- so no sort and no scan of other objects' entries (issue #8). The column stays indexed under
-- the same name, now as the leading column.
DROP INDEX page_log_entries_page_id;
CREATE INDEX page_log_entries_page_id ON page_log_entries (page_id, timestamp DESC, id DESC);
DROP INDEX model_log_entries_object_id;
CREATE INDEX model_log_entries_object_id ON model_log_entries (object_id, timestamp DESC, id DESC);
