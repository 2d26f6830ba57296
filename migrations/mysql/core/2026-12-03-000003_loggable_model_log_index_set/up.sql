-- Every index of a log table serves a read path (docs/entries.md, "Indexes"). No read filters
-- or orders by content_changed or revision_id alone, and each index is one more B-tree every
-- entry's INSERT writes, so they go.
DROP INDEX loggable_model_log_entries_content_changed ON loggable_model_log_entries;
DROP INDEX loggable_model_log_entries_revision_id ON loggable_model_log_entries;
