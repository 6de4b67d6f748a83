package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PutBlob implements store.Blobs. A blob that records already reference
// is permanent from the start.
func (s *Store) PutBlob(ctx context.Context, b store.Blob) error {
	const op = "put blob"
	if b.DID == "" || !b.CID.Defined() {
		return wrap(op, invalid("blob lacks a DID or CID"))
	}
	err := s.write(ctx, func(w *wconn) error {
		actor, err := w.actorID(b.DID, true)
		if err != nil {
			return err
		}
		c := b.CID.String()
		return w.exec(`INSERT INTO blob(actor, cid, mime_type, size, created_at, temp)
			VALUES (?, ?, ?, ?, ?, ? AND NOT EXISTS (SELECT 1 FROM blob_ref WHERE actor = ? AND cid = ?))
			ON CONFLICT(actor, cid) DO NOTHING`,
			actor, c, b.MimeType, b.Size, millis(orNow(b.CreatedAt)), boolInt(b.Temp), actor, c)
	})
	return wrap(op, err)
}

// blobColumns are the columns scanBlob reads.
const blobColumns = `a.did, b.cid, b.mime_type, b.size, b.created_at, b.temp
	FROM blob b JOIN actor a ON a.id = b.actor`

func scanBlob(r rowScanner) (store.Blob, error) {
	var b store.Blob
	var c string
	var created int64
	err := r.Scan(&b.DID, &c, &b.MimeType, &b.Size, &created, &b.Temp)
	if err != nil {
		return b, err
	}
	b.CreatedAt = fromMillis(created)
	b.CID, err = readCIDString(c)
	return b, err
}

// Blob implements store.Blobs.
func (s *Store) Blob(ctx context.Context, did syntax.DID, c cid.CID) (store.Blob, error) {
	const op = "read blob"
	if s.isClosed() {
		return store.Blob{}, wrap(op, errClosed)
	}
	b, err := scanBlob(s.rdb.QueryRowContext(ctx,
		`SELECT `+blobColumns+` WHERE a.did = ? AND b.cid = ?`, string(did), c.String()))
	if isNoRows(err) {
		err = notFound("no blob %s for %s", c, did)
	}
	return b, wrap(op, err)
}

// ListBlobs implements store.Blobs.
func (s *Store) ListBlobs(ctx context.Context, did syntax.DID, since syntax.TID, p store.Page) ([]cid.CID, error) {
	q := `SELECT b.cid FROM blob b WHERE b.actor = (SELECT id FROM actor WHERE did = ?) AND b.temp = 0`
	args := []any{string(did)}
	if since != "" {
		q += ` AND EXISTS (SELECT 1 FROM blob_ref r WHERE r.actor = b.actor AND r.cid = b.cid AND r.rev > ?)`
		args = append(args, string(since))
	}
	q += pageQuery(` AND b.cid %s ? ORDER BY b.cid %s LIMIT ?`, p.Reverse)
	var out []cid.CID
	err := s.read(ctx, q, append(args, afterKey(p), p.N()), func(r *sql.Rows) error {
		var c string
		if err := r.Scan(&c); err != nil {
			return err
		}
		id, err := readCIDString(c)
		out = append(out, id)
		return err
	})
	return out, wrap("list blobs", err)
}

// ListMissingBlobs implements store.Blobs: one entry per missing blob,
// naming the first record (by collection and key) that references it.
func (s *Store) ListMissingBlobs(ctx context.Context, did syntax.DID, p store.Page) ([]store.MissingBlob, error) {
	q := pageQuery(`SELECT r.cid, min(r.collection || '/' || r.rkey) FROM blob_ref r
		WHERE r.actor = (SELECT id FROM actor WHERE did = ?) AND r.cid %s ?
		AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.actor = r.actor AND b.cid = r.cid)
		GROUP BY r.cid ORDER BY r.cid %s LIMIT ?`, p.Reverse)
	var out []store.MissingBlob
	err := s.read(ctx, q, []any{string(did), afterKey(p), p.N()}, func(r *sql.Rows) error {
		var c, path string
		if err := r.Scan(&c, &path); err != nil {
			return err
		}
		coll, rkey, _ := strings.Cut(path, "/")
		m := store.MissingBlob{Record: syntax.NewATURI(did.AtIdentifier(), syntax.NSID(coll), syntax.RecordKey(rkey))}
		var err error
		m.CID, err = readCIDString(c)
		out = append(out, m)
		return err
	})
	return out, wrap("list missing blobs", err)
}

// TempBlobs implements store.Blobs.
func (s *Store) TempBlobs(ctx context.Context, cutoff time.Time, limit int) ([]store.Blob, error) {
	q := `SELECT ` + blobColumns + ` WHERE b.temp = 1 AND b.created_at < ? ORDER BY b.created_at LIMIT ?`
	var out []store.Blob
	err := s.read(ctx, q, []any{millis(cutoff), store.Page{Limit: limit}.N()}, func(r *sql.Rows) error {
		b, err := scanBlob(r)
		out = append(out, b)
		return err
	})
	return out, wrap("list temporary blobs", err)
}

// DeleteTempBlob implements store.Blobs.
func (s *Store) DeleteTempBlob(ctx context.Context, did syntax.DID, c cid.CID) error {
	err := s.write(ctx, func(w *wconn) error {
		var temp, refs int64
		err := w.row(`SELECT b.temp, (SELECT count(*) FROM blob_ref r WHERE r.actor = b.actor AND r.cid = b.cid)
			FROM blob b JOIN actor a ON a.id = b.actor WHERE a.did = ? AND b.cid = ?`,
			string(did), c.String()).Scan(&temp, &refs)
		switch {
		case isNoRows(err):
			return notFound("no blob %s for %s", c, did)
		case err != nil:
			return err
		case temp == 0 || refs > 0:
			return conflict("blob %s is referenced by a record", c)
		}
		return w.exec(`DELETE FROM blob WHERE actor = (SELECT id FROM actor WHERE did = ?) AND cid = ?`, string(did), c.String())
	})
	return wrap("delete temporary blob", err)
}
