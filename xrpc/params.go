package xrpc

import (
	"strconv"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// query reads typed query parameters, remembering the first error.
type query struct {
	c   *call
	err error
}

func (c *call) query() *query { return &query{c: c} }

func (q *query) str(name string) string { return q.c.r.URL.Query().Get(name) }

func (q *query) fail(name string, err error) {
	if q.err == nil {
		q.err = rhizome.Errorf("read params", rhizome.Invalid, "%s: %v", name, err)
	}
}

func (q *query) need(name string) string {
	v := q.str(name)
	if v == "" && q.err == nil {
		q.err = rhizome.Errorf("read params", rhizome.Invalid, "%s is required", name)
	}
	return v
}

func (q *query) did(name string) syntax.DID {
	d, err := syntax.ParseDID(q.need(name))
	if err != nil {
		q.fail(name, err)
	}
	return d
}

func (q *query) atid(name string) syntax.AtIdentifier {
	a, err := syntax.ParseAtIdentifier(q.need(name))
	if err != nil {
		q.fail(name, err)
	}
	return a
}

func (q *query) nsid(name string) syntax.NSID {
	n, err := syntax.ParseNSID(q.need(name))
	if err != nil {
		q.fail(name, err)
	}
	return n
}

func (q *query) rkey(name string) syntax.RecordKey {
	k, err := syntax.ParseRecordKey(q.need(name))
	if err != nil {
		q.fail(name, err)
	}
	return k
}

func (q *query) optCID(name string) *cid.CID {
	v := q.str(name)
	if v == "" {
		return nil
	}
	c, err := cid.Parse(v)
	if err != nil {
		q.fail(name, err)
		return nil
	}
	return &c
}

func (q *query) optTID(name string) syntax.TID {
	v := q.str(name)
	if v == "" {
		return ""
	}
	t, err := syntax.ParseTID(v)
	if err != nil {
		q.fail(name, err)
	}
	return t
}

// page reads limit (1..max, default def), cursor and reverse.
func (q *query) page(def, max int) store.Page {
	p := store.Page{Cursor: q.str("cursor"), Limit: def}
	if v := q.str("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			q.fail("limit", rhizome.Errorf("", rhizome.Invalid, "must be 1 to %d", max))
		}
		p.Limit = n
	}
	if v := q.str("reverse"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			q.fail("reverse", err)
		}
		p.Reverse = b
	}
	return p
}

func parseCIDPtr(s *string) (*cid.CID, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	c, err := cid.Parse(*s)
	if err != nil {
		return nil, rhizome.E("read input", rhizome.Invalid, err)
	}
	return &c, nil
}

func parseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	return time.Unix(n, 0), err
}

func datetime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
