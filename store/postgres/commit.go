package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ApplyCommit implements store.Repos: the head is compared and swapped
// first (one round trip with BEGIN), then the blocks, record index, blob
// references and event are written and committed (one more).
func (s *Store) ApplyCommit(ctx context.Context, c store.Commit) (int64, error) {
	const op = "apply commit"
	if err := checkCommit(c); err != nil {
		return 0, wrap(op, err)
	}
	var seq int64
	err := s.write(ctx, func(t *txn) error {
		actor := queueHead(t, c, conflict("repository %s already exists", c.Head.DID))
		if err := t.send(ctx); err != nil {
			return err
		}
		if err := queueCommit(ctx, t, *actor, c); err != nil {
			return err
		}
		if c.Event != nil {
			queueEvent(t, *c.Event, c.Head.DID, &seq)
		}
		return nil
	})
	return seq, wrap(op, err)
}

// checkCommit rejects commits the store cannot file.
func checkCommit(c store.Commit) error {
	switch {
	case c.Head.DID == "":
		return invalid("commit has no DID")
	case !c.Head.Commit.Defined() || !c.Head.Data.Defined():
		return invalid("commit head lacks its commit or data CID")
	case c.Head.Rev == "":
		return invalid("commit has no rev")
	case c.Event != nil && c.Event.DID != "" && c.Event.DID != c.Head.DID:
		return invalid("commit event is for %s, not %s", c.Event.DID, c.Head.DID)
	}
	for _, b := range c.Blocks {
		if !b.CID.Defined() {
			return invalid("block without a CID")
		}
	}
	return checkOps(c.Ops)
}

func checkOps(ops []store.RecordOp) error {
	for _, o := range ops {
		if o.Collection == "" || o.RKey == "" {
			return invalid("record op lacks a collection or record key")
		}
		for _, b := range o.Blobs {
			if !b.Defined() {
				return invalid("record op references an undefined blob CID")
			}
		}
	}
	return nil
}

// queueHead queues the compare-and-swap of c's head and returns where the
// repository's actor id will be once it is sent. A genesis commit (zero
// Prev) interns the DID and inserts the head, failing with taken if there
// is one; another commit updates the head only where it is at Prev. Both
// lock the head row until the transaction ends, so racing writers on any
// connection queue behind the first and then find the head moved.
func queueHead(t *txn, c store.Commit, taken error) *int64 {
	h, did := c.Head, string(c.Head.DID)
	actor := new(int64)
	if !c.Prev.Defined() {
		t.queue(`INSERT INTO actor (did) VALUES ($1) ON CONFLICT (did) DO NOTHING`, did)
		t.queue(`INSERT INTO repo (actor, commit_cid, rev, data_cid) SELECT id, $2, $3, $4 FROM actor WHERE did = $1
			ON CONFLICT (actor) DO NOTHING RETURNING actor`,
			did, h.Commit.Bytes(), string(h.Rev), h.Data.Bytes()).QueryRow(scanOne(taken, actor))
		return actor
	}
	moved := conflict("repository %s is not at %s", did, c.Prev)
	t.queue(`UPDATE repo SET commit_cid = $3, rev = $4, data_cid = $5
		WHERE actor = (SELECT id FROM actor WHERE did = $1) AND commit_cid = $2 RETURNING actor`,
		did, c.Prev.Bytes(), h.Commit.Bytes(), string(h.Rev), h.Data.Bytes()).QueryRow(scanOne(moved, actor))
	return actor
}

// queueCommit queues the writes of c after its head has moved: dropping
// the old repository for Replace, the blocks, and the record index and
// blob references.
func queueCommit(ctx context.Context, t *txn, actor int64, c store.Commit) error {
	if c.Replace {
		for _, table := range []string{"block", "record", "blob_ref"} {
			t.queue(`DELETE FROM `+table+` WHERE actor = $1`, actor)
		}
	}
	ins := blockWriter{t: t, actor: actor, rev: string(c.Head.Rev), q: upsertBlocks}
	if c.Replace {
		ins.q = insertBlocks
	} else if len(c.Drop) > 0 {
		t.queue(`DELETE FROM block WHERE actor = $1 AND cid = ANY($2::bytea[])`, actor, cidBytes(c.Drop))
	}
	if err := ins.write(ctx, c.Blocks); err != nil {
		return err
	}
	queueOps(t, actor, c.Head.Rev, c.Ops, c.Replace)
	return nil
}

// Blocks are inserted in statements of at most maxChunkBlocks blocks or
// about maxChunkBytes bytes; a commit larger than one chunk (an import)
// sends each full chunk as it is made, so the driver never holds more than
// one chunk's encoding.
const (
	maxChunkBlocks = 10000
	maxChunkBytes  = 8 << 20
)

// insertBlocks stores blocks into an emptied repository (Replace, whose
// head row lock keeps other writers of the repository out); upsertBlocks
// stores them beside existing ones, re-tagging a stored block with a later
// rev. A plain insert is several times faster than one with ON CONFLICT.
const (
	insertBlocks = `INSERT INTO block (actor, cid, rev, data)
	SELECT $1, c, $2, d FROM unnest($3::bytea[], $4::bytea[]) AS t(c, d)`
	upsertBlocks = insertBlocks + `
	ON CONFLICT (actor, cid) DO UPDATE SET rev = excluded.rev WHERE block.rev < excluded.rev`
)

// blockWriter queues the insertion of a commit's blocks with statement q.
type blockWriter struct {
	t     *txn
	actor int64
	rev   string
	q     string
}

// write queues the insertion of blocks, each CID once.
func (w blockWriter) write(ctx context.Context, blocks []rhizome.Block) error {
	seen := make(map[cid.CID]struct{}, len(blocks))
	var cids, data [][]byte
	size := 0
	for _, b := range blocks {
		if _, dup := seen[b.CID]; dup {
			continue
		}
		seen[b.CID] = struct{}{}
		cids, data, size = append(cids, b.CID.Bytes()), append(data, nonNil(b.Data)), size+len(b.Data)+64
		if len(cids) < maxChunkBlocks && size < maxChunkBytes {
			continue
		}
		w.t.queue(w.q, w.actor, w.rev, cids, data)
		if err := w.t.send(ctx); err != nil {
			return err
		}
		cids, data, size = nil, nil, 0
	}
	if len(cids) > 0 {
		w.t.queue(w.q, w.actor, w.rev, cids, data)
	}
	return nil
}

// recordKeys are columns of (collection, rkey) pairs for unnest.
type recordKeys struct{ colls, rkeys []string }

func (k *recordKeys) add(o store.RecordOp) {
	k.colls, k.rkeys = append(k.colls, string(o.Collection)), append(k.rkeys, string(o.RKey))
}

// opsPlan is a commit's record ops as columns: each key's last op counts,
// as if the ops were applied in order.
type opsPlan struct {
	touched, deleted, put recordKeys
	putCIDs               [][]byte
	refs                  recordKeys
	refCIDs               []string
	keep                  []string // blobs referenced by any put, made permanent
}

func planOps(ops []store.RecordOp) opsPlan {
	type key struct{ coll, rkey string }
	last := make(map[key]int, len(ops))
	var p opsPlan
	for i, o := range ops {
		last[key{string(o.Collection), string(o.RKey)}] = i
		for _, b := range o.Blobs {
			if o.CID.Defined() {
				p.keep = append(p.keep, b.String())
			}
		}
	}
	for i, o := range ops {
		if last[key{string(o.Collection), string(o.RKey)}] != i {
			continue
		}
		p.touched.add(o)
		if !o.CID.Defined() {
			p.deleted.add(o)
			continue
		}
		p.put.add(o)
		p.putCIDs = append(p.putCIDs, o.CID.Bytes())
		for _, b := range o.Blobs {
			p.refs.add(o)
			p.refCIDs = append(p.refCIDs, b.String())
		}
	}
	return p
}

// dropRecordBlocks deletes, before the record index changes, the blocks of
// the touched records ($2, $3) that no record will use afterwards: none
// of the commit's puts ($4) and no untouched record. A record block is
// never an MST node or a commit (records have a $type), so such a block
// is garbage.
const dropRecordBlocks = `WITH touched AS (SELECT * FROM unnest($2::text[], $3::text[]) AS t(c, k))
	DELETE FROM block b WHERE b.actor = $1 AND b.cid <> ALL($4::bytea[])
	AND b.cid IN (SELECT r.cid FROM record r JOIN touched ON r.collection = touched.c AND r.rkey = touched.k WHERE r.actor = $1)
	AND NOT EXISTS (SELECT 1 FROM record o WHERE o.actor = $1 AND o.cid = b.cid
		AND (o.collection, o.rkey) NOT IN (SELECT c, k FROM touched))`

// queueOps queues the record index and blob reference changes of ops;
// fresh says the repository's index was just emptied (Replace).
func queueOps(t *txn, actor int64, rev syntax.TID, ops []store.RecordOp, fresh bool) {
	if len(ops) == 0 {
		return
	}
	p := planOps(ops)
	const inKeys = ` WHERE actor = $1 AND (collection, rkey) IN (SELECT * FROM unnest($2::text[], $3::text[]))`
	if !fresh {
		t.queue(`DELETE FROM blob_ref`+inKeys, actor, p.touched.colls, p.touched.rkeys)
		t.queue(dropRecordBlocks, actor, p.touched.colls, p.touched.rkeys, append([][]byte{}, p.putCIDs...)) // not NULL
	}
	if len(p.deleted.colls) > 0 && !fresh {
		t.queue(`DELETE FROM record`+inKeys, actor, p.deleted.colls, p.deleted.rkeys)
	}
	if len(p.put.colls) > 0 {
		q := `INSERT INTO record (actor, collection, rkey, cid)
			SELECT $1, c, k, d FROM unnest($2::text[], $3::text[], $4::bytea[]) AS t(c, k, d)`
		if !fresh {
			q += ` ON CONFLICT (actor, collection, rkey) DO UPDATE SET cid = excluded.cid`
		}
		t.queue(q, actor, p.put.colls, p.put.rkeys, p.putCIDs)
	}
	if len(p.refCIDs) > 0 {
		t.queue(`INSERT INTO blob_ref (actor, collection, rkey, cid, rev)
			SELECT $1, c, k, b, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(c, k, b)
			ON CONFLICT DO NOTHING`, actor, p.refs.colls, p.refs.rkeys, p.refCIDs, string(rev))
	}
	if len(p.keep) > 0 {
		t.queue(`UPDATE blob SET temp = false WHERE actor = $1 AND cid = ANY($2::text[]) AND temp`, actor, p.keep)
	}
}

// insertEvent takes the next event seq and appends the event with it.
const insertEvent = `WITH s AS (UPDATE counter SET last = last + 1 WHERE name = 'event' RETURNING last)
	INSERT INTO event (seq, did, type, time, body) SELECT last, $1, $2, $3, $4 FROM s RETURNING seq`

// queueEvent queues the appending of e (for did if it names none) and
// the scan of its seq into seq. It must be among the last statements of a
// transaction: the counter row stays locked until the commit.
func queueEvent(t *txn, e store.Event, did syntax.DID, seq *int64) {
	if e.DID == "" {
		e.DID = did
	}
	t.events = true
	t.queue(insertEvent, string(e.DID), e.Type, orNow(e.Time), nonNil(e.Body)).
		QueryRow(func(r pgx.Row) error { return r.Scan(seq) })
}

// checkEvents rejects events without a type or of another DID than did.
func checkEvents(events []store.Event, did syntax.DID) error {
	for _, e := range events {
		if e.Type == "" || (e.DID != "" && e.DID != did) {
			return invalid("event %q for %q does not belong to %s", e.Type, e.DID, did)
		}
	}
	return nil
}

// queueEvents queues the appending of events, in order.
func queueEvents(t *txn, events []store.Event, did syntax.DID) {
	var seq int64
	for _, e := range events {
		queueEvent(t, e, did, &seq)
	}
}
