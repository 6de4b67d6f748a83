package multinode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// account is a test account and its session.
type account struct{ did, access string }

func createAccount(t *testing.T, c *podtest.Client, name string) account {
	t.Helper()
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": "password-" + name}
	var out struct{ DID, AccessJwt string }
	c.MustCall(t, "com.atproto.server.createAccount", "", in, &out)
	if out.DID == "" || out.AccessJwt == "" {
		t.Fatalf("createAccount %s: %+v", name, out)
	}
	return account{did: out.DID, access: out.AccessJwt}
}

// ack is an acknowledged write: what the node answered and when.
type ack struct {
	node      int // 1-based
	uri, cid  string
	commit    string
	rev       string
	at        time.Time
	requested time.Time
}

// writeOut is the output of createRecord and applyWrites.
type writeOut struct {
	URI, CID string
	Commit   struct{ CID, Rev string }
	Results  []struct{ URI, CID string }
}

// createRecord writes one note; ok is false for an XRPC error, whose
// name is returned.
func createRecord(ctx context.Context, c *podtest.Client, a account, node int, rkey string) (ack, string, error) {
	in := map[string]any{"repo": a.did, "collection": "com.example.note", "rkey": rkey,
		"record": map[string]any{"$type": "com.example.note", "text": "note " + rkey}}
	return post(ctx, c, a, node, "com.atproto.repo.createRecord", in)
}

// applyWrites creates one note with swapCommit.
func applyWrites(ctx context.Context, c *podtest.Client, a account, node int, rkey, swap string) (ack, string, error) {
	in := map[string]any{"repo": a.did, "swapCommit": swap, "writes": []any{map[string]any{
		"$type": "com.atproto.repo.applyWrites#create", "collection": "com.example.note", "rkey": rkey,
		"value": map[string]any{"$type": "com.example.note", "text": "swap " + rkey}}}}
	return post(ctx, c, a, node, "com.atproto.repo.applyWrites", in)
}

func post(ctx context.Context, c *podtest.Client, a account, node int, nsid string, in any) (ack, string, error) {
	start := time.Now()
	r, err := c.Post(ctx, nsid, a.access, in)
	if err != nil {
		return ack{}, "", err
	}
	if !r.OK() {
		if r.ErrName() == "" {
			return ack{}, "", fmt.Errorf("%s: %s", nsid, r)
		}
		return ack{}, r.ErrName(), nil
	}
	var out writeOut
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return ack{}, "", fmt.Errorf("%s: decode %s: %w", nsid, r, err)
	}
	w := ack{node: node, uri: out.URI, cid: out.CID, commit: out.Commit.CID, rev: out.Commit.Rev, at: time.Now(), requested: start}
	if len(out.Results) == 1 {
		w.uri, w.cid = out.Results[0].URI, out.Results[0].CID
	}
	if w.commit == "" || w.uri == "" {
		return ack{}, "", fmt.Errorf("%s: no commit or uri in %s", nsid, r)
	}
	return w, "", nil
}

// latestCommit is getLatestCommit's answer.
func latestCommit(t *testing.T, c *podtest.Client, did string) (commit, rev string) {
	t.Helper()
	var h struct{ CID, Rev string }
	c.MustQuery(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {did}}, &h)
	return h.CID, h.Rev
}

// signingKey reads the account's repository key from its DID document,
// served by the node's embedded PLC directory.
func signingKey(t *testing.T, c *podtest.Client, did string) keys.PublicKey {
	t.Helper()
	resp, err := c.HC.Get(c.Base + "/plc/" + did)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		VerificationMethod []struct{ ID, Type, PublicKeyMultibase string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || len(doc.VerificationMethod) == 0 {
		t.Fatalf("DID document of %s: %v %+v", did, err, doc)
	}
	vm := doc.VerificationMethod[0]
	k, err := keys.ParseVerificationMethod(vm.Type, vm.PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// getRepo fetches a repository's CAR.
func getRepo(t *testing.T, c *podtest.Client, did string) []byte {
	t.Helper()
	return c.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {did}}, nil)
}

// verifyCAR reads a repository CAR, checking hashes, the signature with
// key, the tree and that every record is present; it returns the
// repository's records (collection/rkey → CID).
func verifyCAR(t *testing.T, b []byte, did string, key keys.PublicKey) map[string]string {
	t.Helper()
	ctx := context.Background()
	r, _, err := repo.ReadCAR(ctx, bytes.NewReader(b), mem.NewBlocks(), repo.ImportOptions{DID: syntax.DID(did), Key: key})
	if err != nil {
		t.Fatalf("the repository of %s does not verify: %v", did, err)
	}
	out := map[string]string{}
	err = r.Tree().Walk(ctx, "", func(k string, v cid.CID) error {
		out[k] = v.String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// uploadBlob uploads bytes as an image.
func uploadBlob(t *testing.T, c *podtest.Client, a account, b []byte) map[string]any {
	t.Helper()
	r, err := c.Do(context.Background(), http.MethodPost, "com.atproto.repo.uploadBlob", nil, a.access, "image/png", b)
	if err != nil || !r.OK() {
		t.Fatalf("uploadBlob: %v %s", err, r)
	}
	var out struct{ Blob map[string]any }
	if err := json.Unmarshal(r.Body, &out); err != nil || out.Blob == nil {
		t.Fatalf("uploadBlob output %s: %v", r, err)
	}
	return out.Blob
}

// getBlob reads a blob's bytes.
func getBlob(t *testing.T, c *podtest.Client, did, blob string) []byte {
	t.Helper()
	resp, err := c.HC.Get(c.Base + "/xrpc/com.atproto.sync.getBlob?" + url.Values{"did": {did}, "cid": {blob}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("getBlob %s: %s %v %.200s", blob, resp.Status, err, b)
	}
	return b
}
