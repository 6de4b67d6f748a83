package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Head implements store.Repos.
func (s *Store) Head(ctx context.Context, did syntax.DID) (store.Head, error) {
	h := store.Head{DID: did}
	var commit, data []byte
	err := s.queryRow(ctx, `SELECT r.commit_cid, r.rev, r.data_cid FROM actor a JOIN repo r ON r.actor = a.id
		WHERE a.did = $1`, []any{string(did)}, &commit, &h.Rev, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		err = notFound("no repository for %s", did)
	}
	if err == nil {
		h.Commit, err = readCID(commit)
	}
	if err == nil {
		h.Data, err = readCID(data)
	}
	return h, wrap("read head", err)
}

// Record implements store.Repos: the index entry and its block in one
// query.
func (s *Store) Record(ctx context.Context, did syntax.DID, coll syntax.NSID, rkey syntax.RecordKey) (store.Record, error) {
	const op = "read record"
	rec := store.Record{Collection: coll, RKey: rkey}
	var c []byte
	err := s.queryRow(ctx, `SELECT r.cid, b.data FROM actor a
		JOIN record r ON r.actor = a.id
		LEFT JOIN block b ON b.actor = r.actor AND b.cid = r.cid
		WHERE a.did = $1 AND r.collection = $2 AND r.rkey = $3`,
		[]any{string(did), string(coll), string(rkey)}, &c, &rec.Value)
	if errors.Is(err, pgx.ErrNoRows) {
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
	args := []any{string(did), string(coll)}
	cond, order := pageSQL("r.rkey", p, &args)
	q := `SELECT r.rkey, r.cid, b.data FROM record r
		LEFT JOIN block b ON b.actor = r.actor AND b.cid = r.cid
		WHERE r.actor = (SELECT id FROM actor WHERE did = $1) AND r.collection = $2` + cond + order
	var out []store.Record
	err := s.query(ctx, q, args, func(r pgx.Rows) error {
		rec := store.Record{Collection: coll}
		var c []byte
		err := r.Scan(&rec.RKey, &c, &rec.Value)
		if err == nil {
			rec.CID, err = recordCID(c, rec.Value)
		}
		out = append(out, rec)
		return err
	})
	return out, wrap("list records", err)
}

// collectionsQuery walks the record index from one collection to the next
// instead of reading every record.
const collectionsQuery = `WITH RECURSIVE
	a AS (SELECT id FROM actor WHERE did = $1),
	c(name) AS (
		SELECT (SELECT min(r.collection) FROM record r, a WHERE r.actor = a.id)
		UNION ALL
		SELECT (SELECT min(r.collection) FROM record r, a WHERE r.actor = a.id AND r.collection > c.name)
		FROM c WHERE c.name IS NOT NULL
	)
	SELECT name FROM c WHERE name IS NOT NULL`

// Collections implements store.Repos.
func (s *Store) Collections(ctx context.Context, did syntax.DID) ([]syntax.NSID, error) {
	var out []syntax.NSID
	err := s.query(ctx, collectionsQuery, []any{string(did)}, func(r pgx.Rows) error {
		var n syntax.NSID
		err := r.Scan(&n)
		out = append(out, n)
		return err
	})
	return out, wrap("list collections", err)
}

// ListRepos implements store.Repos.
func (s *Store) ListRepos(ctx context.Context, p store.Page) ([]store.RepoInfo, error) {
	var args []any
	cond, order := pageSQL("a.did", p, &args)
	q := `SELECT a.did, r.commit_cid, r.rev, r.data_cid, coalesce(ac.status, 'active')
		FROM actor a JOIN repo r ON r.actor = a.id LEFT JOIN account ac ON ac.actor = a.id WHERE true` + cond + order
	var out []store.RepoInfo
	err := s.query(ctx, q, args, func(r pgx.Rows) error {
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
	return out, wrap("list repos", err)
}

// RepoBlocks implements store.Repos.
func (s *Store) RepoBlocks(did syntax.DID) rhizome.BlockReader {
	return repoBlocks{s: s, did: did}
}

// repoBlocks reads the blocks of one repository.
type repoBlocks struct {
	s   *Store
	did syntax.DID
}

// GetBlocks implements rhizome.BlockReader: one query for all the CIDs.
func (r repoBlocks) GetBlocks(ctx context.Context, cids []cid.CID) ([][]byte, error) {
	out := make([][]byte, len(cids))
	if len(cids) == 0 {
		return out, nil
	}
	got := make(map[cid.CID][]byte, len(cids))
	var a arena
	err := r.s.query(ctx, `SELECT cid, data FROM block WHERE actor = (SELECT id FROM actor WHERE did = $1) AND cid = ANY($2::bytea[])`,
		[]any{string(r.did), cidBytes(cids)}, func(rows pgx.Rows) error {
			var c, data pgtype.DriverBytes
			if err := rows.Scan(&c, &data); err != nil {
				return err
			}
			id, err := readCID(c)
			got[id] = a.copy(data)
			return err
		})
	for i, c := range cids {
		out[i] = got[c]
	}
	return out, wrap("get blocks", err)
}

// BlocksSince implements store.Repos. The blocks stream from one query in
// rev order; if it finds none, a second query tells an unknown repository
// (NotFound) from one with nothing new. When fn fails the query is
// cancelled rather than drained, which costs the connection but not the
// transfer of the rest of a large repository.
func (s *Store) BlocksSince(ctx context.Context, did syntax.DID, since syntax.TID, fn func(rhizome.Block) error) error {
	const op = "read blocks since"
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := 0
	var a arena
	err := s.query(qctx, `SELECT cid, data FROM block
		WHERE actor = (SELECT r.actor FROM actor a JOIN repo r ON r.actor = a.id WHERE a.did = $1) AND rev > $2
		ORDER BY rev`, []any{string(did), string(since)}, func(r pgx.Rows) error {
		var c, data pgtype.DriverBytes
		err := r.Scan(&c, &data)
		b := rhizome.Block{Data: a.copy(data)}
		if err == nil {
			b.CID, err = readCID(c)
		}
		if err == nil {
			n++
			err = fn(b)
		}
		if err != nil {
			cancel()
		}
		return err
	})
	if err == nil && n == 0 {
		_, err = s.Head(ctx, did)
	}
	return wrap(op, err)
}
