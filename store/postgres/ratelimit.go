package postgres

import (
	"context"
	"time"
)

// Shared rate limits: fixed-window counters in table rate_window
// (migration 2), which a pod's limiter uses so that a limit holds across
// every node on the database (see xrpc.RateCounter).

// AddRate adds n to the count of key in the window that ends at end and
// returns the count after adding: one statement, an upsert whose row lock
// makes concurrent adders on any node queue, so every caller sees a
// distinct total.
func (s *Store) AddRate(ctx context.Context, key string, end time.Time, n int64) (int64, error) {
	const op = "add to rate window"
	if key == "" || n < 0 {
		return 0, wrap(op, invalid("rate window needs a key and a count of at least 0"))
	}
	var total int64
	err := s.queryRow(ctx, `INSERT INTO rate_window (key, window_end, n) VALUES ($1, $2, $3)
		ON CONFLICT (key, window_end) DO UPDATE SET n = rate_window.n + excluded.n RETURNING n`,
		[]any{key, ms(end), n}, &total)
	return total, wrap(op, err)
}

// TrimRates deletes the windows that ended before cutoff and returns how
// many.
func (s *Store) TrimRates(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := s.exec(ctx, `DELETE FROM rate_window WHERE window_end < $1`, ms(cutoff))
	return int(n), wrap("trim rate windows", err)
}
