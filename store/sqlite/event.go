package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// AppendEvent implements store.Events.
func (s *Store) AppendEvent(ctx context.Context, e store.Event) (int64, error) {
	const op = "append event"
	if e.DID == "" || e.Type == "" {
		return 0, wrap(op, invalid("event lacks a DID or type"))
	}
	var seq int64
	err := s.write(ctx, func(w *wconn) (err error) {
		seq, err = w.appendEvent(e, e.DID)
		return err
	})
	return seq, wrap(op, err)
}

// EventsAfter implements store.Events.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	const q = `SELECT seq, did, type, time, body FROM event WHERE seq > ? ORDER BY seq` // no bound LIMIT: see listRecordsQuery
	var out []store.Event
	n := store.Page{Limit: limit}.N()
	err := s.read(ctx, q, []any{after}, func(r *sql.Rows) error {
		if len(out) == n {
			return errStopRows
		}
		var e store.Event
		var t int64
		err := r.Scan(&e.Seq, &e.DID, &e.Type, &t, &e.Body)
		e.Time = fromMillis(t)
		out = append(out, e)
		return err
	})
	return out, wrap("read events", err)
}

// LastSeq implements store.Events. It is the last sequence number ever
// assigned, which stays put when TrimEvents empties the log.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.read(ctx, `SELECT `+lastSeq, nil,
		func(r *sql.Rows) error { return r.Scan(&seq) })
	return seq, wrap("read last seq", err)
}

// forgetEvents deletes a DID's events, raising the floor first so that
// their sequence numbers are never given out again.
func (w *wconn) forgetEvents(did syntax.DID) error {
	if err := w.exec(`UPDATE event_floor SET seq = ` + lastSeq); err != nil {
		return err
	}
	_, err := w.execN(`DELETE FROM event WHERE did = ?`, string(did))
	return err
}

// TrimEvents implements store.Events.
func (s *Store) TrimEvents(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(w *wconn) (err error) {
		if err := w.exec(`UPDATE event_floor SET seq = ` + lastSeq); err != nil {
			return err
		}
		n, err = w.execN(`DELETE FROM event WHERE time < ?`, millis(cutoff))
		return err
	})
	return int(n), wrap("trim events", err)
}
