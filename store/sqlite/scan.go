package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"unsafe"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Reading a repository's blocks costs little in SQLite and a lot in the
// driver, which pays a few locked library calls, an allocation and a copy
// for every row: a 10,000-record repository is 13,000 rows. So blocks are
// read as one value, SQLite's group_concat of the rows (CID || block, back
// to back), and split in Go: a CID has a fixed length and a block is one
// CBOR item. The value is bounded by the connection's length limit,
// lowered for the read to scanLimit; a repository past it is read row by
// row instead, holding one row at a time.

// scanLimit is the largest value an aggregate block read may build.
const scanLimit = 64 << 20

// blocksQuery reads the blocks of did written after rev since, one row
// each, CID || data, in rev order; blocksAggregate reads all of them as one
// value. Both are pinned to the (actor, rev) index: an aggregate's rows go
// in in the order the loop visits them, which is the index's (an ORDER BY
// inside group_concat would sort and cost twice the read).
const (
	blocksWhere = ` FROM block INDEXED BY block_rev
		WHERE actor = (SELECT id FROM actor WHERE did = ?) AND rev > ?`
	blocksQuery     = `SELECT cid || data` + blocksWhere + ` ORDER BY rev`
	blocksAggregate = `SELECT coalesce(group_concat(cid || data, ''), '')` + blocksWhere
)

// BlocksSince implements store.Repos.
func (s *Store) BlocksSince(ctx context.Context, did syntax.DID, since syntax.TID, fn func(rhizome.Block) error) error {
	const op = "read blocks since"
	if s.isClosed() {
		return wrap(op, errClosed)
	}
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return wrap(op, err)
	}
	defer conn.Close()
	restore, err := limitLength(conn, s.scanLimit())
	if err != nil {
		return wrap(op, err)
	}
	defer restore()
	return wrap(op, s.blocksSince(ctx, conn, did, since, fn))
}

func (s *Store) blocksSince(ctx context.Context, conn *sql.Conn, did syntax.DID, since syntax.TID, fn func(rhizome.Block) error) error {
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := scanHead(did, tx.StmtContext(ctx, s.rs.head).QueryRowContext(ctx, string(did))); err != nil {
		return err
	}
	// The aggregate is text to SQLite; scanned as a string it is the
	// driver's own copy, handed over without another.
	var run string
	err = tx.QueryRowContext(ctx, blocksAggregate, string(did), string(since)).Scan(&run)
	if isTooBig(err) {
		return blockRows(ctx, tx, did, since, fn)
	}
	if err != nil {
		return err
	}
	return splitBlocks(bytesOf(run), fn)
}

func (s *Store) scanLimit() int {
	if s.scanMax > 0 {
		return s.scanMax
	}
	return scanLimit
}

// limitLength lowers the length limit of conn to n and returns what puts
// the old limit back, before conn goes back to the pool.
func limitLength(conn *sql.Conn, n int) (restore func(), err error) {
	old, err := sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, n)
	if err != nil {
		return nil, err
	}
	return func() { sqlite.Limit(conn, sqlite3.SQLITE_LIMIT_LENGTH, old) }, nil
}

func isTooBig(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_TOOBIG
}

// blockRows calls fn with each block of did written after since, read row
// by row.
func blockRows(ctx context.Context, tx *sql.Tx, did syntax.DID, since syntax.TID, fn func(rhizome.Block) error) error {
	var a arena
	var row sql.RawBytes
	return queryRows(ctx, tx, blocksQuery, []any{string(did), string(since)}, func(r *sql.Rows) error {
		if err := r.Scan(&row); err != nil {
			return err
		}
		if len(row) < cid.Len {
			return corrupt("block row of %d bytes", len(row))
		}
		c, err := readCID(row[:cid.Len])
		if err != nil {
			return err
		}
		return fn(rhizome.Block{CID: c, Data: a.copy(row[cid.Len:])})
	})
}

// bytesOf views s as bytes without a copy; nothing writes to them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// splitBlocks calls fn with each CID || data block of run, a run of them
// back to back. The blocks keep pointing into run.
func splitBlocks(run []byte, fn func(rhizome.Block) error) error {
	for len(run) > 0 {
		if len(run) < cid.Len {
			return corrupt("block run ends in %d bytes", len(run))
		}
		c, err := readCID(run[:cid.Len])
		if err != nil {
			return err
		}
		n, err := data.ItemLen(run[cid.Len:])
		if err != nil {
			return corrupt("block %s: %v", c, err)
		}
		end := cid.Len + n
		if err := fn(rhizome.Block{CID: c, Data: run[cid.Len:end:end]}); err != nil {
			return err
		}
		run = run[end:]
	}
	return nil
}
