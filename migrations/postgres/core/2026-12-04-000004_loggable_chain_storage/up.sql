-- One B-tree fewer per chained entry: no read looks a link up by its entry, and an entry
-- linked twice is still found, as verification walks the links and the entries in step.
DROP INDEX loggable_log_chain_entry;
