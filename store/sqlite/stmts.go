package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/rhizome-pds/rhizome/store"
)

// bg is the context of statements run by the writer (see writer).
var bg = context.Background()

// wconn is the write connection with its prepared statements. Only the
// writer goroutine uses it.
type wconn struct {
	conn *sql.Conn

	actorHead, insertActor                       *sql.Stmt
	blockID                                      *sql.Stmt
	putRecord, deleteRecord                      *sql.Stmt
	deleteRefs, insertRef, keepBlob              *sql.Stmt
	putHead, insertEvent                         *sql.Stmt
	dropBlocks, dropBlock, dropRecords, dropRefs *sql.Stmt
	recordBlockID, dropUnusedBlock               *sql.Stmt

	insertBlocks map[int]*sql.Stmt // by row count, prepared on first use (see putBlocks)
}

func prepareWrites(ctx context.Context, conn *sql.Conn) (*wconn, error) {
	c := &wconn{conn: conn}
	err := prepareAll(func(q string) (*sql.Stmt, error) { return conn.PrepareContext(ctx, q) }, []prep{
		{&c.actorHead, `SELECT a.id, r.commit_cid FROM actor a LEFT JOIN repo r ON r.actor = a.id WHERE a.did = ?`},
		{&c.insertActor, `INSERT INTO actor(did) VALUES (?)`},
		{&c.blockID, `SELECT id FROM block WHERE actor = ? AND cid = ?`},
		{&c.putRecord, `INSERT INTO record(actor, collection, rkey, cid, block, value)
			VALUES (?1, ?2, ?3, ?4, ?5, (SELECT data FROM block WHERE id = ?5))
			ON CONFLICT(actor, collection, rkey) DO UPDATE SET cid = excluded.cid, block = excluded.block, value = excluded.value`},
		{&c.deleteRecord, `DELETE FROM record WHERE actor = ? AND collection = ? AND rkey = ?`},
		{&c.deleteRefs, `DELETE FROM blob_ref WHERE actor = ? AND collection = ? AND rkey = ?`},
		{&c.insertRef, `INSERT OR IGNORE INTO blob_ref(actor, collection, rkey, cid, rev) VALUES (?, ?, ?, ?, ?)`},
		{&c.keepBlob, `UPDATE blob SET temp = 0 WHERE actor = ? AND cid = ? AND temp = 1`},
		{&c.putHead, `INSERT INTO repo(actor, commit_cid, rev, data_cid) VALUES (?, ?, ?, ?)
			ON CONFLICT(actor) DO UPDATE SET commit_cid = excluded.commit_cid, rev = excluded.rev, data_cid = excluded.data_cid`},
		{&c.insertEvent, `INSERT INTO event(seq, did, type, time, body) VALUES (` + nextSeq + `, ?, ?, ?, ?)`},
		{&c.dropBlocks, `DELETE FROM block WHERE actor = ?`},
		{&c.dropBlock, `DELETE FROM block WHERE actor = ? AND cid = ?`},
		{&c.dropRecords, `DELETE FROM record WHERE actor = ?`},
		{&c.dropRefs, `DELETE FROM blob_ref WHERE actor = ?`},
		{&c.recordBlockID, `SELECT block FROM record WHERE actor = ? AND collection = ? AND rkey = ?`},
		{&c.dropUnusedBlock, `DELETE FROM block WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM record WHERE block = ?1)`},
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// lastSeq is the SQL expression of the last event seq assigned; nextSeq
// of the next one.
const (
	lastSeq = `max(coalesce((SELECT max(seq) FROM event), 0), (SELECT seq FROM event_floor))`
	nextSeq = lastSeq + ` + 1`
)

// close releases the prepared statements.
func (c *wconn) close() {
	for _, st := range []*sql.Stmt{c.actorHead, c.insertActor, c.blockID, c.putRecord,
		c.deleteRecord, c.deleteRefs, c.insertRef, c.keepBlob, c.putHead, c.insertEvent,
		c.dropBlocks, c.dropBlock, c.dropRecords, c.dropRefs, c.recordBlockID, c.dropUnusedBlock} {
		st.Close()
	}
	for _, st := range c.insertBlocks {
		st.Close()
	}
}

// exec runs an ad-hoc statement.
func (c *wconn) exec(query string, args ...any) error {
	_, err := c.conn.ExecContext(bg, query, args...)
	return err
}

// execN runs an ad-hoc statement and returns how many rows it changed.
func (c *wconn) execN(query string, args ...any) (int64, error) {
	res, err := c.conn.ExecContext(bg, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// row runs an ad-hoc single-row query.
func (c *wconn) row(query string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(bg, query, args...)
}

// run executes a prepared statement.
func run(st *sql.Stmt, args ...any) error {
	_, err := st.ExecContext(bg, args...)
	return err
}

// prep is a statement to prepare into a field.
type prep struct {
	dst   **sql.Stmt
	query string
}

// prepareAll prepares every statement of ps, or closes those it prepared
// and fails.
func prepareAll(prepare func(string) (*sql.Stmt, error), ps []prep) error {
	for i, p := range ps {
		st, err := prepare(p.query)
		if err != nil {
			for _, q := range ps[:i] {
				(*q.dst).Close()
			}
			return err
		}
		*p.dst = st
	}
	return nil
}

// readStmts are the prepared statements of the hot read paths.
type readStmts struct {
	db           *sql.DB
	record, head *sql.Stmt
	listRecords  [2]*sql.Stmt // forward, reverse

	mu    sync.Mutex
	adhoc map[string]*sql.Stmt // every other read, prepared on first use
}

// recordQuery reads one record with its value.
const recordQuery = `SELECT r.cid, r.value FROM actor a
	JOIN record r ON r.actor = a.id
	WHERE a.did = ? AND r.collection = ? AND r.rkey = ?`

// listRecordsQuery reads a page of a collection as one value: the page's
// rows back to back, each CID || rkey || NUL || record (see splitPage); %s
// are the comparison, the direction and the page size. The driver's cost
// is per row and per column (a few locked library calls, an allocation and
// a copy each), so one aggregate row instead of a hundred makes a page
// about half as costly. SQLite concatenates blobs byte for byte in a UTF-8
// database. A missing record block reads as CBOR null.
//
// The page size is written into the query, one prepared statement per size
// and direction: modernc's SQLite is built with STAT4, which re-prepares a
// statement whenever a bound LIMIT changes value.
const listRecordsQuery = `SELECT coalesce(group_concat(row, ''), '') FROM (
	SELECT r.cid || r.rkey || x'00' || coalesce(r.value, x'f6') AS row FROM record r
	WHERE r.actor = (SELECT id FROM actor WHERE did = ?) AND r.collection = ? AND r.rkey %s ?
	ORDER BY r.rkey %s LIMIT %d)`

// listRecordsStmt returns the statement reading pages of n records.
func (rs *readStmts) listRecordsStmt(ctx context.Context, p store.Page) (*sql.Stmt, error) {
	if p.N() == defaultPage {
		return rs.listRecords[dir(p)], nil
	}
	return rs.stmt(ctx, listQuery(p.Reverse, p.N()))
}

// defaultPage is the page size whose statements are prepared up front.
const defaultPage = 100

func listQuery(reverse bool, n int) string {
	return fmt.Sprintf(pageQuery(listRecordsQuery, reverse), n)
}

func prepareReads(ctx context.Context, db *sql.DB) (*readStmts, error) {
	rs := &readStmts{db: db, adhoc: map[string]*sql.Stmt{}}
	err := prepareAll(func(q string) (*sql.Stmt, error) { return db.PrepareContext(ctx, q) }, []prep{
		{&rs.record, recordQuery},
		{&rs.head, `SELECT r.commit_cid, r.rev, r.data_cid FROM actor a JOIN repo r ON r.actor = a.id WHERE a.did = ?`},
		{&rs.listRecords[0], listQuery(false, defaultPage)},
		{&rs.listRecords[1], listQuery(true, defaultPage)},
	})
	return rs, err
}

// close releases the prepared statements.
func (rs *readStmts) close() {
	for _, st := range []*sql.Stmt{rs.record, rs.head, rs.listRecords[0], rs.listRecords[1]} {
		st.Close()
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, st := range rs.adhoc {
		st.Close()
	}
}

// pageQuery fills a listing query's comparison and order for a direction.
func pageQuery(q string, reverse bool) string {
	if reverse {
		return strings.Replace(strings.Replace(q, "%s", "<", 1), "%s", "DESC", 1)
	}
	return strings.Replace(strings.Replace(q, "%s", ">", 1), "%s", "ASC", 1)
}

// blocksStmt returns the statement reading n blocks of one repository.
func (rs *readStmts) blocksStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	return rs.stmt(ctx, `SELECT cid, data FROM block WHERE actor = (SELECT id FROM actor WHERE did = ?) AND cid IN (?`+
		strings.Repeat(", ?", n-1)+`)`)
}

// stmt returns query prepared on the read pool, preparing it on first use:
// the queries are a fixed set of strings, so the cache stays small, and
// SQLite's parse and plan are paid once per query, not once per call.
func (rs *readStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if st := rs.adhoc[query]; st != nil {
		return st, nil
	}
	st, err := rs.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	rs.adhoc[query] = st
	return st, nil
}

var errNoRows = sql.ErrNoRows

// isNoRows reports whether err says a query found nothing.
func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
