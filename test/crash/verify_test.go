package crash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// signingKey reads the account's repository key from its DID document in
// the pod's embedded PLC directory.
func signingKey(t testing.TB, c *client, did string) keys.PublicKey {
	t.Helper()
	resp, err := c.HC.Get(c.Base + "/plc/" + did)
	if err != nil {
		t.Fatalf("GET /plc/%s: %v", did, err)
	}
	defer resp.Body.Close()
	var doc struct {
		VerificationMethod []struct{ ID, PublicKeyMultibase string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /plc/%s: %s (%v)", did, resp.Status, err)
	}
	for _, vm := range doc.VerificationMethod {
		if strings.HasSuffix(vm.ID, "#atproto") {
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

// repoView is an account's repository as the restarted pod serves it: the
// head and every record of the tree, collection/rkey to CID.
type repoView struct {
	head, rev string
	records   map[string]string
}

// fetchRepo downloads and verifies a repository end to end: the CAR's
// hashes, the commit's DID and signature, the MST's structure and that
// every record is present, and that the CAR's commit is the head
// getLatestCommit reports.
func fetchRepo(t testing.TB, c *client, did string, key keys.PublicKey) repoView {
	t.Helper()
	var latest struct{ CID, Rev string }
	c.MustQuery(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {did}}, &latest)
	car := c.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {did}}, nil)
	ctx := context.Background()
	d, err := syntax.ParseDID(did)
	if err != nil {
		t.Fatalf("account DID %q: %v", did, err)
	}
	bs := mem.NewBlocks()
	r, _, err := repo.ReadCAR(ctx, bytes.NewReader(car), bs, repo.ImportOptions{DID: d, Key: key})
	if err != nil {
		t.Fatalf("getRepo %s does not verify: %v", did, err)
	}
	_, head := r.Head()
	if head.String() != latest.CID || string(r.Rev()) != latest.Rev {
		t.Errorf("getRepo %s is at %s rev %s; getLatestCommit says %s rev %s", did, head, r.Rev(), latest.CID, latest.Rev)
	}
	v := repoView{head: latest.CID, rev: latest.Rev, records: map[string]string{}}
	err = r.Tree().Walk(ctx, "", func(path string, val cid.CID) error {
		v.records[path] = val.String()
		return checkRecordBlock(ctx, bs, path, val)
	})
	if err != nil {
		t.Fatalf("walk the MST of %s: %v", did, err)
	}
	return v
}

// checkRecordBlock requires a record block to decode as a record of its
// collection.
func checkRecordBlock(ctx context.Context, bs *mem.Blocks, path string, c cid.CID) error {
	got, err := bs.GetBlocks(ctx, []cid.CID{c})
	if err != nil || got[0] == nil {
		return fmt.Errorf("record %s: block %s missing (%v)", path, c, err)
	}
	rec, err := data.DecodeRecord(got[0])
	if err != nil {
		return fmt.Errorf("record %s: %v", path, err)
	}
	if coll, _, _ := strings.Cut(path, "/"); rec["$type"] != coll {
		return fmt.Errorf("record %s has $type %v", path, rec["$type"])
	}
	return nil
}

// checkIndex requires listRecords of every collection, and describeRepo's
// collection list, to agree exactly with the committed tree.
func checkIndex(t testing.TB, c *client, did string, v repoView) {
	t.Helper()
	var desc struct{ Collections []string }
	c.MustQuery(t, "com.atproto.repo.describeRepo", url.Values{"repo": {did}}, &desc)
	inTree := map[string]bool{}
	for p := range v.records {
		coll, _, _ := strings.Cut(p, "/")
		inTree[coll] = true
	}
	slices.Sort(desc.Collections)
	if want := slices.Sorted(maps.Keys(inTree)); !slices.Equal(desc.Collections, want) {
		t.Errorf("describeRepo %s lists collections %v; the tree has %v", did, desc.Collections, want)
	}
	listed := map[string]string{}
	for _, coll := range union(desc.Collections, collections) {
		c.ListCollection(t, did, coll, listed)
	}
	if !maps.Equal(listed, v.records) {
		t.Errorf("listRecords of %s disagrees with the tree of commit %s:\n%s", did, v.head, diffMaps("listRecords", listed, "tree", v.records))
	}
}

// getRecordCID reads one record with getRecord: its CID, or "" when the
// pod says it does not exist.
func getRecordCID(t testing.TB, c *client, did, path string) string {
	t.Helper()
	coll, rkey, _ := strings.Cut(path, "/")
	r, err := c.Query(context.Background(), "com.atproto.repo.getRecord", url.Values{"repo": {did}, "collection": {coll}, "rkey": {rkey}})
	if err != nil {
		t.Fatalf("getRecord %s %s: %v", did, path, err)
	}
	if r.Status == http.StatusBadRequest && r.ErrName() == "RecordNotFound" {
		return ""
	}
	var out struct{ CID string }
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
		t.Fatalf("getRecord %s %s: %s", did, path, r)
	}
	return out.CID
}

func union(a, b []string) []string {
	s := slices.Concat(a, b)
	slices.Sort(s)
	return slices.Compact(s)
}

// diffMaps lists the keys on which two maps differ.
func diffMaps(an string, a map[string]string, bn string, b map[string]string) string {
	var sb strings.Builder
	for _, k := range union(slices.Collect(maps.Keys(a)), slices.Collect(maps.Keys(b))) {
		if a[k] != b[k] {
			sb.WriteString("  " + k + ": " + an + "=" + orAbsent(a[k]) + " " + bn + "=" + orAbsent(b[k]) + "\n")
		}
	}
	return sb.String()
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}
