-- Rhizome store schema, version 2: record blocks are collected.
--
-- A commit that updates or deletes a record deletes the record's old block
-- when no record of the repository uses it any more (two records with the
-- same content share one block). record_block answers "does a record still
-- use this block?" without scanning the repository's record index.
CREATE INDEX record_block ON record(block);
