package badinput

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/url"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// TestBadInput_ChangesNothing sends the barrage of bad requests and
// requires the pod's content to be exactly what it was: through the API,
// row for row in the database, and byte for byte in every other file.
func TestBadInput_ChangesNothing(t *testing.T) {
	bin, dir, addr := podBinary(t), t.TempDir(), freeAddr(t)
	p := startPod(t, bin, dir, addr)
	c := newClient(p)
	alice, bob := createAccount(t, c, "alice"), createAccount(t, c, "bob")
	fill(t, c, alice, bob)
	p.Stop()
	dbBefore, filesBefore := dumpDB(t, dir), hashFiles(t, dir)

	p = startPod(t, bin, dir, addr)
	defer p.Kill()
	c = newClient(p)
	apiBefore := snapshotAPI(t, c, alice, bob)
	w := observe(t, c, alice, bob)
	for _, bc := range w.cases(t) {
		t.Run(bc.name, func(t *testing.T) { runCase(t, c, bc) })
	}
	t.Run("api unchanged", func(t *testing.T) { diffStates(t, "API", apiBefore, snapshotAPI(t, c, alice, bob)) })
	p.Stop()
	t.Run("database unchanged", func(t *testing.T) { diffDB(t, dbBefore, dumpDB(t, dir)) })
	t.Run("files unchanged", func(t *testing.T) { diffStates(t, "data folder", filesBefore, hashFiles(t, dir)) })
	if t.Failed() {
		t.Logf("pod log:\n%s", p.Logs)
	}
}

// runCase sends one bad request and checks the exact status and XRPC error
// name, and that the error body is the XRPC JSON shape.
func runCase(t *testing.T, c *client, bc badCase) {
	r, err := c.send(bc.req)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	var e xrpcError
	jsonErr := json.Unmarshal(r.body, &e)
	if !bc.accepts(r.status, e.Error) {
		t.Errorf("got %s; want %d %s", r, bc.status, bc.errName)
		if bc.spec != "" {
			t.Logf("why: %s", bc.spec)
		}
	}
	if r.status < 300 {
		return // an accepted success; the snapshots check it changed nothing
	}
	ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if jsonErr != nil || e.Error == "" || ct != "application/json" {
		t.Errorf("error body is not XRPC JSON (Content-Type %q): %s", r.header.Get("Content-Type"), r)
	}
}

// TestBadInput_ImportForgedSignature imports a well-formed repository for
// the account whose commit is signed by a stranger's key. The pod checks
// structure, hashes and DID, not the signature, and signs a new commit
// over the imported tree with the account's own key: the forged signature
// must never be served, and the served repository must verify with the
// account's key.
func TestBadInput_ImportForgedSignature(t *testing.T) {
	bin := podBinary(t)
	p := startPod(t, bin, t.TempDir(), freeAddr(t))
	defer p.Kill()
	c := newClient(p)
	a := createAccount(t, c, "forger")
	putNote(t, c, a, "before", "before the import")
	var head struct{ CID, Rev string }
	json.Unmarshal(c.query(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {a.DID}}), &head)
	forged, forgerKey := forgedCAR(t, a.DID)

	r, err := c.send(rawReq(importRepo, a.AccessJwt, carType, forged))
	if err != nil {
		t.Fatalf("importRepo: %v", err)
	}
	t.Logf("importRepo of a CAR signed by a stranger's key answered %s", r)
	if r.status != 200 {
		t.Fatalf("importRepo of a structurally valid CAR for the caller's DID: %s", r)
	}
	served := c.query(t, "com.atproto.sync.getRepo", url.Values{"did": {a.DID}})
	accountKey := signingKey(t, c, a.DID)
	imported := verifyServed(t, served, a.DID, accountKey)
	if commit, _ := imported.Head(); commit.Verify(forgerKey) == nil {
		t.Errorf("the served commit verifies with the forger's key")
	}
	if imported.Rev() <= syntax.TID(head.Rev) {
		t.Errorf("imported rev %s does not follow the previous rev %s", imported.Rev(), head.Rev)
	}
	if got := recordPaths(t, imported); len(got) != 1 || got[0] != note+"/forged" {
		t.Errorf("after the import the repository holds %v; want exactly %s/forged", got, note)
	}
	p.Stop()
}

// verifyServed verifies a served CAR against the account's DID and key.
func verifyServed(t testing.TB, car []byte, did string, key keys.PublicKey) *repo.Repo {
	t.Helper()
	d, err := syntax.ParseDID(did)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := repo.ReadCAR(context.Background(), bytes.NewReader(car), mem.NewBlocks(), repo.ImportOptions{DID: d, Key: key})
	if err != nil {
		t.Fatalf("the served repository does not verify with the account's key: %v", err)
	}
	return r
}

func recordPaths(t testing.TB, r *repo.Repo) []string {
	t.Helper()
	var paths []string
	err := r.Tree().Walk(context.Background(), "", func(k string, _ cid.CID) error {
		paths = append(paths, k)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// signingKey reads the account's repository key from its DID document.
func signingKey(t testing.TB, c *client, did string) keys.PublicKey {
	t.Helper()
	var doc struct {
		VerificationMethod []struct{ ID, PublicKeyMultibase string }
	}
	if err := json.Unmarshal(c.must(t, request{Path: "/plc/" + did}), &doc); err != nil {
		t.Fatalf("DID document of %s: %v", did, err)
	}
	for _, vm := range doc.VerificationMethod {
		if len(vm.ID) > 8 && vm.ID[len(vm.ID)-8:] == "#atproto" {
			k, err := keys.ParsePublicMultibase(vm.PublicKeyMultibase)
			if err != nil {
				t.Fatalf("DID document of %s: %v", did, err)
			}
			return k
		}
	}
	t.Fatalf("DID document of %s has no #atproto key", did)
	return nil
}
