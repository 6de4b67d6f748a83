package xrpc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore/disk"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/lexicon"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/store/sqlite"
	"github.com/rhizome-pds/rhizome/syntax"
)

// testIDs stands in for the PLC directory: these tests are about the
// wire, not identity (the real directory runs in test/).
type testIDs struct {
	mu   sync.Mutex
	keys map[syntax.DID]keys.PublicKey
}

func (f *testIDs) CreateDID(_ context.Context, k keys.PublicKey, _ syntax.Handle, _ string) (syntax.DID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sum := sha256.Sum256([]byte(k.DIDKey()))
	did := syntax.DID("did:plc:" + hex.EncodeToString(sum[:12]))
	f.keys[did] = k
	return did, nil
}

func (f *testIDs) UpdateHandle(context.Context, syntax.DID, syntax.Handle) error { return nil }

func (f *testIDs) SigningKey(_ context.Context, did syntax.DID) (keys.PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if k, ok := f.keys[did]; ok {
		return k, nil
	}
	return nil, rhizome.E("resolve", rhizome.NotFound, "no such DID")
}

func (f *testIDs) Document(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	k, err := f.SigningKey(ctx, did)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"id": did, "key": k.DIDKey()})
}

func (f *testIDs) ResolveHandle(context.Context, syntax.Handle) (syntax.DID, error) {
	return "", rhizome.E("resolve handle", rhizome.NotFound, "unknown")
}

// newTestServer serves a pod on SQLite and disk blobs at a loopback
// address.
func newTestServer(t *testing.T) (*pds.PDS, *httptest.Server) {
	t.Helper()
	st, blobs := openTestStores(t)
	return serveTestPod(t, st, blobs, &testIDs{keys: map[syntax.DID]keys.PublicKey{}})
}

// openTestStores opens a SQLite store and a disk blob store in a fresh
// folder, closed when the test ends.
func openTestStores(t *testing.T) (*sqlite.Store, *disk.BlobStore) {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "pod.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return st, blobs
}

// serveTestPod serves a pod on st and blobs with identities ids at a
// loopback address; the pod calls itself podURL.
func serveTestPod(t *testing.T, st *sqlite.Store, blobs *disk.BlobStore, ids pds.Identities) (*pds.PDS, *httptest.Server) {
	t.Helper()
	return serveTestPodLog(t, st, blobs, ids, io.Discard)
}

// serveTestPodLog is serveTestPod with the pod's log written to logTo.
func serveTestPodLog(t *testing.T, st *sqlite.Store, blobs *disk.BlobStore, ids pds.Identities, logTo io.Writer) (*pds.PDS, *httptest.Server) {
	t.Helper()
	kr, _ := keys.NewKeyring(make([]byte, 32))
	cat, err := lexicon.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(logTo, nil))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := pds.New(pds.Config{PublicURL: podURL, Logger: logger}, pds.Deps{Store: st, Blobs: blobs,
		Keyring: kr, Identities: ids, Schemas: cat, Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(p, Options{Logger: quiet}))
	t.Cleanup(srv.Close)
	return p, srv
}

// xcall makes one XRPC call and returns the status and the body.
func xcall(t *testing.T, srv *httptest.Server, method, nsid, token string, body string, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+"/xrpc/"+nsid, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

const (
	prefAdult   = `{"$type":"app.bsky.actor.defs#adultContentPref","enabled":true}`
	prefDetails = `{"$type":"app.bsky.actor.defs#personalDetailsPref","birthDate":"1990-01-01T00:00:00.000Z"}`
	prefFeeds   = `{"$type":"app.bsky.actor.defs#savedFeedsPrefV2","items":[]}`
)

// wantGet checks what getPreferences answers with token.
func wantGet(t *testing.T, srv *httptest.Server, token, want string, header ...string) {
	t.Helper()
	status, body := xcall(t, srv, http.MethodGet, "app.bsky.actor.getPreferences", token, "", header...)
	if status != http.StatusOK {
		t.Fatalf("getPreferences: %d %s", status, body)
	}
	var w bytes.Buffer
	if err := json.Compact(&w, []byte(`{"preferences":`+want+`}`)); err != nil {
		t.Fatal(err)
	}
	if string(bytes.TrimSpace(body)) != w.String() {
		t.Fatalf("getPreferences:\n got %s\nwant %s", body, w.String())
	}
}

// wantError checks an XRPC error answer.
func wantError(t *testing.T, status int, body []byte, wantStatus int, name, msg string) {
	t.Helper()
	var e struct{ Error, Message string }
	json.Unmarshal(body, &e)
	if status != wantStatus || e.Error != name || !strings.Contains(e.Message, msg) {
		t.Fatalf("got %d %s, want %d %s mentioning %q", status, body, wantStatus, name, msg)
	}
}

func TestServer_Preferences(t *testing.T) {
	p, srv := newTestServer(t)
	ctx := context.Background()
	sess, err := p.CreateAccount(ctx, pds.NewAccount{Handle: "alice.test", Email: "a@example.com", Password: "password-alice"})
	if err != nil {
		t.Fatal(err)
	}
	_, appPW, err := p.CreateAppPassword(ctx, sess.Account.DID, "phone", true)
	if err != nil {
		t.Fatal(err)
	}
	appSess, err := p.CreateSession(ctx, "alice.test", appPW)
	if err != nil {
		t.Fatal(err)
	}
	full, app := sess.AccessJWT, appSess.AccessJWT
	put := func(token, prefs string) (int, []byte) {
		return xcall(t, srv, http.MethodPost, "app.bsky.actor.putPreferences", token, `{"preferences":`+prefs+`}`)
	}

	t.Run("round trip with a full session", func(t *testing.T) {
		wantGet(t, srv, full, `[]`)
		if status, body := put(full, "["+prefDetails+","+prefAdult+"]"); status != http.StatusOK {
			t.Fatalf("putPreferences: %d %s", status, body)
		}
		wantGet(t, srv, full, "["+prefDetails+","+prefAdult+"]")
	})
	t.Run("served here despite atproto-proxy", func(t *testing.T) {
		wantGet(t, srv, full, "["+prefDetails+","+prefAdult+"]", "Atproto-Proxy", "did:web:api.bsky.app#bsky_appview")
	})
	t.Run("an app password sees and replaces all but personal details", func(t *testing.T) {
		wantGet(t, srv, app, "["+prefAdult+"]")
		status, body := put(app, "["+prefDetails+"]")
		wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "personalDetailsPref")
		if status, body := put(app, "["+prefFeeds+"]"); status != http.StatusOK {
			t.Fatalf("putPreferences with an app password: %d %s", status, body)
		}
		wantGet(t, srv, app, "["+prefFeeds+"]")
		wantGet(t, srv, full, "["+prefDetails+","+prefFeeds+"]")
	})
	t.Run("bad input changes nothing", func(t *testing.T) {
		for _, in := range []string{`{}`, `{"preferences":{}}`, `{"preferences":[{"enabled":true}]}`,
			`{"preferences":[{"$type":"com.example.pref"}]}`} {
			status, body := xcall(t, srv, http.MethodPost, "app.bsky.actor.putPreferences", full, in)
			wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "")
		}
		wantGet(t, srv, full, "["+prefDetails+","+prefFeeds+"]")
	})
	t.Run("needs a session", func(t *testing.T) {
		status, body := xcall(t, srv, http.MethodGet, "app.bsky.actor.getPreferences", "", "")
		wantError(t, status, body, http.StatusUnauthorized, "AuthenticationRequired", "")
		status, body = put("", "["+prefAdult+"]")
		wantError(t, status, body, http.StatusUnauthorized, "AuthenticationRequired", "")
		wantGet(t, srv, full, "["+prefDetails+","+prefFeeds+"]")
	})
}
