package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// The account the resume test moves ($MIGRATE_RECORDS overrides the
// record count, for measuring).
const (
	records = 10_000
	blobs   = 200
)

// killable are the steps a kill may land in (at the step's start, plus a
// random delay).
var killable = []string{"account", "repository", "blobs", "preferences", "identity", "activate", "verify"}

// TestMigrate_KilledAndResumed moves a 10,000-record account with 200
// blobs from pod A to pod B, SIGKILLing the migration at three random
// points and running the same command again each time.
func TestMigrate_KilledAndResumed(t *testing.T) {
	w := newWorld(t)
	a, b := w.Pod(""), w.Pod("")
	ca, cb := podtest.NewClient(a), podtest.NewClient(b)
	acct := w.create(a, "alice")
	n := records
	if v, err := strconv.Atoi(os.Getenv("MIGRATE_RECORDS")); err == nil && v >= blobs {
		n = v
	}
	start := time.Now()
	want := fill(t, ca, acct, n, blobs)
	t.Logf("wrote %d records and %d blobs in %s", n, len(want.Blobs), time.Since(start).Round(time.Millisecond))
	before, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
	if err != nil {
		t.Fatal(err)
	}

	targets, delayOf := randomKills(t)
	args := w.migrateArgs(acct, a, b)
	start = time.Now()
	for i, step := range targets {
		delay := delayOf()
		m := w.runMigrate(args, func(l line) (bool, time.Duration) { return l.Phase == step, delay })
		if !m.killed {
			t.Fatalf("kill %d (in %s after %s): the migration ended first: exit %d, last %+v\n%s", i+1, step, delay, m.code, m.last(), m.stderr)
		}
		t.Logf("kill %d: in %q after %s (%d progress lines)", i+1, step, delay, len(m.lines))
	}
	m := w.mustMigrate(args)
	t.Logf("the migration finished %s after the first start; the last run's steps:", time.Since(start).Round(time.Millisecond))
	for _, s := range m.last().Result.Steps {
		t.Logf("  %-15s %-8s %s", s.Name, s.Status, s.Detail)
	}
	if r := m.last().Result; r.Records != n || r.Blobs != blobs {
		t.Errorf("the result counts %d records and %d blobs; want %d and %d", r.Records, r.Blobs, n, blobs)
	}

	checkComplete(t, w, acct, b.URL(""), cb, want, before.RotationKeys[0], nil)
	if st, ok := repoStatus(t, ca, acct.DID); !ok || st.Active || st.Status != "deactivated" {
		t.Errorf("pod A's account: %+v (found %v); want deactivated", st, ok)
	}
	checkGoLive(t, b, cb, acct.DID)

	t.Run("once more: everything is found done", func(t *testing.T) {
		m := w.mustMigrate(args)
		for _, s := range m.last().Result.Steps {
			if s.Status != "already" && s.Status != "checked" {
				t.Errorf("step %s: %s (%s); want already or checked", s.Name, s.Status, s.Detail)
			}
		}
	})
}

// randomKills picks three steps to kill a migration in and a random delay
// for each, from MIGRATE_SEED or the clock (logged, to replay a failure).
func randomKills(t *testing.T) ([]string, func() time.Duration) {
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("MIGRATE_SEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	targets := pickTargets(rng)
	t.Logf("seed %d: killing in the steps %v", seed, targets)
	return targets, func() time.Duration { return time.Duration(rng.IntN(80)) * time.Millisecond }
}

// pickTargets picks three steps to kill in, in the order they run.
func pickTargets(rng *rand.Rand) []string {
	idx := rng.Perm(len(killable))[:3]
	slices.Sort(idx)
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = killable[k]
	}
	return out
}

// checkComplete: pod B serves every record by CID and every blob by its
// bytes, the preferences, a repository that verifies with the key the DID
// names, and the DID names pod B with the user's key still first.
//
// pastKey, if not nil, is the key that signed the old pod's repository; a
// head commit still signed by it is accepted (the reference PDS keeps the
// imported commit until the account's next write).
func checkComplete(t *testing.T, w *world, a account, toURL string, cb *podtest.Client, want content, userKey string, pastKey keys.PublicKey) {
	t.Helper()
	data, err := w.Dir.Client().Data(context.Background(), syntax.DID(a.DID))
	if err != nil {
		t.Fatal(err)
	}
	if pds, _ := data.PDS(); pds != toURL {
		t.Errorf("the DID names %s as its PDS; want the new pod %s", pds, toURL)
	}
	if userKey != "" && (len(data.RotationKeys) == 0 || data.RotationKeys[0] != userKey) {
		t.Errorf("the DID's rotation keys are %v; want the user's %s first", data.RotationKeys, userKey)
	}
	key, err := data.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	car := cb.MustQuery(t, "com.atproto.sync.getRepo", url.Values{"did": {a.DID}}, nil)
	_, st, err := repo.ReadCAR(context.Background(), bytes.NewReader(car), mem.NewBlocks(), repo.ImportOptions{DID: syntax.DID(a.DID), Key: key})
	if err != nil && pastKey != nil {
		t.Logf("the new pod's head is not signed by the key the DID names (%v); trying the old pod's key", err)
		_, st, err = repo.ReadCAR(context.Background(), bytes.NewReader(car), mem.NewBlocks(), repo.ImportOptions{DID: syntax.DID(a.DID), Key: pastKey})
	}
	if err != nil {
		t.Fatalf("pod B's repository does not verify with the key the DID names: %v", err)
	}
	if st.Records != len(want.Records) {
		t.Errorf("pod B's repository holds %d records; want %d", st.Records, len(want.Records))
	}
	got := map[string]string{}
	cb.ListCollection(t, a.DID, "app.bsky.feed.post", got)
	if len(got) != len(want.Records) {
		t.Errorf("pod B lists %d records; want %d", len(got), len(want.Records))
	}
	for k, c := range want.Records {
		if got[k] != c {
			t.Fatalf("record %s: pod B has %q; want %s", k, got[k], c)
		}
	}
	for c, body := range want.Blobs {
		r, err := cb.Query(context.Background(), "com.atproto.sync.getBlob", url.Values{"did": {a.DID}, "cid": {c}})
		if err != nil || !r.OK() || !bytes.Equal(r.Body, body) {
			t.Fatalf("blob %s on pod B: %v %d, %d bytes; want the %d bytes written", c, err, r.Status, len(r.Body), len(body))
		}
	}
	tok := podtest.Session(t, cb, a.DID, a.password)
	var prefs struct{ Preferences json.RawMessage }
	r, err := cb.Do(context.Background(), "GET", "app.bsky.actor.getPreferences", nil, tok, "", nil)
	if err != nil || !r.OK() || json.Unmarshal(r.Body, &prefs) != nil {
		t.Fatalf("getPreferences on pod B: %v %s", err, r)
	}
	if !sameJSON(t, prefs.Preferences, want.Prefs) {
		t.Errorf("pod B's preferences %s; want %s", prefs.Preferences, want.Prefs)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xa, yb)
}

// checkGoLive: pod B's firehose carries the import (#sync) while the
// account is deactivated, then, in the account-lifecycle guide's order
// for a migration, #identity, #account active and #sync at the head.
func checkGoLive(t *testing.T, b *podtest.Pod, cb *podtest.Client, did string) {
	t.Helper()
	evs := eventsUntilLive(t, b, did)
	t.Logf("pod B's events about the account: %v", evs)
	if len(evs) < 4 {
		t.Fatalf("pod B's events: %v", evs)
	}
	tail, head := evs[len(evs)-3:], evs[:len(evs)-3]
	if tail[0].typ != "#identity" || tail[1].typ != "#account" || tail[1].body["active"] != true || tail[2].typ != "#sync" {
		t.Errorf("the account went live with %v; want #identity, #account active, #sync", tail)
	}
	imports := 0
	for _, e := range head {
		switch {
		case e.typ == "#account" && e.body["active"] == true:
			t.Errorf("pod B announced the account active before it went live: %v", evs)
		case e.typ == "#commit" && len(asSlice(e.body["ops"])) > 0:
			t.Errorf("pod B emitted a #commit with records before the account went live: %v", evs)
		case e.typ == "#sync":
			imports++
		}
	}
	if imports == 0 {
		t.Errorf("no #sync for the import before the account went live: %v", evs)
	}
	var latest struct{ Rev string }
	cb.MustQuery(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {did}}, &latest)
	if tail[2].body["rev"] != latest.Rev {
		t.Errorf("the last #sync has rev %v; pod B's head is at %s", tail[2].body["rev"], latest.Rev)
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
