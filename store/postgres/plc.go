package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// AppendPLC implements store.PLC. Taking the next PLC seq locks the
// counter row first, so appends (rare) run one at a time across every
// connection and the check of the DID's last entry cannot be overtaken.
func (s *Store) AppendPLC(ctx context.Context, a store.PLCAppend) error {
	const op = "append plc operation"
	e := a.Entry
	if e.DID == "" || !e.CID.Defined() {
		return wrap(op, invalid("plc operation lacks a DID or CID"))
	}
	err := s.write(ctx, func(t *txn) error {
		var seq int64
		var last []byte
		t.queue(`UPDATE counter SET last = last + 1 WHERE name = 'plc' RETURNING last`).
			QueryRow(func(r pgx.Row) error { return r.Scan(&seq) })
		t.queue(`SELECT cid FROM plc_op WHERE did = $1 ORDER BY seq DESC LIMIT 1`, string(e.DID)).
			QueryRow(func(r pgx.Row) error { return checkPLCLast(r.Scan(&last), last, a) })
		if err := t.send(ctx); err != nil {
			return err
		}
		if len(a.Nullify) > 0 {
			t.queue(`UPDATE plc_op SET nullified = true WHERE did = $1 AND cid = ANY($2::bytea[])`,
				string(e.DID), cidBytes(a.Nullify))
		}
		t.queue(`INSERT INTO plc_op (seq, did, cid, op, nullified, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			seq, string(e.DID), e.CID.Bytes(), nonNil(e.Op), e.Nullified, orNow(e.CreatedAt))
		return nil
	})
	return wrap(op, err)
}

// checkPLCLast checks that the DID's log ends at a.Last, given the result
// of reading its last CID.
func checkPLCLast(err error, last []byte, a store.PLCAppend) error {
	switch {
	case errors.Is(err, pgx.ErrNoRows) && a.Last.Defined():
		return conflict("plc log of %s is empty, want it at %s", a.Entry.DID, a.Last)
	case errors.Is(err, pgx.ErrNoRows):
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

func scanPLC(r pgx.Rows) (store.PLCEntry, error) {
	var e store.PLCEntry
	var c []byte
	if err := r.Scan(&e.Seq, &e.DID, &c, &e.Op, &e.Nullified, &e.CreatedAt); err != nil {
		return e, err
	}
	e.CreatedAt = e.CreatedAt.UTC()
	var err error
	e.CID, err = readCID(c)
	return e, err
}

// PLCLog implements store.PLC.
func (s *Store) PLCLog(ctx context.Context, did syntax.DID) ([]store.PLCEntry, error) {
	var out []store.PLCEntry
	err := s.query(ctx, plcColumns+`WHERE did = $1 ORDER BY seq`, []any{string(did)}, func(r pgx.Rows) error {
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
	err := s.query(ctx, plcColumns+`WHERE seq > $1 ORDER BY seq LIMIT $2`, []any{after, store.Page{Limit: limit}.N()},
		func(r pgx.Rows) error {
			e, err := scanPLC(r)
			out = append(out, e)
			return err
		})
	return out, wrap("export plc operations", err)
}
