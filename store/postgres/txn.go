package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// txn is a write transaction on one connection. Statements are queued and
// sent together, in one round trip, by send; BEGIN rides on the first send
// and COMMIT on the last (Store.write queues it), so a transaction whose
// checks and writes fit one send costs one round trip, and one that must
// check before it writes (a compare-and-swap) costs two.
//
// A statement's callback may refuse the transaction (a failed check) only
// in a send before the last: the last send carries COMMIT, which the
// server runs unless a statement before it failed in SQL.
type txn struct {
	conn  *pgx.Conn
	batch pgx.Batch
	begun bool
	// events is set once an event is queued: the commit then notifies
	// listeners (see notify.go).
	events bool
}

// queue adds a statement to the next send.
func (t *txn) queue(q string, args ...any) *pgx.QueuedQuery {
	return t.batch.Queue(q, args...)
}

// send sends the queued statements and runs their callbacks in order; the
// first error stops it.
func (t *txn) send(ctx context.Context) error {
	if t.batch.Len() == 0 {
		return nil
	}
	b := t.batch
	t.batch = pgx.Batch{}
	if !t.begun {
		b.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: "BEGIN"}}, b.QueuedQueries...)
		t.begun = true
	}
	return t.conn.SendBatch(ctx, &b).Close()
}

// abort rolls back whatever the transaction did. A connection that cannot
// roll back is closed (the server then rolls back), so the pool drops it.
func (t *txn) abort() {
	if t.conn.IsClosed() || t.conn.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := t.conn.Exec(ctx, "ROLLBACK"); err != nil {
		t.conn.Close(ctx)
	}
}

// scanOne is a QueryRow callback that scans the row into dest, or returns
// missing if there is none.
func scanOne(missing error, dest ...any) func(pgx.Row) error {
	return func(r pgx.Row) error {
		err := r.Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			return missing
		}
		return err
	}
}
