package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome/store"
)

// AppendEvent implements store.Events: one round trip, which takes the
// next seq, inserts the event, notifies listeners and commits.
func (s *Store) AppendEvent(ctx context.Context, e store.Event) (int64, error) {
	const op = "append event"
	if e.DID == "" || e.Type == "" {
		return 0, wrap(op, invalid("event lacks a DID or type"))
	}
	var seq int64
	err := s.write(ctx, func(t *txn) error {
		queueEvent(t, e, e.DID, &seq)
		return nil
	})
	return seq, wrap(op, err)
}

// EventsAfter implements store.Events.
func (s *Store) EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	const q = `SELECT seq, did, type, time, body FROM event WHERE seq > $1 ORDER BY seq LIMIT $2`
	var out []store.Event
	err := s.query(ctx, q, []any{after, store.Page{Limit: limit}.N()}, func(r pgx.Rows) error {
		var e store.Event
		err := r.Scan(&e.Seq, &e.DID, &e.Type, &e.Time, &e.Body)
		e.Time = e.Time.UTC()
		out = append(out, e)
		return err
	})
	return out, wrap("read events", err)
}

// LastSeq implements store.Events. It is the last sequence number ever
// assigned, which stays put when TrimEvents empties the log.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.queryRow(ctx, `SELECT last FROM counter WHERE name = 'event'`, nil, &seq)
	return seq, wrap("read last seq", err)
}

// TrimEvents implements store.Events.
func (s *Store) TrimEvents(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM event WHERE time < $1`, ms(cutoff))
	return int(n), wrap("trim events", err)
}
