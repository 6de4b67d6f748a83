-- Rhizome store schema, version 3: the record index carries the record.
--
-- record.value is a copy of the record's block (block.data of
-- record.block), so listing and reading records is one scan of the record
-- index with no seek into the block table per row. The block table keeps
-- its copy for the repository's block reads (CARs, proofs).
ALTER TABLE record ADD COLUMN value BLOB;
UPDATE record SET value = (SELECT data FROM block WHERE block.id = record.block);
