package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxRepoBytes bounds a repository fetched from a primary.
const MaxRepoBytes = 4 << 30

// primary is the pod a replica copies, reached over XRPC.
type primary struct {
	base string
	hc   *http.Client
}

func (p primary) get(ctx context.Context, nsid string, q url.Values) (*http.Response, error) {
	op := "call primary " + nsid
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/xrpc/"+nsid+"?"+q.Encode(), nil)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Unavailable, "%s is unreachable: %w", p.base, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var e struct{ Error, Message string }
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	kind := rhizome.Unavailable
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusBadRequest {
		kind = rhizome.NotFound
	}
	return nil, rhizome.Errorf(op, kind, "%s answered %s: %s %s", p.base, resp.Status, e.Error, e.Message).Named(e.Error)
}

// repo opens the repository's CAR.
func (p primary) repo(ctx context.Context, did syntax.DID) (io.ReadCloser, error) {
	resp, err := p.get(ctx, "com.atproto.sync.getRepo", url.Values{"did": {string(did)}})
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, MaxRepoBytes), resp.Body}, nil
}

// latest is the primary's head rev of did.
func (p primary) latest(ctx context.Context, did syntax.DID) (syntax.TID, error) {
	resp, err := p.get(ctx, "com.atproto.sync.getLatestCommit", url.Values{"did": {string(did)}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Rev string }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return "", rhizome.E("read latest commit", rhizome.Invalid, err)
	}
	return syntax.ParseTID(out.Rev)
}

// blobs lists every blob of did.
func (p primary) blobs(ctx context.Context, did syntax.DID) ([]cid.CID, error) {
	var all []cid.CID
	cursor := ""
	for {
		resp, err := p.get(ctx, "com.atproto.sync.listBlobs", url.Values{"did": {string(did)}, "limit": {"1000"}, "cursor": {cursor}})
		if err != nil {
			return nil, err
		}
		var page struct {
			CIDs   []string
			Cursor string
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, rhizome.E("list blobs", rhizome.Invalid, err)
		}
		for _, s := range page.CIDs {
			c, err := cid.Parse(s)
			if err != nil {
				return nil, rhizome.E("list blobs", rhizome.Invalid, err)
			}
			all = append(all, c)
		}
		if page.Cursor == "" || len(page.CIDs) == 0 {
			return all, nil
		}
		cursor = page.Cursor
	}
}

// blob opens one blob and returns its media type.
func (p primary) blob(ctx context.Context, did syntax.DID, c cid.CID) (io.ReadCloser, string, error) {
	resp, err := p.get(ctx, "com.atproto.sync.getBlob", url.Values{"did": {string(did)}, "cid": {c.String()}})
	if err != nil {
		return nil, "", err
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// subscribe opens the primary's firehose after cursor (0: the live tail).
func (p primary) subscribe(ctx context.Context, cursor int64) (*websocket.Conn, error) {
	u := "ws" + strings.TrimPrefix(p.base, "http") + "/xrpc/com.atproto.sync.subscribeRepos"
	if cursor > 0 {
		u += fmt.Sprintf("?cursor=%d", cursor)
	}
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: p.hc})
	if err != nil {
		return nil, rhizome.Errorf("subscribe to primary", rhizome.Unavailable, "%s: %w", p.base, err)
	}
	conn.SetReadLimit(8 << 20)
	return conn, nil
}
