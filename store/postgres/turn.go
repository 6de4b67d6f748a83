package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rhizome-pds/rhizome/syntax"
)

// TakeTurn takes the write turn of a repository among every node sharing
// the database (pds.RepoTurns): it inserts the DID into repo_turn in a
// transaction left open (one round trip, on a connection of its own pool)
// and waits there while another node holds the turn. release rolls the
// transaction back, in the background, handing the turn to the next
// waiter. Turns are for fairness only (see migration 3): the head's
// compare-and-swap keeps writes correct whether or not a writer holds one.
// When ctx ends first the connection is closed, which ends the wait on
// the server too.
func (s *Store) TakeTurn(ctx context.Context, did syntax.DID) (release func(), err error) {
	const op = "take write turn"
	if s.closed.Load() {
		return nil, wrap(op, errClosed)
	}
	c, err := s.turns.Acquire(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(`INSERT INTO repo_turn (did) VALUES ($1)`, string(did))
	if err := c.Conn().SendBatch(ctx, b).Close(); err != nil {
		if ctx.Err() != nil { // still waiting on the server: stop that
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			c.Conn().PgConn().CancelRequest(cctx)
			cancel()
		}
		drop(c)
		return nil, wrap(op, err)
	}
	return func() { go giveBack(c) }, nil
}

// giveBack ends a turn's transaction and returns its connection, or
// drops a connection that cannot roll back (the server then does).
func giveBack(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Conn().Exec(ctx, "ROLLBACK"); err != nil {
		drop(c)
		return
	}
	c.Release()
}

// drop closes a pooled connection and hands it back, so the pool
// forgets it.
func drop(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Conn().Close(ctx)
	c.Release()
}
