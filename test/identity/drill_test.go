package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestDrill_LoseThePod is the drill: an account lives on pod A under a
// key its user holds; pod A and its data folder are destroyed; from the
// recovery phrase and a backup alone the account comes up on pod B, and
// the official client finds it there, every record and every blob.
func TestDrill_LoseThePod(t *testing.T) {
	w := newWorld(t)
	dataA := filepath.Join(w.Tmp, "pod-a")
	a := w.Pod(dataA)
	acct, phrase := w.create(a, "alice")
	t.Logf("created %s on pod A (%s) with rotation key %s", acct.DID, a.Addr, acct.RotationKey)

	ca := podtest.NewClient(a)
	tok := podtest.Session(t, ca, acct.Handle, "password-alice")
	want := writeContent(t, ca, acct.DID, tok)

	backup := filepath.Join(w.Tmp, "backup")
	var m struct {
		Records int
		Blobs   []struct{ CID, MimeType string }
	}
	w.mustCLI(&m, "backup", "--did", acct.DID, "--pod", a.URL(""), backup)
	if m.Records != len(want.Records) || len(m.Blobs) != len(want.Blobs) {
		t.Fatalf("backup holds %d records and %d blobs; wrote %d and %d", m.Records, len(m.Blobs), len(want.Records), len(want.Blobs))
	}

	destroy(t, a, ca, dataA)

	b := w.Pod(filepath.Join(w.Tmp, "pod-b"))
	var r struct {
		DID, Handle, Op string
		Records, Blobs  int
		Dropped         []string `json:"droppedRotationKeys"`
	}
	// Only the phrase and the backup: a keystore that does not exist.
	w.mustCLI(&r, "restore", "--did", acct.DID, "--pod", b.URL(""), "--backup", backup,
		"--email", "alice@example.test", "--password-file", w.File("b.password", "new-password\n"),
		"--phrase-file", phrase, "--keystore", filepath.Join(w.Tmp, "no-keystore"))
	if r.DID != acct.DID || r.Handle != acct.Handle || r.Records != len(want.Records) || r.Blobs != len(want.Blobs) || r.Op == "" {
		t.Fatalf("restore: %+v", r)
	}
	checkDocument(t, w, acct, b)
	if logs := b.Logs.String(); !strings.Contains(logs, "import: commit signed by an earlier key of the DID") {
		t.Errorf("pod B did not find the imported commit signed by pod A's key, which the DID's log names:\n%s", logs)
	}
	checkEvents(t, b, acct.DID)
	checkNothingOfA(t, w, acct, a, dataA)
	readWithOfficialClient(t, w, acct, b, want)
}

// content is what the drill wrote.
type content struct {
	Records map[string]string `json:"records"` // at:// URI -> CID
	Blobs   map[string]string `json:"blobs"`   // CID -> hex SHA-256 of the bytes
}

// writeContent writes posts (some with images) and a profile with an
// avatar.
func writeContent(t *testing.T, c *podtest.Client, did, tok string) content {
	t.Helper()
	want := content{Records: map[string]string{}, Blobs: map[string]string{}}
	blob := func() map[string]any {
		b := make([]byte, 3000+len(want.Blobs)*1000)
		rand.Read(b)
		r, err := c.Do(context.Background(), http.MethodPost, "com.atproto.repo.uploadBlob", nil, tok, "image/png", b)
		if err != nil || !r.OK() {
			t.Fatalf("uploadBlob: %v %s", err, r)
		}
		var out struct{ Blob map[string]any }
		must(t, json.Unmarshal(r.Body, &out), "decode uploadBlob")
		sum := sha256.Sum256(b)
		want.Blobs[out.Blob["ref"].(map[string]any)["$link"].(string)] = hex.EncodeToString(sum[:])
		return out.Blob
	}
	put := func(nsid, coll string, rec map[string]any, extra map[string]any) {
		in := map[string]any{"repo": did, "collection": coll, "record": rec}
		for k, v := range extra {
			in[k] = v
		}
		var out struct{ URI, CID string }
		c.MustCall(t, nsid, tok, in, &out)
		want.Records[out.URI] = out.CID
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for i := range 6 {
		rec := map[string]any{"$type": "app.bsky.feed.post", "text": fmt.Sprintf("post %d before the pod died", i), "createdAt": now}
		if i%3 == 0 {
			rec["embed"] = map[string]any{"$type": "app.bsky.embed.images",
				"images": []any{map[string]any{"image": blob(), "alt": fmt.Sprintf("picture %d", i)}}}
		}
		put("com.atproto.repo.createRecord", "app.bsky.feed.post", rec, nil)
	}
	profile := map[string]any{"$type": "app.bsky.actor.profile", "displayName": "Alice", "avatar": blob()}
	put("com.atproto.repo.putRecord", "app.bsky.actor.profile", profile, map[string]any{"rkey": "self"})
	return want
}

// destroy stops pod A, deletes its data folder and checks it is gone.
func destroy(t *testing.T, a *podtest.Pod, ca *podtest.Client, dataA string) {
	t.Helper()
	a.Stop()
	ca.Close()
	must(t, os.RemoveAll(dataA), "delete pod A's data folder")
	if _, err := os.Stat(dataA); !os.IsNotExist(err) {
		t.Fatalf("pod A's data folder is still there: %v", err)
	}
}

// checkDocument verifies the DID's document names pod B, B's key for the
// account, and only the user's rotation key.
func checkDocument(t *testing.T, w *world, acct created, b *podtest.Pod) {
	t.Helper()
	data, err := w.Dir.Client().VerifiedData(context.Background(), didOf(t, acct.DID))
	must(t, err, "verified data of %s", acct.DID)
	if pds, _ := data.PDS(); pds != b.URL("") {
		t.Errorf("the DID names %q as its PDS, not pod B %s", pds, b.URL(""))
	}
	if !slices.Equal(data.RotationKeys, []string{acct.RotationKey}) {
		t.Errorf("rotation keys %v; want only the user's %s", data.RotationKeys, acct.RotationKey)
	}
	if h, _ := data.Handle(); string(h) != acct.Handle {
		t.Errorf("handle %q; want %q", h, acct.Handle)
	}
	var st struct {
		Active bool
		Status string
	}
	podtest.NewClient(b).MustQuery(t, "com.atproto.sync.getRepoStatus", url.Values{"did": {acct.DID}}, &st)
	if !st.Active {
		t.Errorf("the account is not active on pod B: %+v", st)
	}
}

// checkNothingOfA makes sure the restored identity needs nothing of pod A:
// its process is gone, its folder too, and the DID never mentions it.
func checkNothingOfA(t *testing.T, w *world, acct created, a *podtest.Pod, dataA string) {
	t.Helper()
	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(a.URL("/_health")); err == nil {
		t.Errorf("pod A still answers at %s", a.Addr)
	}
	if _, err := os.Stat(dataA); !os.IsNotExist(err) {
		t.Errorf("pod A's data folder exists: %v", err)
	}
	doc, err := w.Dir.Client().Resolve(context.Background(), didOf(t, acct.DID))
	must(t, err, "resolve %s", acct.DID)
	b, _ := json.Marshal(doc)
	if strings.Contains(string(b), a.Addr) {
		t.Errorf("the DID document still mentions pod A: %s", b)
	}
}
