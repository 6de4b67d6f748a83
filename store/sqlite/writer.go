package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rhizome-pds/rhizome"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 64

// writer owns the database's one write connection. Writes are submitted to
// its goroutine, which runs the writes waiting at that moment in one
// transaction, each inside its own savepoint, and commits once: a batch
// pays for one fsync however many writes it holds, and a write that fails
// is rolled back to its savepoint without touching the others (group
// commit). Submitters wait for the commit, so a nil error means durable.
//
// Statements run with a background context: interrupting a statement may
// roll back the whole transaction, which holds other callers' writes.
type writer struct {
	db   *sql.DB
	conn *sql.Conn
	c    *wconn
	reqs chan *writeReq
	done chan struct{}
	// largest is the size of the largest batch run so far; only the
	// writer goroutine touches it until done is closed.
	largest int
}

// writeReq is one submitted write.
type writeReq struct {
	ctx  context.Context
	fn   func(*wconn) error
	err  error
	done chan struct{}
}

// newWriter pins the write connection, migrates the schema, prepares the
// write statements and starts the writer goroutine.
func newWriter(db *sql.DB) (*writer, error) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, conn, migrations); err != nil {
		conn.Close()
		return nil, err
	}
	c, err := prepareWrites(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	w := &writer{db: db, conn: conn, c: c, reqs: make(chan *writeReq), done: make(chan struct{})}
	go w.loop()
	return w, nil
}

// submit runs fn in the writer and waits until its transaction is settled.
// The caller must ensure submit is not called concurrently with close.
func (w *writer) submit(ctx context.Context, fn func(*wconn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan struct{})}
	w.reqs <- r
	<-r.done
	return r.err
}

// close stops the loop once pending writes are done and releases the
// connection.
func (w *writer) close() error {
	close(w.reqs)
	<-w.done
	w.c.close()
	return w.conn.Close()
}

func (w *writer) loop() {
	defer close(w.done)
	for r := range w.reqs {
		batch := w.collect(r)
		w.largest = max(w.largest, len(batch))
		w.run(batch)
		for _, r := range batch {
			close(r.done)
		}
	}
}

// collect gathers the writes already waiting behind first.
func (w *writer) collect(first *writeReq) []*writeReq {
	batch := []*writeReq{first}
	for len(batch) < maxBatch {
		select {
		case r, ok := <-w.reqs:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// run applies batch in one transaction and sets each request's error.
func (w *writer) run(batch []*writeReq) {
	if err := w.c.exec("BEGIN IMMEDIATE"); err != nil {
		failAll(batch, err)
		return
	}
	var ok int
	if len(batch) == 1 {
		ok = w.runOne(batch[0])
	} else {
		ok = w.runMany(batch)
	}
	if ok == 0 {
		w.c.exec("ROLLBACK")
		return
	}
	if err := w.c.exec("COMMIT"); err != nil {
		w.c.exec("ROLLBACK")
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
	}
}

// runOne runs a lone write without a savepoint; it returns 1 if it
// succeeded.
func (w *writer) runOne(r *writeReq) int {
	r.err = w.call(r)
	if r.err != nil {
		return 0
	}
	return 1
}

// runMany runs each write in a savepoint and returns how many succeeded. If
// a savepoint cannot be rolled back the transaction is gone: everything
// fails.
func (w *writer) runMany(batch []*writeReq) int {
	ok := 0
	for i, r := range batch {
		if err := w.c.exec("SAVEPOINT w"); err != nil {
			failAll(batch, err)
			return 0
		}
		if r.err = w.call(r); r.err == nil {
			ok++
		} else if err := w.c.exec("ROLLBACK TO w"); err != nil {
			failAll(batch[:i], err)
			failAll(batch[i+1:], err)
			return 0
		}
		if err := w.c.exec("RELEASE w"); err != nil {
			failAll(batch, err)
			return 0
		}
	}
	return ok
}

// call runs r's function, turning a panic into an error so that the writer
// survives a bug in one write.
func (w *writer) call(r *writeReq) (err error) {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			err = rhizome.E("", rhizome.Other, fmt.Sprintf("panic in write: %v", p))
		}
	}()
	return r.fn(w.c)
}

// failAll sets err on every request of batch.
func failAll(batch []*writeReq, err error) {
	for _, r := range batch {
		r.err = err
	}
}
