-- Rhizome store schema for PostgreSQL, version 3: write turns.
--
-- repo_turn orders the writers of one repository across nodes (for
-- fairness; the compare-and-swap on repo keeps writes correct without
-- it). A node takes a repository's turn by inserting its DID here in a
-- transaction it keeps open while it writes, and gives the turn back by
-- rolling that transaction back: rows are never committed, and a second
-- inserter waits on the unique index until the first transaction ends.
-- UNLOGGED: nothing here outlives a transaction.
CREATE UNLOGGED TABLE repo_turn (
	did text COLLATE "C" PRIMARY KEY
);
