package xrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// plcIDs is a pds.PLCOperator as cmd/rhizome's identities is: the
// rotation key signs, the directory takes the operation, the resolver
// forgets the DID.
var _ pds.PLCOperator = (*plcIDs)(nil)

func (f *plcIDs) RotationKey() keys.PublicKey { return f.rot.PublicKey() }

func (f *plcIDs) LastOp(ctx context.Context, did syntax.DID) (*plc.Operation, error) {
	return f.dir.LastOp(ctx, did)
}

func (f *plcIDs) SignOp(op *plc.Operation) error { return op.Sign(f.rot) }

func (f *plcIDs) SubmitOp(ctx context.Context, did syntax.DID, op *plc.Operation) error {
	if err := f.dir.Submit(ctx, did, op); err != nil {
		return err
	}
	f.res.Purge(did.AtIdentifier())
	return nil
}

// logBuffer is the pod's log, written by its handlers, read by the test.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

var tokenLine = regexp.MustCompile(`did=(\S+) token=([A-Z2-7]{5}-[A-Z2-7]{5})`)

// lastToken is the newest PLC operation token the log gives did.
func (l *logBuffer) lastToken(t *testing.T, did syntax.DID) string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	tok := ""
	for _, m := range tokenLine.FindAllStringSubmatch(l.b.String(), -1) {
		if m[1] == string(did) {
			tok = m[2]
		}
	}
	if tok == "" {
		t.Fatalf("no PLC operation token for %s in the log:\n%s", did, l.b.String())
	}
	return tok
}

// newPLCPod serves a pod on a real PLC directory (on its own store) and
// keeps its log.
func newPLCPod(t *testing.T) (*pds.PDS, *plcIDs, *httptest.Server, store.Store, *logBuffer) {
	t.Helper()
	st, blobs := openTestStores(t)
	ids := newPLCIDs(t, plc.NewDirectory(st, time.Now))
	log := &logBuffer{}
	p, srv := serveTestPodLog(t, st, blobs, ids, log)
	return p, ids, srv, st, log
}

func newKey(t *testing.T) keys.Signer {
	t.Helper()
	k, err := keys.Generate(keys.K256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func requestToken(t *testing.T, srv *httptest.Server, log *logBuffer, did syntax.DID, access string) string {
	t.Helper()
	status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.requestPlcOperationSignature", access, "")
	if status != http.StatusOK {
		t.Fatalf("requestPlcOperationSignature: %d %s", status, body)
	}
	return log.lastToken(t, did)
}

// signOp calls signPlcOperation with in and returns the status, the body
// and the operation, if any.
func signOp(t *testing.T, srv *httptest.Server, access string, in map[string]any) (int, []byte, *plc.Operation) {
	t.Helper()
	b, _ := json.Marshal(in)
	status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.signPlcOperation", access, string(b))
	if status != http.StatusOK {
		return status, body, nil
	}
	var out struct{ Operation *plc.Operation }
	if err := json.Unmarshal(body, &out); err != nil || out.Operation == nil {
		t.Fatalf("signPlcOperation answered %s: %v", body, err)
	}
	return status, body, out.Operation
}

func submitOp(t *testing.T, srv *httptest.Server, access string, op *plc.Operation) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"operation": op})
	if err != nil {
		t.Fatal(err)
	}
	return xcall(t, srv, http.MethodPost, "com.atproto.identity.submitPlcOperation", access, string(b))
}

func lastOp(t *testing.T, ids *plcIDs, did syntax.DID) *plc.Operation {
	t.Helper()
	op, err := ids.dir.LastOp(context.Background(), did)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func opCID(t *testing.T, op *plc.Operation) string {
	t.Helper()
	id, err := op.CID()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// identityEvents counts the #identity events of did in the store's log.
func identityEvents(t *testing.T, st store.Store, did syntax.DID) int {
	t.Helper()
	evs, err := st.EventsAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.DID == did && e.Type == "identity" {
			n++
		}
	}
	return n
}

// The identity step of a move, on this pod: a token from the log, an
// operation signed by the pod's rotation key and not submitted, then
// submitted; the directory's document changes and #identity is emitted.
func TestPLCOps_RequestSignSubmit(t *testing.T) {
	p, ids, srv, st, log := newPLCPod(t)
	ctx := context.Background()
	alice, access := identityAccount(t, p, "alice")
	before := lastOp(t, ids, alice)
	user := newKey(t)

	// Keep the account here, put the user's own key first.
	tok := requestToken(t, srv, log, alice, access)
	rot := []string{user.PublicKey().DIDKey(), ids.rot.PublicKey().DIDKey()}
	status, body, op := signOp(t, srv, access, map[string]any{"token": tok, "rotationKeys": rot})
	if status != http.StatusOK {
		t.Fatalf("signPlcOperation: %d %s", status, body)
	}
	if got := opCID(t, lastOp(t, ids, alice)); got != opCID(t, before) {
		t.Fatal("signPlcOperation submitted the operation")
	}
	if op.Prev.String() != opCID(t, before) || !slices.Equal(op.RotationKeys, rot) {
		t.Fatalf("operation prev %s rotation %v; want prev %s rotation %v", op.Prev, op.RotationKeys, opCID(t, before), rot)
	}
	if !slices.Equal(op.AlsoKnownAs, before.AlsoKnownAs) || op.Services[plc.ServiceAtprotoPDS] != before.Services[plc.ServiceAtprotoPDS] ||
		op.VerificationMethods[plc.VerificationMethodAtproto] != before.VerificationMethods[plc.VerificationMethodAtproto] {
		t.Fatalf("fields not asked for changed: %+v, was %+v", op, before)
	}
	if i, err := plc.VerifySignature(op, []string{ids.rot.PublicKey().DIDKey()}); err != nil || i != 0 {
		t.Fatalf("not signed by the pod's rotation key: %v", err)
	}
	events := identityEvents(t, st, alice)
	if status, body := submitOp(t, srv, access, op); status != http.StatusOK {
		t.Fatalf("submitPlcOperation: %d %s", status, body)
	}
	data, err := ids.dir.Data(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(data.RotationKeys, rot) {
		t.Fatalf("directory rotation keys %v, want %v", data.RotationKeys, rot)
	}
	if got := identityEvents(t, st, alice); got != events+1 {
		t.Fatalf("%d #identity events after submit, want %d", got, events+1)
	}

	// Move away: to another pod's key and endpoint, with the new pod's
	// rotation key. The account is active here, so this pod refuses to
	// submit it until it is deactivated (the new pod submits it, in a
	// real move).
	newPod, newSigning := newKey(t), newKey(t)
	const newURL = "https://new-pod.example.test"
	tok = requestToken(t, srv, log, alice, access)
	status, body, moveOp := signOp(t, srv, access, map[string]any{"token": tok,
		"rotationKeys":        []string{user.PublicKey().DIDKey(), newPod.PublicKey().DIDKey()},
		"verificationMethods": map[string]string{"atproto": newSigning.PublicKey().DIDKey()},
		"services":            map[string]any{"atproto_pds": map[string]string{"type": plc.ServiceTypePDS, "endpoint": newURL}},
	})
	if status != http.StatusOK {
		t.Fatalf("signPlcOperation (move): %d %s", status, body)
	}
	status, body = submitOp(t, srv, access, moveOp)
	wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "Incorrect endpoint")
	if err := p.SetStatus(ctx, alice, store.Deactivated); err != nil {
		t.Fatal(err)
	}
	events = identityEvents(t, st, alice)
	if status, body := submitOp(t, srv, access, moveOp); status != http.StatusOK {
		t.Fatalf("submitPlcOperation (move, deactivated): %d %s", status, body)
	}
	if got := identityEvents(t, st, alice); got != events {
		t.Fatalf("a deactivated account's operation was announced (%d #identity events, want %d)", got, events)
	}
	data, err = ids.dir.Data(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	pdsURL, _ := data.PDS()
	key, _ := data.SigningKey()
	if pdsURL != newURL || key == nil || !key.Equal(newSigning.PublicKey()) ||
		!slices.Equal(data.RotationKeys, []string{user.PublicKey().DIDKey(), newPod.PublicKey().DIDKey()}) {
		t.Fatalf("after the move the directory has pds %q key %v rotation %v", pdsURL, key, data.RotationKeys)
	}
	// The document resolves to the new pod (the resolver was told).
	if got := getIdentity(t, srv, "com.atproto.identity.resolveDid", "did", string(alice)); got.Doc.Service[0].ServiceEndpoint != newURL {
		t.Fatalf("resolveDid after the move: %+v", got.Doc.Service)
	}

	// The pod's key is no longer a rotation key: it cannot sign.
	tok = requestToken(t, srv, log, alice, access)
	status, body, _ = signOp(t, srv, access, map[string]any{"token": tok, "alsoKnownAs": []string{"at://alice.test"}})
	wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "not one of")
}

func TestPLCOps_Tokens(t *testing.T) {
	p, ids, srv, _, log := newPLCPod(t)
	alice, access := identityAccount(t, p, "alice")
	bob, bobAccess := identityAccount(t, p, "bob")
	aka := []string{"at://alice.test", "https://alice.example.test"}
	sign := func(tok string) (int, []byte, *plc.Operation) {
		return signOp(t, srv, access, map[string]any{"token": tok, "alsoKnownAs": aka})
	}
	before := opCID(t, lastOp(t, ids, alice))

	t.Run("none", func(t *testing.T) {
		status, body, _ := sign("")
		wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "token required")
	})
	t.Run("never issued", func(t *testing.T) {
		status, body, _ := sign("AAAAA-BBBBB")
		wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "Token is invalid")
	})
	tok := requestToken(t, srv, log, alice, access)
	t.Run("wrong", func(t *testing.T) {
		status, body, _ := sign("AAAAA-BBBBB")
		wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "Token is invalid")
	})
	t.Run("another account's", func(t *testing.T) {
		bobTok := requestToken(t, srv, log, bob, bobAccess)
		status, body, _ := sign(bobTok)
		wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "")
	})
	t.Run("right, after wrong ones, in lower case", func(t *testing.T) {
		status, body, op := sign(" " + string(bytes.ToLower([]byte(tok))) + " ")
		if status != http.StatusOK || !slices.Equal(op.AlsoKnownAs, aka) {
			t.Fatalf("signPlcOperation: %d %s", status, body)
		}
	})
	t.Run("reused", func(t *testing.T) {
		status, body, _ := sign(tok)
		wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "Token is invalid")
	})
	t.Run("replaced by a newer request", func(t *testing.T) {
		old := requestToken(t, srv, log, alice, access)
		newer := requestToken(t, srv, log, alice, access)
		if old == newer {
			t.Fatal("two requests gave one token")
		}
		status, body, _ := sign(old)
		wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "")
		if status, body, _ := sign(newer); status != http.StatusOK {
			t.Fatalf("newer token: %d %s", status, body)
		}
	})
	t.Run("expired", func(t *testing.T) {
		tok := requestToken(t, srv, log, alice, access)
		real := store.Now
		store.Now = func() time.Time { return real().Add(pds.PLCTokenTTL + time.Minute) }
		defer func() { store.Now = real }()
		status, body, _ := sign(tok)
		wantError(t, status, body, http.StatusBadRequest, "ExpiredToken", "Token is expired")
		store.Now = real
		status, body, _ = sign(tok)
		wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "")
	})
	t.Run("a refused change keeps the token", func(t *testing.T) {
		tok := requestToken(t, srv, log, alice, access)
		status, body, _ := signOp(t, srv, access, map[string]any{"token": tok, "rotationKeys": []string{"not-a-did-key"}})
		wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "")
		if status, body, _ := sign(tok); status != http.StatusOK {
			t.Fatalf("token after a refused change: %d %s", status, body)
		}
	})
	if got := opCID(t, lastOp(t, ids, alice)); got != before {
		t.Fatal("signing submitted an operation")
	}
}

func TestPLCOps_SubmitRefused(t *testing.T) {
	p, ids, srv, st, log := newPLCPod(t)
	alice, access := identityAccount(t, p, "alice")
	user := newKey(t)
	tok := requestToken(t, srv, log, alice, access)
	_, body, op := signOp(t, srv, access, map[string]any{"token": tok,
		"rotationKeys": []string{user.PublicKey().DIDKey(), ids.rot.PublicKey().DIDKey()}})
	if op == nil {
		t.Fatalf("signPlcOperation: %s", body)
	}
	before := opCID(t, lastOp(t, ids, alice))
	events := identityEvents(t, st, alice)
	refused := func(t *testing.T, op *plc.Operation, msg string) {
		t.Helper()
		status, body := submitOp(t, srv, access, op)
		wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", msg)
		if got := opCID(t, lastOp(t, ids, alice)); got != before {
			t.Fatal("a refused operation reached the directory")
		}
		if got := identityEvents(t, st, alice); got != events {
			t.Fatal("a refused operation was announced")
		}
	}
	t.Run("signed by a key that is not a rotation key", func(t *testing.T) {
		bad := op.Clone()
		if err := bad.Sign(user); err != nil { // the user's key is not one yet
			t.Fatal(err)
		}
		refused(t, bad, "signature")
	})
	t.Run("signature of another operation", func(t *testing.T) {
		bad := op.Clone()
		bad.AlsoKnownAs = []string{"at://alice.test", "https://changed.example.test"}
		refused(t, bad, "signature")
	})
	t.Run("not following the current operation", func(t *testing.T) {
		stale := op.Clone()
		stale.Prev = mustCID(t, op) // its own CID: no such operation
		if err := stale.Sign(ids.rot); err != nil {
			t.Fatal(err)
		}
		refused(t, stale, "prev")
	})
	t.Run("moves an active account away", func(t *testing.T) {
		away, err := plc.Update(lastOp(t, ids, alice), func(o *plc.Operation) {
			o.Services = map[string]plc.Service{plc.ServiceAtprotoPDS: {Type: plc.ServiceTypePDS, Endpoint: "https://elsewhere.example.test"}}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := away.Sign(ids.rot); err != nil {
			t.Fatal(err)
		}
		refused(t, away, "Incorrect endpoint")
	})
	t.Run("another signing key for an active account", func(t *testing.T) {
		other, err := plc.Update(lastOp(t, ids, alice), func(o *plc.Operation) {
			o.VerificationMethods = map[string]string{plc.VerificationMethodAtproto: user.PublicKey().DIDKey()}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Sign(ids.rot); err != nil {
			t.Fatal(err)
		}
		refused(t, other, "Incorrect signing key")
	})
	t.Run("not an operation", func(t *testing.T) {
		status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.submitPlcOperation", access, `{"operation":{"type":"plc_operation"}}`)
		wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "")
	})
	// The signed one still goes through.
	if status, body := submitOp(t, srv, access, op); status != http.StatusOK {
		t.Fatalf("submitPlcOperation: %d %s", status, body)
	}
}

func mustCID(t *testing.T, op *plc.Operation) cid.CID {
	t.Helper()
	id, err := op.CID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPLCOps_NeedSession(t *testing.T) {
	p, _, srv, _, _ := newPLCPod(t)
	identityAccount(t, p, "alice")
	for _, m := range []struct{ nsid, body string }{
		{"com.atproto.identity.requestPlcOperationSignature", ""},
		{"com.atproto.identity.signPlcOperation", `{"token":"AAAAA-BBBBB"}`},
		{"com.atproto.identity.submitPlcOperation", `{"operation":{}}`},
	} {
		status, body := xcall(t, srv, http.MethodPost, m.nsid, "", m.body)
		wantError(t, status, body, http.StatusUnauthorized, "AuthenticationRequired", "")
	}
}
