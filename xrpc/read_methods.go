package xrpc

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// repoDID resolves the "repo" parameter (handle or DID) to a hosted DID.
func (c *call) repoDID(id syntax.AtIdentifier) (syntax.DID, error) {
	if strings.HasPrefix(string(id), "did:") {
		return syntax.DID(id), nil
	}
	a, err := c.s.pds.ResolveAccount(c.ctx, id)
	if err != nil {
		return "", err
	}
	return a.DID, nil
}

func getRecord(c *call) (any, error) {
	q := c.query()
	id, coll, rkey, want := q.atid("repo"), q.nsid("collection"), q.rkey("rkey"), q.optCID("cid")
	if q.err != nil {
		return nil, q.err
	}
	did, err := c.repoDID(id)
	if err != nil {
		return nil, err
	}
	r, err := c.s.pds.GetRecord(c.ctx, did, coll, rkey, want)
	if err != nil {
		return nil, err
	}
	return recordJSON(did, r)
}

func listRecords(c *call) (any, error) {
	q := c.query()
	id, coll, pg := q.atid("repo"), q.nsid("collection"), q.page(50, 100)
	if q.err != nil {
		return nil, q.err
	}
	pg.Reverse = !pg.Reverse // the protocol lists newest (highest rkey) first unless reverse
	did, err := c.repoDID(id)
	if err != nil {
		return nil, err
	}
	recs, err := c.s.pds.ListRecords(c.ctx, did, coll, pg)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, listSize(did, recs))
	b = append(b, `{"records":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendRecordJSON(b, did, r); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	if len(recs) == pg.N() {
		cur, _ := json.Marshal(string(recs[len(recs)-1].RKey))
		b = append(append(b, `,"cursor":`...), cur...)
	}
	b = append(b, "}\n"...)
	h := c.w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b))) // one write, not chunked
	_, err = c.w.Write(b)
	return nil, err
}

// listSize guesses the bytes of a listRecords response so that it is
// built in one allocation: JSON text runs up to about twice a record's
// DRISL size (CIDs as $link strings, quoting), plus the URI and CID.
func listSize(did syntax.DID, recs []store.Record) int {
	n := 64
	for _, r := range recs {
		n += 2*len(r.Value) + len(did) + len(r.Collection) + len(r.RKey) + 96
	}
	return n
}

func describeRepo(c *call) (any, error) {
	q := c.query()
	id := q.atid("repo")
	if q.err != nil {
		return nil, q.err
	}
	did, err := c.repoDID(id)
	if err != nil {
		return nil, err
	}
	d, err := c.s.pds.DescribeRepo(c.ctx, did)
	if err != nil {
		return nil, err
	}
	colls := make([]string, len(d.Collections))
	for i, n := range d.Collections {
		colls[i] = string(n)
	}
	doc, _ := c.s.pds.DIDDocument(c.ctx, did)
	return map[string]any{"handle": d.Account.Handle, "did": did, "didDoc": doc,
		"collections": colls, "handleIsCorrect": true}, nil
}

func uploadBlob(c *call) (any, error) {
	if c.r.ContentLength > c.s.pds.Config().MaxBlobSize {
		return nil, rhizome.Errorf("upload blob", rhizome.TooLarge, "blob exceeds %d bytes", c.s.pds.Config().MaxBlobSize)
	}
	if err := c.allowBlob(c.r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	b, err := c.s.pds.UploadBlob(c.ctx, c.caller.DID, c.r.Header.Get("Content-Type"), c.r.Body)
	if err != nil {
		return nil, err
	}
	return map[string]any{"blob": map[string]any{"$type": "blob", "ref": map[string]string{"$link": b.Ref.String()},
		"mimeType": b.MimeType, "size": b.Size}}, nil
}

func listMissingBlobs(c *call) (any, error) {
	pg := c.query().page(500, 1000)
	missing, err := c.s.pds.ListMissingBlobs(c.ctx, c.caller.DID, pg)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	blobs := make([]map[string]string, len(missing))
	for i, m := range missing {
		blobs[i] = map[string]string{"cid": m.CID.String(), "recordUri": string(m.Record)}
	}
	out["blobs"] = blobs
	if len(missing) == pg.N() {
		out["cursor"] = missing[len(missing)-1].CID.String()
	}
	return out, nil
}

func importRepo(c *call) (any, error) {
	if ct := c.r.Header.Get("Content-Type"); ct != "application/vnd.ipld.car" {
		return nil, rhizome.Errorf("import repo", rhizome.Invalid, "Content-Type must be application/vnd.ipld.car, not %q", ct)
	}
	if err := c.s.pds.ImportRepo(c.ctx, c.caller.DID, c.r.Body); err != nil {
		return nil, err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil, nil
}
