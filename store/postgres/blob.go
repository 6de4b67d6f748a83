package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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
	err := s.write(ctx, func(t *txn) error {
		t.queue(internActor, string(b.DID))
		t.queue(`INSERT INTO blob (actor, cid, mime_type, size, created_at, temp)
			SELECT a.id, $2, $3, $4, $5, $6::boolean AND NOT EXISTS (SELECT 1 FROM blob_ref r WHERE r.actor = a.id AND r.cid = $2)
			FROM actor a WHERE a.did = $1
			ON CONFLICT (actor, cid) DO NOTHING`,
			string(b.DID), b.CID.String(), b.MimeType, b.Size, orNow(b.CreatedAt), b.Temp)
		return nil
	})
	return wrap(op, err)
}

// blobColumns are the columns scanBlob reads.
const blobColumns = `a.did, b.cid, b.mime_type, b.size, b.created_at, b.temp
	FROM blob b JOIN actor a ON a.id = b.actor`

func scanBlob(r pgx.Row) (store.Blob, error) {
	var b store.Blob
	var c string
	err := r.Scan(&b.DID, &c, &b.MimeType, &b.Size, &b.CreatedAt, &b.Temp)
	if err != nil {
		return b, err
	}
	b.CreatedAt = b.CreatedAt.UTC()
	b.CID, err = readCIDString(c)
	return b, err
}

// Blob implements store.Blobs.
func (s *Store) Blob(ctx context.Context, did syntax.DID, c cid.CID) (store.Blob, error) {
	var b store.Blob
	found := false
	err := s.query(ctx, `SELECT `+blobColumns+` WHERE a.did = $1 AND b.cid = $2`,
		[]any{string(did), c.String()}, func(r pgx.Rows) (err error) {
			b, err = scanBlob(r)
			found = true
			return err
		})
	if err == nil && !found {
		err = notFound("no blob %s for %s", c, did)
	}
	return b, wrap("read blob", err)
}

// ListBlobs implements store.Blobs.
func (s *Store) ListBlobs(ctx context.Context, did syntax.DID, since syntax.TID, p store.Page) ([]cid.CID, error) {
	q := `SELECT b.cid FROM blob b WHERE b.actor = (SELECT id FROM actor WHERE did = $1) AND NOT b.temp`
	args := []any{string(did)}
	if since != "" {
		q += ` AND EXISTS (SELECT 1 FROM blob_ref r WHERE r.actor = b.actor AND r.cid = b.cid AND r.rev > ` +
			param(&args, string(since)) + `)`
	}
	cond, order := pageSQL("b.cid", p, &args)
	var out []cid.CID
	err := s.query(ctx, q+cond+order, args, func(r pgx.Rows) error {
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
	args := []any{string(did)}
	cond, order := pageSQL("r.cid", p, &args)
	q := `SELECT r.cid, min(r.collection || '/' || r.rkey) FROM blob_ref r
		WHERE r.actor = (SELECT id FROM actor WHERE did = $1)
		AND NOT EXISTS (SELECT 1 FROM blob b WHERE b.actor = r.actor AND b.cid = r.cid)` + cond +
		` GROUP BY r.cid` + order
	var out []store.MissingBlob
	err := s.query(ctx, q, args, func(r pgx.Rows) error {
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
	q := `SELECT ` + blobColumns + ` WHERE b.temp AND b.created_at < $1 ORDER BY b.created_at LIMIT $2`
	var out []store.Blob
	err := s.query(ctx, q, []any{ms(cutoff), store.Page{Limit: limit}.N()}, func(r pgx.Rows) error {
		b, err := scanBlob(r)
		out = append(out, b)
		return err
	})
	return out, wrap("list temporary blobs", err)
}

// DeleteTempBlob implements store.Blobs: one statement deletes the blob if
// it is still temporary and unreferenced; if it deleted nothing, a second
// query tells why.
func (s *Store) DeleteTempBlob(ctx context.Context, did syntax.DID, c cid.CID) error {
	const op = "delete temporary blob"
	n, err := s.exec(ctx, `DELETE FROM blob b USING actor a
		WHERE a.id = b.actor AND a.did = $1 AND b.cid = $2 AND b.temp
		AND NOT EXISTS (SELECT 1 FROM blob_ref r WHERE r.actor = b.actor AND r.cid = b.cid)`,
		string(did), c.String())
	if err != nil || n > 0 {
		return wrap(op, err)
	}
	var one int
	err = s.queryRow(ctx, `SELECT 1 FROM blob b JOIN actor a ON a.id = b.actor WHERE a.did = $1 AND b.cid = $2`,
		[]any{string(did), c.String()}, &one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = notFound("no blob %s for %s", c, did)
	case err == nil:
		err = conflict("blob %s is referenced by a record", c)
	}
	return wrap(op, err)
}
