package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/rhizome-pds/rhizome"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ApplyCommit implements store.Repos.
func (s *Store) ApplyCommit(ctx context.Context, c store.Commit) (int64, error) {
	const op = "apply commit"
	if err := checkCommit(c); err != nil {
		return 0, wrap(op, err)
	}
	var seq int64
	err := s.write(ctx, func(w *wconn) (err error) {
		seq, err = w.applyCommit(c)
		return err
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
	for _, o := range c.Ops {
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

// applyCommit does ApplyCommit's work inside the writer's transaction.
func (w *wconn) applyCommit(c store.Commit) (int64, error) {
	actor, err := w.checkPrev(c.Head.DID, c.Prev)
	if err != nil {
		return 0, err
	}
	if c.Replace {
		if err := w.dropRepo(actor); err != nil {
			return 0, err
		}
	}
	if err := w.dropOld(actor, c); err != nil {
		return 0, err
	}
	ids, err := w.putBlocks(actor, c)
	if err != nil {
		return 0, err
	}
	if err := w.applyOps(actor, c.Head.Rev, c.Ops, ids); err != nil {
		return 0, err
	}
	h := c.Head
	if err := run(w.putHead, actor, h.Commit.Bytes(), string(h.Rev), h.Data.Bytes()); err != nil {
		return 0, err
	}
	if c.Event == nil {
		return 0, nil
	}
	return w.appendEvent(*c.Event, h.DID)
}

// dropOld deletes the blocks the commit no longer holds (none for
// Replace, which has dropped them all).
func (w *wconn) dropOld(actor int64, c store.Commit) error {
	if c.Replace {
		return nil
	}
	for _, d := range c.Drop {
		if err := run(w.dropBlock, actor, d.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// checkPrev checks the head against prev and returns the DID's actor id,
// creating it for a genesis commit.
func (w *wconn) checkPrev(did syntax.DID, prev cid.CID) (int64, error) {
	var actor int64
	var head []byte
	err := w.actorHead.QueryRowContext(bg, string(did)).Scan(&actor, &head)
	switch {
	case isNoRows(err):
		if prev.Defined() {
			return 0, conflict("repository %s does not exist, want head %s", did, prev)
		}
		return w.newActor(did)
	case err != nil:
		return 0, err
	case head == nil && prev.Defined():
		return 0, conflict("repository %s does not exist, want head %s", did, prev)
	case head != nil && !prev.Defined():
		return 0, conflict("repository %s already exists", did)
	case head != nil && string(head) != string(prev.Bytes()):
		return 0, conflict("repository %s has moved on from %s", did, prev)
	}
	return actor, nil
}

// newActor interns a DID.
func (w *wconn) newActor(did syntax.DID) (int64, error) {
	res, err := w.insertActor.ExecContext(bg, string(did))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// actorID returns the id of a DID, interning it if create is set; 0 if it
// is unknown and create is not.
func (w *wconn) actorID(did syntax.DID, create bool) (int64, error) {
	var id int64
	err := w.row(`SELECT id FROM actor WHERE did = ?`, string(did)).Scan(&id)
	switch {
	case isNoRows(err) && create:
		return w.newActor(did)
	case isNoRows(err):
		return 0, nil
	}
	return id, err
}

// dropRepo removes a repository's blocks, record index and blob references.
func (w *wconn) dropRepo(actor int64) error {
	for _, st := range []*sql.Stmt{w.dropBlocks, w.dropRecords, w.dropRefs} {
		if err := run(st, actor); err != nil {
			return err
		}
	}
	return nil
}

// putBlocks stores the commit's blocks and returns their row ids. The
// blocks go in maxInsertRows at a time, one statement each: a commit of
// one record writes about six blocks, and the driver's cost is per
// statement more than per row. A block already stored by a later commit
// is neither changed nor returned by the insert; its row is looked up.
func (w *wconn) putBlocks(actor int64, c store.Commit) (map[cid.CID]int64, error) {
	rev := string(c.Head.Rev)
	ids := make(map[cid.CID]int64, len(c.Blocks))
	for i := 0; i < len(c.Blocks); i += maxInsertRows {
		if err := w.insertBlockRows(actor, rev, c.Blocks[i:min(i+maxInsertRows, len(c.Blocks))], ids); err != nil {
			return nil, err
		}
	}
	for _, b := range c.Blocks {
		if _, ok := ids[b.CID]; ok {
			continue
		}
		var id int64
		if err := w.blockID.QueryRowContext(bg, actor, b.CID.Bytes()).Scan(&id); err != nil {
			return nil, err
		}
		ids[b.CID] = id
	}
	return ids, nil
}

// maxInsertRows is the most blocks one insert statement writes.
const maxInsertRows = 16

// insertBlockRows inserts blocks in one statement and records the rows it
// inserted or moved to rev in ids.
func (w *wconn) insertBlockRows(actor int64, rev string, blocks []rhizome.Block, ids map[cid.CID]int64) error {
	args := make([]any, 0, 4*len(blocks))
	for _, b := range blocks {
		if !b.CID.Defined() {
			return invalid("block without a CID")
		}
		args = append(args, actor, b.CID.Bytes(), rev, nonNil(b.Data))
	}
	st, err := w.insertBlocksStmt(len(blocks))
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(bg, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var c []byte
		if err := rows.Scan(&id, &c); err != nil {
			return err
		}
		k, err := readCID(c)
		if err != nil {
			return err
		}
		ids[k] = id
	}
	return rows.Err()
}

// insertBlocksStmt returns the statement inserting n blocks.
func (w *wconn) insertBlocksStmt(n int) (*sql.Stmt, error) {
	if st := w.insertBlocks[n]; st != nil {
		return st, nil
	}
	q := `INSERT INTO block(actor, cid, rev, data) VALUES (?, ?, ?, ?)` + strings.Repeat(`, (?, ?, ?, ?)`, n-1) + `
		ON CONFLICT(actor, cid) DO UPDATE SET rev = excluded.rev WHERE rev < excluded.rev
		RETURNING id, cid`
	st, err := w.conn.PrepareContext(bg, q)
	if err != nil {
		return nil, err
	}
	if w.insertBlocks == nil {
		w.insertBlocks = map[int]*sql.Stmt{}
	}
	w.insertBlocks[n] = st
	return st, nil
}

// applyOps changes the record index and the blob references. ids are the
// rows of the commit's blocks; a record whose block is not among them
// points at the stored one, if any.
// The blocks of replaced and deleted records are dropped afterwards unless
// a record still uses them.
func (w *wconn) applyOps(actor int64, rev syntax.TID, ops []store.RecordOp, ids map[cid.CID]int64) error {
	var old []int64
	for _, o := range ops {
		coll, rkey := string(o.Collection), string(o.RKey)
		if err := run(w.deleteRefs, actor, coll, rkey); err != nil {
			return err
		}
		var was sql.NullInt64
		if err := w.recordBlockID.QueryRowContext(bg, actor, coll, rkey).Scan(&was); err != nil && !isNoRows(err) {
			return err
		}
		if was.Valid {
			old = append(old, was.Int64)
		}
		if !o.CID.Defined() {
			if err := run(w.deleteRecord, actor, coll, rkey); err != nil {
				return err
			}
			continue
		}
		block, err := w.recordBlock(actor, o.CID, ids)
		if err != nil {
			return err
		}
		if err := run(w.putRecord, actor, coll, rkey, o.CID.Bytes(), block); err != nil {
			return err
		}
		if err := w.addRefs(actor, coll, rkey, string(rev), o.Blobs); err != nil {
			return err
		}
	}
	return w.dropUnused(old)
}

// dropUnused deletes those of the blocks (by row) that no record uses.
// A record block is never an MST node or a commit (records have a $type),
// so a block no record uses is garbage.
func (w *wconn) dropUnused(blocks []int64) error {
	for _, id := range blocks {
		if err := run(w.dropUnusedBlock, id); err != nil {
			return err
		}
	}
	return nil
}

// recordBlock returns the row of a record's block, or nil if it is not
// stored.
func (w *wconn) recordBlock(actor int64, c cid.CID, ids map[cid.CID]int64) (any, error) {
	if id, ok := ids[c]; ok {
		return id, nil
	}
	var id int64
	err := w.blockID.QueryRowContext(bg, actor, c.Bytes()).Scan(&id)
	if isNoRows(err) {
		return nil, nil
	}
	return id, err
}

// addRefs records that a record references blobs, which become permanent.
func (w *wconn) addRefs(actor int64, coll, rkey, rev string, blobs []cid.CID) error {
	for _, b := range blobs {
		c := b.String()
		if err := run(w.insertRef, actor, coll, rkey, c, rev); err != nil {
			return err
		}
		if err := run(w.keepBlob, actor, c); err != nil {
			return err
		}
	}
	return nil
}

// appendEvent appends e (for did if it names none) and returns its seq.
// appendEvents appends events in order; each must be of did.
func (w *wconn) appendEvents(events []store.Event, did syntax.DID) error {
	for _, e := range events {
		if e.Type == "" || (e.DID != "" && e.DID != did) {
			return invalid("event %q for %q does not belong to %s", e.Type, e.DID, did)
		}
		if _, err := w.appendEvent(e, did); err != nil {
			return err
		}
	}
	return nil
}

func (w *wconn) appendEvent(e store.Event, did syntax.DID) (int64, error) {
	if e.DID == "" {
		e.DID = did
	}
	res, err := w.insertEvent.ExecContext(bg, string(e.DID), e.Type, millis(orNow(e.Time)), nonNil(e.Body))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
