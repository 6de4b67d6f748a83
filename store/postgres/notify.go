package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rhizome-pds/rhizome"
)

// Wake-ups across nodes. Every transaction that appends events also runs
// pg_notify on the store's channel, just before its COMMIT and in the same
// round trip; PostgreSQL delivers the notification when (and only if) the
// transaction commits, so a listener that reads the log on a wake-up finds
// the events there. Listen keeps one dedicated connection per node
// LISTENing on the channel.
//
// The channel is named after the schema, so stores in different schemas
// of one database do not wake each other. Databases that speak the
// protocol but lack LISTEN/NOTIFY (some distributed ones) are detected at
// Open: writes then skip the notification and Listen reports that it
// cannot listen, leaving followers to their polling.

// channelBase is the notification channel of a store in the default
// schema; a named schema adds a digest of its name (channel names are
// identifiers of at most 63 bytes).
const channelBase = "rhizome_events"

func channelName(schema string) string {
	if schema == "" {
		return channelBase
	}
	sum := sha256.Sum256([]byte(schema))
	return channelBase + "_" + hex.EncodeToString(sum[:8])
}

// canNotify reports whether the database runs pg_notify.
func canNotify(ctx context.Context, conn *pgx.Conn) bool {
	_, err := conn.Exec(ctx, `SELECT pg_notify($1, '')`, channelBase+"_probe")
	return err == nil
}

// queueNotify queues the notification of the channel's listeners; it is
// sent when the transaction commits.
func queueNotify(t *txn, channel string) {
	t.queue(`SELECT pg_notify($1, '')`, channel)
}

// Listen back-off and liveness: a lost connection is retried after
// listenRetryMin, doubling up to listenRetryMax; an idle connection is
// checked every listenPing, so a connection the network silently dropped
// is noticed.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
	listenPing     = 30 * time.Second
)

// errNoNotify is Listen's answer on a database without LISTEN/NOTIFY.
var errNoNotify = rhizome.E("listen for events", rhizome.Unavailable, "the database does not support LISTEN/NOTIFY")

// Listen calls fn each time a transaction that appended events commits,
// on any node (this process's own included), until ctx ends; it then
// returns nil. It listens on a dedicated connection, and when that
// connection fails it reconnects with back-off and calls fn once more,
// since notifications sent while it was away are lost. fn must not block.
// On a database without LISTEN/NOTIFY it returns an Unavailable error at
// once.
func (s *Store) Listen(ctx context.Context, fn func(), onError func(error)) error {
	if !s.notify {
		return errNoNotify
	}
	wait := listenRetryMin
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, fn, func() { wait = listenRetryMin })
		if ctx.Err() != nil {
			break
		}
		if onError != nil {
			onError(wrap("listen for events", err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
	return nil
}

// listenOnce connects, LISTENs, calls connected and fn, then calls fn for
// every notification until the connection fails or ctx ends.
func (s *Store) listenOnce(ctx context.Context, fn, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.listen)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	fn() // events committed before LISTEN took effect were not announced
	for {
		if err := waitNotification(ctx, conn); err != nil {
			return err
		}
		fn()
	}
}

// waitNotification waits for the next notification; while none comes it
// pings the server every listenPing.
func waitNotification(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case wctx.Err() == nil || conn.IsClosed():
			return err
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}
