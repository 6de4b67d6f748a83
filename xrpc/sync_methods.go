package xrpc

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

func (s *Server) syncRoutes() {
	s.handle("com.atproto.sync.getRepo", http.MethodGet, public, getRepo)
	s.handle("com.atproto.sync.getRecord", http.MethodGet, public, syncGetRecord)
	s.handle("com.atproto.sync.getLatestCommit", http.MethodGet, public, getLatestCommit)
	s.handle("com.atproto.sync.getRepoStatus", http.MethodGet, public, getRepoStatus)
	s.handle("com.atproto.sync.listRepos", http.MethodGet, public, listRepos)
	s.handle("com.atproto.sync.getBlocks", http.MethodGet, public, getBlocks)
	s.handle("com.atproto.sync.getBlob", http.MethodGet, public, getBlob)
	s.handle("com.atproto.sync.listBlobs", http.MethodGet, public, listBlobs)
}

// carWriter sets the CAR content type once the first byte is written, so
// an error before then can still be reported as XRPC JSON.
type carWriter struct {
	c       *call
	started bool
}

func (w *carWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.c.w.Header().Set("Content-Type", "application/vnd.ipld.car")
		w.c.w.WriteHeader(http.StatusOK)
	}
	return w.c.w.Write(p)
}

// streamCAR runs f into the response; an error after the first byte can
// only cut the stream short, which CAR readers detect.
func (c *call) streamCAR(f func(io.Writer) error) (any, error) {
	w := &carWriter{c: c}
	err := f(w)
	if err != nil && w.started {
		c.s.log.Warn("CAR stream cut short", "path", c.r.URL.Path, "err", err)
		return nil, nil
	}
	return nil, err
}

func getRepo(c *call) (any, error) {
	q := c.query()
	did, since := q.did("did"), q.optTID("since")
	if q.err != nil {
		return nil, q.err
	}
	return c.streamCAR(func(w io.Writer) error { return c.s.pds.GetRepo(c.ctx, did, since, w) })
}

func syncGetRecord(c *call) (any, error) {
	q := c.query()
	did, coll, rkey := q.did("did"), q.nsid("collection"), q.rkey("rkey")
	if q.err != nil {
		return nil, q.err
	}
	return c.streamCAR(func(w io.Writer) error { return c.s.pds.GetRecordProof(c.ctx, did, coll, rkey, w) })
}

func getLatestCommit(c *call) (any, error) {
	q := c.query()
	did := q.did("did")
	if q.err != nil {
		return nil, q.err
	}
	h, err := c.s.pds.LatestCommit(c.ctx, did)
	if err != nil {
		return nil, err
	}
	return map[string]string{"cid": h.Commit.String(), "rev": string(h.Rev)}, nil
}

func getRepoStatus(c *call) (any, error) {
	q := c.query()
	did := q.did("did")
	if q.err != nil {
		return nil, q.err
	}
	st, err := c.s.pds.GetRepoStatus(c.ctx, did)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"did": did, "active": st.Status == "active"}
	if st.Status != "active" {
		out["status"] = st.Status
	} else {
		out["rev"] = st.Head.Rev
	}
	return out, nil
}

func listRepos(c *call) (any, error) {
	pg := c.query().page(500, 1000)
	repos, err := c.s.pds.ListRepos(c.ctx, pg)
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, len(repos))
	for i, r := range repos {
		m := map[string]any{"did": r.Head.DID, "head": r.Head.Commit.String(), "rev": r.Head.Rev, "active": r.Status == "active"}
		if r.Status != "active" {
			m["status"] = r.Status
		}
		list[i] = m
	}
	out := map[string]any{"repos": list}
	if len(repos) == pg.N() {
		out["cursor"] = string(repos[len(repos)-1].Head.DID)
	}
	return out, nil
}

func getBlocks(c *call) (any, error) {
	q := c.query()
	did := q.did("did")
	raw := c.r.URL.Query()["cids"]
	if q.err != nil {
		return nil, q.err
	}
	if len(raw) == 0 || len(raw) > 1000 {
		return nil, rhizome.E("read params", rhizome.Invalid, "cids must name 1 to 1000 blocks")
	}
	cids := make([]cid.CID, len(raw))
	for i, s := range raw {
		var err error
		if cids[i], err = cid.Parse(s); err != nil {
			return nil, rhizome.E("read params", rhizome.Invalid, err)
		}
	}
	return c.streamCAR(func(w io.Writer) error { return c.s.pds.GetBlocks(c.ctx, did, cids, w) })
}

func listBlobs(c *call) (any, error) {
	q := c.query()
	did, since, pg := q.did("did"), q.optTID("since"), q.page(500, 1000)
	if q.err != nil {
		return nil, q.err
	}
	cids, err := c.s.pds.ListBlobs(c.ctx, did, since, pg)
	if err != nil {
		return nil, err
	}
	strs := make([]string, len(cids))
	for i, x := range cids {
		strs[i] = x.String()
	}
	out := map[string]any{"cids": strs}
	if len(cids) == pg.N() {
		out["cursor"] = strs[len(strs)-1]
	}
	return out, nil
}

func getBlob(c *call) (any, error) {
	q := c.query()
	did, ref := q.did("did"), q.optCID("cid")
	if q.err == nil && ref == nil {
		q.err = rhizome.E("read params", rhizome.Invalid, "cid is required")
	}
	if q.err != nil {
		return nil, q.err
	}
	off, n, ranged, err := parseRange(c.r.Header.Get("Range"))
	if err != nil {
		return nil, err
	}
	br, err := c.s.pds.GetBlob(c.ctx, did, *ref, off, n)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	h := c.w.Header()
	h.Set("Content-Type", br.Blob.MimeType)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "attachment")
	h.Set("Accept-Ranges", "bytes")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	status, length := http.StatusOK, br.Blob.Size
	if ranged {
		if n < 0 || off+n > br.Blob.Size {
			n = br.Blob.Size - off
		}
		status, length = http.StatusPartialContent, n
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, br.Blob.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead {
		_, _ = io.Copy(c.w, br)
	}
	return nil, nil
}

// parseRange reads a single "bytes=a-b" or "bytes=a-" range.
func parseRange(h string) (off, n int64, ok bool, err error) {
	if h == "" {
		return 0, -1, false, nil
	}
	spec, found := strings.CutPrefix(h, "bytes=")
	a, b, dash := strings.Cut(spec, "-")
	if !found || !dash || strings.Contains(spec, ",") || a == "" {
		return 0, 0, false, rhizome.E("read range", rhizome.Invalid, "only a single bytes=a-b range is supported")
	}
	off, err1 := strconv.ParseInt(a, 10, 64)
	n = -1
	var err2 error
	if b != "" {
		var end int64
		end, err2 = strconv.ParseInt(b, 10, 64)
		n = end - off + 1
	}
	if err1 != nil || err2 != nil || off < 0 || (b != "" && n <= 0) {
		return 0, 0, false, rhizome.E("read range", rhizome.Invalid, "malformed Range header")
	}
	return off, n, true, nil
}
