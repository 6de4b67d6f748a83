package postgres

import (
	"context"
	"net/url"
	"runtime"
	"strconv"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rhizome-pds/rhizome/store"
)

// Store is a store.Store kept in a PostgreSQL database (or one schema of
// it), shareable by several processes.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
	// listen is the configuration of Listen's own connection; channel is
	// the notification channel of this store's event log, and notify says
	// whether the database has LISTEN/NOTIFY (see notify.go).
	listen  *pgx.ConnConfig
	channel string
	notify  bool
	// turns holds the connections of write turns (turn.go), apart from
	// pool so that writers waiting for a turn never starve the writes.
	turns *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// options are the parameters Open takes from the URL for itself.
type options struct {
	schema   string // "" keeps the server's search_path
	maxConns int
}

// Open connects to the database at url, a postgres:// or postgresql://
// URL in libpq's form, and brings its schema up to date. Besides the
// driver's parameters (sslmode, connect_timeout, …) the URL may carry:
//
//   - schema=NAME: keep the store's tables in schema NAME, created if
//     missing, by setting the connections' search_path to it. Without it
//     the tables go where the server's search_path puts them (usually
//     public).
//   - pool_max_conns=N: open at most N connections (default 2×GOMAXPROCS,
//     at least 8).
//
// Several processes may open the same database at once: migrations are
// serialized by a row lock (see doc.go).
func Open(ctx context.Context, url string) (*Store, error) {
	const op = "open postgres store"
	cfg, o, err := parseURL(url)
	if err != nil {
		return nil, wrap(op, err)
	}
	notify, err := prepareSchema(ctx, cfg, o.schema)
	if err != nil {
		return nil, wrap(op, err)
	}
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, wrap(op, err)
	}
	pcfg.ConnConfig, pcfg.MaxConns = cfg, int32(o.maxConns)
	p, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, wrap(op, err)
	}
	turns, err := pgxpool.NewWithConfig(ctx, pcfg.Copy())
	if err != nil {
		p.Close()
		return nil, wrap(op, err)
	}
	return &Store{pool: p, listen: cfg.Copy(), channel: channelName(o.schema), notify: notify, turns: turns}, nil
}

// parseURL splits Open's own parameters off raw and parses the rest as
// the driver's configuration.
func parseURL(raw string) (*pgx.ConnConfig, options, error) {
	o := options{maxConns: max(8, 2*runtime.GOMAXPROCS(0))}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, o, invalid("database URL is not a postgres:// URL")
	}
	q := u.Query()
	o.schema = q.Get("schema")
	if n := q.Get("pool_max_conns"); n != "" {
		if o.maxConns, err = strconv.Atoi(n); err != nil || o.maxConns < 1 {
			return nil, o, invalid("pool_max_conns %q is not a positive number", n)
		}
	}
	if q.Has("schema") && o.schema == "" {
		return nil, o, invalid("empty schema name")
	}
	q.Del("schema")
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, o, invalid("database URL: %v", err)
	}
	if o.schema != "" {
		cfg.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	return cfg, o, nil
}

// prepareSchema creates the schema if it is named and missing, and
// migrates it, on a connection of its own; it reports whether the
// database has LISTEN/NOTIFY.
func prepareSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) (notify bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if schema != "" {
		if err := createSchema(ctx, conn, schema); err != nil {
			return false, err
		}
	}
	if err := migrate(ctx, conn, migrations); err != nil {
		return false, err
	}
	return canNotify(ctx, conn), nil
}

// createSchema creates schema unless it exists. Two processes creating it
// at once may clash on the catalog's unique index; the loser finds it.
func createSchema(ctx context.Context, conn *pgx.Conn, schema string) error {
	_, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	if isCode(err, "23505", "42P06") {
		return nil
	}
	return err
}

// Close waits for the calls in progress and closes the connections.
// Calls after Close fail; closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.CompareAndSwap(false, true) {
		s.turns.Close()
		s.pool.Close()
	}
	return nil
}

// withConn runs fn on a pooled connection.
func (s *Store) withConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	if s.closed.Load() {
		return errClosed
	}
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		if s.closed.Load() {
			return errClosed
		}
		return err
	}
	defer c.Release()
	return fn(c.Conn())
}

// query runs q and calls fn for each row.
func (s *Store) query(ctx context.Context, q string, args []any, fn func(pgx.Rows) error) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// queryRow runs q and scans its one row into dest; pgx.ErrNoRows if there
// is none.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, q, args...).Scan(dest...)
	})
}

// exec runs a statement on its own (autocommit) and returns how many rows
// it changed.
func (s *Store) exec(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := s.withConn(ctx, func(c *pgx.Conn) error {
		tag, err := c.Exec(ctx, q, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// write runs fn in a transaction (see txn) and commits it.
func (s *Store) write(ctx context.Context, fn func(*txn) error) error {
	return s.withConn(ctx, func(c *pgx.Conn) error {
		t := &txn{conn: c}
		err := fn(t)
		if err == nil && t.events && s.notify {
			queueNotify(t, s.channel)
		}
		if err == nil {
			t.queue("COMMIT")
			err = t.send(ctx)
		}
		if err != nil {
			t.abort()
		}
		return err
	})
}
