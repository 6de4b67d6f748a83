-- Rhizome store schema for PostgreSQL, version 2: shared rate limits.
--
-- rate_window counts requests per key (a client address or an account, as
-- the pod names them) in fixed time windows, so that rate limits hold
-- across every node sharing the database. Nodes add to a count with one
-- upsert and read the new total back. The counts are worthless after a
-- crash, so the table is UNLOGGED: no WAL, no flush on commit (databases
-- that do not know UNLOGGED treat it as a plain table). Windows that have
-- ended are deleted by the nodes.
CREATE UNLOGGED TABLE rate_window (
	key        text COLLATE "C" NOT NULL,
	window_end timestamptz NOT NULL,
	n          bigint NOT NULL,
	PRIMARY KEY (key, window_end)
);
CREATE INDEX rate_window_end ON rate_window (window_end);
