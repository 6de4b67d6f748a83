package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is a store.Store kept in one SQLite database file.
type Store struct {
	rdb *sql.DB // read pool (query_only)
	wdb *sql.DB // the one writer connection lives here
	w   *writer
	rs  *readStmts

	scanMax int // the length limit of aggregate block reads; 0: scanLimit (tests lower it)

	mu     sync.RWMutex // guards closed against write submissions
	closed bool
}

var _ store.Store = (*Store)(nil)

// Options tune OpenWith. The zero value is what Open uses.
type Options struct {
	// SyncNormal sets PRAGMA synchronous=NORMAL on the writer instead of
	// FULL: commits then survive a crash of the process but the latest ones
	// may be lost if the machine loses power.
	SyncNormal bool
	// ReadConns is the size of the read connection pool; 0 means
	// 2×GOMAXPROCS, at least 4.
	ReadConns int
}

// Open opens (creating if needed) the database at path, and its parent
// directory, and brings its schema up to date. Writes are fsynced before
// they are acknowledged (synchronous=FULL).
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options.
func OpenWith(path string, o Options) (*Store, error) {
	const op = "open sqlite store"
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "unusable database path %q", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	s, err := open(path, o)
	if err != nil {
		return nil, wrap(op, err)
	}
	return s, nil
}

func open(path string, o Options) (*Store, error) {
	wdb, err := sql.Open("sqlite", path+"?"+writerParams(o))
	if err != nil {
		return nil, err
	}
	w, err := newWriter(wdb)
	if err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, rs, err := openReaders(path, o)
	if err != nil {
		w.close()
		wdb.Close()
		return nil, err
	}
	return &Store{rdb: rdb, wdb: wdb, w: w, rs: rs}, nil
}

// writerParams are the DSN parameters of the writer connection.
func writerParams(o Options) string {
	sync := "FULL"
	if o.SyncNormal {
		sync = "NORMAL"
	}
	return "_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(" + sync + ")&_pragma=journal_size_limit(67108864)" +
		"&_pragma=cache_size(-8000)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(10000)"
}

// readerParams are the DSN parameters of the read connections.
const readerParams = "_pragma=busy_timeout(10000)&_pragma=query_only(1)&_pragma=cache_size(-16000)" +
	"&_pragma=temp_store(MEMORY)"

func openReaders(path string, o Options) (*sql.DB, *readStmts, error) {
	n := o.ReadConns
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	rdb, err := sql.Open("sqlite", path+"?"+readerParams)
	if err != nil {
		return nil, nil, err
	}
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rs, err := prepareReads(context.Background(), rdb)
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return rdb, rs, nil
}

// Close stops the writer after the writes already submitted and closes the
// database. Calls after Close fail; closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.w.close()
	s.rs.close()
	if e := s.rdb.Close(); err == nil {
		err = e
	}
	if e := s.wdb.Close(); err == nil {
		err = e
	}
	if err != nil {
		return rhizome.E("close sqlite store", rhizome.Other, err)
	}
	return nil
}

// isClosed reports whether Close has been called.
func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// errClosed is returned by every call after Close.
var errClosed = rhizome.E("", rhizome.Other, "store is closed")

// write runs fn in the writer's transaction; see writer.
func (s *Store) write(ctx context.Context, fn func(*wconn) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	return s.w.submit(ctx, fn)
}

// readTx runs fn in a read transaction, so it sees one snapshot.
func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.isClosed() {
		return errClosed
	}
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}
