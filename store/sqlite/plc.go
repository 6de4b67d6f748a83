package sqlite

import (
	"context"
	"database/sql"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// AppendPLC implements store.PLC.
func (s *Store) AppendPLC(ctx context.Context, a store.PLCAppend) error {
	const op = "append plc operation"
	e := a.Entry
	if e.DID == "" || !e.CID.Defined() {
		return wrap(op, invalid("plc operation lacks a DID or CID"))
	}
	err := s.write(ctx, func(w *wconn) error {
		if err := w.checkPLCLast(a); err != nil {
			return err
		}
		for _, c := range a.Nullify {
			err := w.exec(`UPDATE plc_op SET nullified = 1 WHERE did = ? AND cid = ?`, string(e.DID), c.Bytes())
			if err != nil {
				return err
			}
		}
		return w.exec(`INSERT INTO plc_op(did, cid, op, nullified, created_at) VALUES (?, ?, ?, ?, ?)`,
			string(e.DID), e.CID.Bytes(), nonNil(e.Op), boolInt(e.Nullified), millis(orNow(e.CreatedAt)))
	})
	return wrap(op, err)
}

// checkPLCLast checks that the DID's log ends at a.Last.
func (w *wconn) checkPLCLast(a store.PLCAppend) error {
	var last []byte
	err := w.row(`SELECT cid FROM plc_op WHERE did = ? ORDER BY seq DESC LIMIT 1`, string(a.Entry.DID)).Scan(&last)
	switch {
	case isNoRows(err) && a.Last.Defined():
		return conflict("plc log of %s is empty, want it at %s", a.Entry.DID, a.Last)
	case isNoRows(err):
		return nil
	case err != nil:
		return err
	case string(last) != string(a.Last.Bytes()):
		return conflict("plc log of %s has moved on from %s", a.Entry.DID, a.Last)
	}
	return nil
}

// plcColumns are the columns scanPLC reads.
const plcColumns = `SELECT seq, did, cid, op, nullified, created_at FROM plc_op `

func scanPLC(r *sql.Rows) (store.PLCEntry, error) {
	var e store.PLCEntry
	var c []byte
	var created int64
	if err := r.Scan(&e.Seq, &e.DID, &c, &e.Op, &e.Nullified, &created); err != nil {
		return e, err
	}
	e.CreatedAt = fromMillis(created)
	var err error
	e.CID, err = readCID(c)
	return e, err
}

// PLCLog implements store.PLC.
func (s *Store) PLCLog(ctx context.Context, did syntax.DID) ([]store.PLCEntry, error) {
	var out []store.PLCEntry
	err := s.read(ctx, plcColumns+`WHERE did = ? ORDER BY seq`, []any{string(did)}, func(r *sql.Rows) error {
		e, err := scanPLC(r)
		out = append(out, e)
		return err
	})
	if err == nil && len(out) == 0 {
		err = notFound("no plc log for %s", did)
	}
	return out, wrap("read plc log", err)
}

// PLCExport implements store.PLC.
func (s *Store) PLCExport(ctx context.Context, after int64, limit int) ([]store.PLCEntry, error) {
	var out []store.PLCEntry
	q := plcColumns + `WHERE seq > ? ORDER BY seq LIMIT ?`
	err := s.read(ctx, q, []any{after, store.Page{Limit: limit}.N()}, func(r *sql.Rows) error {
		e, err := scanPLC(r)
		out = append(out, e)
		return err
	})
	return out, wrap("export plc operations", err)
}
