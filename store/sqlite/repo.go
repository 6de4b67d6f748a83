package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Head implements store.Repos.
func (s *Store) Head(ctx context.Context, did syntax.DID) (store.Head, error) {
	if s.isClosed() {
		return store.Head{}, wrap("read head", errClosed)
	}
	h, err := scanHead(did, s.rs.head.QueryRowContext(ctx, string(did)))
	return h, wrap("read head", err)
}

// scanHead reads a head row (commit, rev, data).
func scanHead(did syntax.DID, row *sql.Row) (store.Head, error) {
	var commit, data []byte
	h := store.Head{DID: did}
	err := row.Scan(&commit, &h.Rev, &data)
	if isNoRows(err) {
		return h, notFound("no repository for %s", did)
	}
	if err != nil {
		return h, err
	}
	if h.Commit, err = readCID(commit); err != nil {
		return h, err
	}
	h.Data, err = readCID(data)
	return h, err
}

// Record implements store.Repos.
func (s *Store) Record(ctx context.Context, did syntax.DID, coll syntax.NSID, rkey syntax.RecordKey) (store.Record, error) {
	const op = "read record"
	if s.isClosed() {
		return store.Record{}, wrap(op, errClosed)
	}
	rec := store.Record{Collection: coll, RKey: rkey}
	var c []byte
	err := s.rs.record.QueryRowContext(ctx, string(did), string(coll), string(rkey)).Scan(&c, &rec.Value)
	if isNoRows(err) {
		return rec, wrap(op, notFound("no record %s/%s in %s", coll, rkey, did))
	}
	if err == nil {
		rec.CID, err = recordCID(c, rec.Value)
	}
	return rec, wrap(op, err)
}

// recordCID checks an index row: the CID parses and its block is present.
func recordCID(c, value []byte) (cid.CID, error) {
	id, err := readCID(c)
	if err == nil && value == nil {
		err = corrupt("record block %s is missing", id)
	}
	return id, err
}

// ListRecords implements store.Repos.
func (s *Store) ListRecords(ctx context.Context, did syntax.DID, coll syntax.NSID, p store.Page) ([]store.Record, error) {
	const op = "list records"
	if s.isClosed() {
		return nil, wrap(op, errClosed)
	}
	st, err := s.rs.listRecordsStmt(ctx, p)
	if err != nil {
		return nil, wrap(op, err)
	}
	var page string // the driver's own copy, handed over without another (see scan.go)
	if err := st.QueryRowContext(ctx, string(did), string(coll), afterKey(p)).Scan(&page); err != nil {
		return nil, wrap(op, err)
	}
	out, err := splitPage(bytesOf(page), coll, min(p.N(), 128))
	return out, wrap(op, err)
}

// splitPage splits a page of listRecordsQuery into its records: each is a
// binary CID, the rkey, a NUL byte (rkeys never hold one) and the record
// block, one CBOR item (null if the block is missing). The records keep
// pointing into page.
func splitPage(page []byte, coll syntax.NSID, n int) ([]store.Record, error) {
	out := make([]store.Record, 0, n)
	for len(page) > 0 {
		if len(page) < cid.Len {
			return nil, corrupt("record page ends in %d bytes", len(page))
		}
		k, rest, ok := bytes.Cut(page[cid.Len:], []byte{0})
		if !ok {
			return nil, corrupt("record index row without its rkey")
		}
		size, err := data.ItemLen(rest)
		if err != nil {
			return nil, corrupt("record %s/%s: %v", coll, k, err)
		}
		rec := store.Record{Collection: coll, RKey: syntax.RecordKey(k)}
		if value := rest[:size:size]; !bytes.Equal(value, cborNull) {
			rec.Value = value
		}
		if rec.CID, err = recordCID(page[:cid.Len], rec.Value); err != nil {
			return nil, err
		}
		out = append(out, rec)
		page = rest[size:]
	}
	return out, nil
}

// cborNull is what a page holds for a record whose block is missing.
var cborNull = []byte{0xf6}

// collectionsQuery walks the record index from one collection to the next
// instead of reading every record.
const collectionsQuery = `WITH RECURSIVE
	a(id) AS (SELECT id FROM actor WHERE did = ?),
	c(name) AS (
		SELECT min(collection) FROM record, a WHERE record.actor = a.id
		UNION ALL
		SELECT (SELECT min(collection) FROM record, a WHERE record.actor = a.id AND collection > c.name)
		FROM c WHERE c.name IS NOT NULL
	)
	SELECT name FROM c WHERE name IS NOT NULL`

// Collections implements store.Repos.
func (s *Store) Collections(ctx context.Context, did syntax.DID) ([]syntax.NSID, error) {
	const op = "list collections"
	var out []syntax.NSID
	err := s.read(ctx, collectionsQuery, []any{string(did)}, func(r *sql.Rows) error {
		var n syntax.NSID
		err := r.Scan(&n)
		out = append(out, n)
		return err
	})
	return out, wrap(op, err)
}

// queryRows runs a query and calls fn for each row.
func queryRows(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err == errStopRows {
			return nil
		} else if err != nil {
			return err
		}
	}
	return rows.Err()
}

// errStopRows, returned by a queryRows callback, ends the scan without
// error: queries whose LIMIT would be a bound parameter stop this way
// instead (see listRecordsQuery).
var errStopRows = errors.New("stop reading rows")

// querier is what queryRows runs queries on: a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ListRepos implements store.Repos.
func (s *Store) ListRepos(ctx context.Context, p store.Page) ([]store.RepoInfo, error) {
	const op = "list repos"
	q := pageQuery(`SELECT a.did, r.commit_cid, r.rev, r.data_cid, coalesce(ac.status, 'active')
		FROM actor a JOIN repo r ON r.actor = a.id LEFT JOIN account ac ON ac.actor = a.id
		WHERE a.did %s ? ORDER BY a.did %s LIMIT ?`, p.Reverse)
	var out []store.RepoInfo
	err := s.read(ctx, q, []any{afterKey(p), p.N()}, func(r *sql.Rows) error {
		var info store.RepoInfo
		var commit, data []byte
		if err := r.Scan(&info.Head.DID, &commit, &info.Head.Rev, &data, &info.Status); err != nil {
			return err
		}
		var err error
		if info.Head.Commit, err = readCID(commit); err == nil {
			info.Head.Data, err = readCID(data)
		}
		out = append(out, info)
		return err
	})
	return out, wrap(op, err)
}

// read runs a query on the read pool and calls fn for each row.
func (s *Store) read(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	if s.isClosed() {
		return errClosed
	}
	st, err := s.rs.stmt(ctx, query)
	if err != nil {
		return err
	}
	return queryRows(ctx, stmtQuerier{st}, query, args, fn)
}

// stmtQuerier runs a prepared statement as a querier (the query string is
// the statement's own).
type stmtQuerier struct{ st *sql.Stmt }

func (q stmtQuerier) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

// RepoBlocks implements store.Repos.
func (s *Store) RepoBlocks(did syntax.DID) rhizome.BlockReader {
	return repoBlocks{s: s, did: did}
}

// arena copies many small byte slices into a few large chunks: one
// allocation per chunk instead of one per block, and chunks hold no
// pointers for the collector to scan.
// The zero value uses 256 KiB chunks; size sets another.
type arena struct {
	chunk []byte
	size  int
}

const arenaChunk = 256 << 10

func (a *arena) copy(p []byte) []byte {
	size := a.size
	if size == 0 {
		size = arenaChunk
	}
	if len(p) > size/4 {
		return append([]byte(nil), p...)
	}
	if cap(a.chunk)-len(a.chunk) < len(p) {
		a.chunk = make([]byte, 0, size)
	}
	n := len(a.chunk)
	a.chunk = append(a.chunk, p...)
	return a.chunk[n:len(a.chunk):len(a.chunk)]
}
