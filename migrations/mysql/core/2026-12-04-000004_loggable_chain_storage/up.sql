-- One B-tree fewer per chained entry: no read looks a link up by its entry, and an entry
-- linked twice is still found, as verification walks the links and the entries in step.
-- Only the index goes: InnoDB already stores the link and head tables in their primary key
-- (a clustered index, one B-tree each), which SQLite's version of this migration gets by
-- rebuilding them WITHOUT ROWID.
DROP INDEX loggable_log_chain_entry ON loggable_log_chain;
