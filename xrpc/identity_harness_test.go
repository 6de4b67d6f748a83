package xrpc

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/identity"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// plcIDs is pds.Identities over real parts, as cmd/rhizome wires them: a
// PLC directory on the pod's own store, served on loopback, and an
// identity.Resolver (with its cache) reading it. DNS answers nothing and
// every handle host is a loopback server (wellKnown), so no lookup leaves
// the machine.
type plcIDs struct {
	dir    *plc.Directory
	rot    keys.Signer
	res    *identity.Resolver
	pdsURL string
	mu     sync.Mutex
	remote map[string]string // handle → DID its well-known file names
}

func (f *plcIDs) CreateDID(ctx context.Context, signing keys.PublicKey, h syntax.Handle, _ string) (syntax.DID, error) {
	op, err := plc.Genesis([]string{f.rot.PublicKey().DIDKey()}, signing.DIDKey(), h, f.pdsURL)
	if err != nil {
		return "", err
	}
	if err := op.Sign(f.rot); err != nil {
		return "", err
	}
	did, err := op.DID()
	if err != nil {
		return "", err
	}
	return did, f.dir.Submit(ctx, did, op)
}

func (f *plcIDs) UpdateHandle(ctx context.Context, did syntax.DID, h syntax.Handle) error {
	if err := f.claim(ctx, did, h); err != nil {
		return err
	}
	f.res.Purge(did.AtIdentifier())
	return nil
}

func (f *plcIDs) SigningKey(ctx context.Context, did syntax.DID) (keys.PublicKey, error) {
	doc, err := f.res.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	return doc.SigningKey, nil
}

func (f *plcIDs) Document(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	doc, err := f.res.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	return doc.Raw, nil
}

func (f *plcIDs) ResolveHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	return f.res.ResolveHandle(ctx, h)
}

func (f *plcIDs) Purge(id syntax.AtIdentifier) { f.res.Purge(id) }

// claim changes the handle did's document claims, in the directory only:
// the resolver's cache is not told, as it is not when a DID changes
// elsewhere.
func (f *plcIDs) claim(ctx context.Context, did syntax.DID, h syntax.Handle) error {
	return f.change(ctx, did, func(prev *plc.Operation) (*plc.Operation, error) {
		return plc.Update(prev, func(o *plc.Operation) { o.AlsoKnownAs = []string{"at://" + string(h)} })
	})
}

// tombstone deactivates did in the directory.
func (f *plcIDs) tombstone(ctx context.Context, did syntax.DID) error {
	return f.change(ctx, did, plc.Tombstone)
}

func (f *plcIDs) change(ctx context.Context, did syntax.DID, next func(*plc.Operation) (*plc.Operation, error)) error {
	last, err := f.dir.LastOp(ctx, did)
	if err != nil {
		return err
	}
	op, err := next(last)
	if err != nil {
		return err
	}
	if err := op.Sign(f.rot); err != nil {
		return err
	}
	return f.dir.Submit(ctx, did, op)
}

// wellKnown serves /HOST/.well-known/atproto-did for the handles in remote.
func (f *plcIDs) wellKnown(w http.ResponseWriter, r *http.Request) {
	host, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	f.mu.Lock()
	did, ok := f.remote[host]
	f.mu.Unlock()
	if !ok || r.URL.Path != "/"+host+"/.well-known/atproto-did" {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, did)
}

const podURL = "http://127.0.0.1:1"

// newIdentityServer serves a pod whose identities are plcIDs.
func newIdentityServer(t *testing.T) (*pds.PDS, *plcIDs, *httptest.Server) {
	t.Helper()
	st, blobs := openTestStores(t)
	ids := newPLCIDs(t, plc.NewDirectory(st, time.Now))
	p, srv := serveTestPod(t, st, blobs, ids)
	return p, ids, srv
}

func newPLCIDs(t *testing.T, dir *plc.Directory) *plcIDs {
	t.Helper()
	rot, err := keys.Generate(keys.K256)
	if err != nil {
		t.Fatal(err)
	}
	ids := &plcIDs{dir: dir, rot: rot, pdsURL: podURL, remote: map[string]string{}}
	plcSrv := httptest.NewServer(dir.Handler())
	t.Cleanup(plcSrv.Close)
	hosts := httptest.NewServer(http.HandlerFunc(ids.wellKnown))
	t.Cleanup(hosts.Close)
	ids.res, err = identity.NewResolver(identity.Config{PLCURL: plcSrv.URL, AllowLoopback: true,
		HostURL: func(host string) string { return hosts.URL + "/" + host },
		LookupTXT: func(context.Context, string) ([]string, error) {
			return nil, &net.DNSError{Err: "no such host", IsNotFound: true}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// identityInfo is com.atproto.identity.defs#identityInfo with the parts
// of the document the tests look at.
type identityInfo struct {
	DID    string `json:"did"`
	Handle string `json:"handle"`
	Doc    struct {
		ID          string   `json:"id"`
		AlsoKnownAs []string `json:"alsoKnownAs"`
		Service     []struct {
			ID, Type        string
			ServiceEndpoint string `json:"serviceEndpoint"`
		} `json:"service"`
	} `json:"didDoc"`
}

func getIdentity(t *testing.T, srv *httptest.Server, nsid, param, value string) identityInfo {
	t.Helper()
	status, body := xcall(t, srv, http.MethodGet, nsid+"?"+url.Values{param: {value}}.Encode(), "", "")
	if status != http.StatusOK {
		t.Fatalf("%s %s: %d %s", nsid, value, status, body)
	}
	return decodeInfo(t, body)
}

func refresh(t *testing.T, srv *httptest.Server, token, id string) identityInfo {
	t.Helper()
	status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.refreshIdentity", token, `{"identifier":"`+id+`"}`)
	if status != http.StatusOK {
		t.Fatalf("refreshIdentity %s: %d %s", id, status, body)
	}
	return decodeInfo(t, body)
}

func decodeInfo(t *testing.T, body []byte) identityInfo {
	t.Helper()
	var info identityInfo
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return info
}

func wantInfo(t *testing.T, got identityInfo, did, handle string) {
	t.Helper()
	if got.DID != did || got.Handle != handle || got.Doc.ID != did {
		t.Fatalf("got did %q handle %q doc %q; want %s %s", got.DID, got.Handle, got.Doc.ID, did, handle)
	}
}
