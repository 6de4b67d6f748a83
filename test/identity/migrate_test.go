package identity

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestMigrate_LivePod is the usual move between two live pods, the spec's
// way: pod B accepts createAccount for the existing DID on a service
// token from pod A (getServiceAuth, signed by the DID's current signing
// key) and keeps the account deactivated until the user, with their own
// key, points the DID at pod B (`rhizome identity set-pds`).
func TestMigrate_LivePod(t *testing.T) {
	w := newWorld(t)
	a, b := w.Pod(t.TempDir()), w.Pod(t.TempDir())
	acct, _ := w.create(a, "dave")
	ca, cb := podtest.NewClient(a), podtest.NewClient(b)
	tokA := podtest.Session(t, ca, acct.Handle, "password-dave")
	rec := map[string]any{"$type": "app.bsky.feed.post", "text": "moving", "createdAt": time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	var written struct{ URI, CID string }
	ca.MustCall(t, "com.atproto.repo.createRecord", tokA, map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": rec}, &written)

	ctx := context.Background()
	podB := &custody.Pod{URL: b.URL("")}
	key, err := podB.ReserveSigningKey(ctx, acct.DID)
	must(t, err, "reserveSigningKey on pod B")
	aud, err := podB.ServiceDID(ctx)
	must(t, err, "describeServer on pod B")
	in := map[string]string{"did": acct.DID, "handle": "dave.test", "email": "dave@example.test", "password": "password-dave"}
	if r, _ := cb.Post(ctx, "com.atproto.server.createAccount", "", in); r.Status != http.StatusUnauthorized {
		t.Fatalf("createAccount for an existing DID without a token: %s", r)
	}
	var st struct{ Token string }
	q := url.Values{"aud": {aud}, "lxm": {"com.atproto.server.createAccount"}}
	r, err := ca.Do(ctx, http.MethodGet, "com.atproto.server.getServiceAuth", q, tokA, "", nil)
	if err != nil || !r.OK() {
		t.Fatalf("getServiceAuth on pod A: %v %s", err, r)
	}
	must(t, jsonInto(r.Body, &st), "decode getServiceAuth")
	var sess struct {
		AccessJwt string
		Active    bool
	}
	cb.MustCall(t, "com.atproto.server.createAccount", st.Token, in, &sess)
	if sess.Active {
		t.Fatal("pod B activated an account whose DID does not name it yet")
	}
	car := ca.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {acct.DID}}, nil)
	if r, err := cb.Do(ctx, http.MethodPost, "com.atproto.repo.importRepo", nil, sess.AccessJwt, "application/vnd.ipld.car", car); err != nil || !r.OK() {
		t.Fatalf("importRepo on pod B: %v %s", err, r)
	}
	w.mustCLI(nil, "set-pds", "--did", acct.DID, b.URL(""), "--signing-key", key,
		"--keystore", filepath.Join(w.Tmp, "keystore-dave"), "--passphrase-file", filepath.Join(w.Tmp, "dave.passphrase"))
	cb.MustCall(t, "com.atproto.server.activateAccount", sess.AccessJwt, map[string]any{}, nil)

	var got struct{ CID string }
	cb.MustQuery(t, "com.atproto.repo.getRecord", url.Values{"repo": {acct.DID}, "collection": {"app.bsky.feed.post"}, "rkey": {lastPart(written.URI)}}, &got)
	if got.CID != written.CID {
		t.Errorf("pod B serves the record as %s; pod A wrote %s", got.CID, written.CID)
	}
	pub, err := keys.ParsePublicDIDKey(key)
	must(t, err, "parse the reserved key")
	served := cb.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {acct.DID}}, nil)
	_, _, err = repo.ReadCAR(ctx, bytes.NewReader(served), mem.NewBlocks(), repo.ImportOptions{DID: didOf(t, acct.DID), Key: pub})
	must(t, err, "pod B's repository does not verify with the key the DID names")
}
