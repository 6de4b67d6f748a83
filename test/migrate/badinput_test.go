package migrate

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// snapshot is what a refused or dry-run migration must leave as it was.
type snapshot struct {
	did     string // the DID document's state, as JSON
	head    string // pod A's head commit
	onB     bool   // pod B hosts the DID
	activeA bool
}

func takeSnapshot(t *testing.T, w *world, a account, ca, cb *podtest.Client) snapshot {
	t.Helper()
	data, err := w.Dir.Client().Data(context.Background(), syntax.DID(a.DID))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(data)
	var head struct{ CID string }
	ca.MustQuery(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {a.DID}}, &head)
	stA, _ := repoStatus(t, ca, a.DID)
	_, onB := repoStatus(t, cb, a.DID)
	return snapshot{did: string(b), head: head.CID, onB: onB, activeA: stA.Active}
}

// TestMigrate_DryRun: a dry run signs in, counts and plans every step,
// and changes nothing.
func TestMigrate_DryRun(t *testing.T) {
	w := newWorld(t)
	a, b := w.Pod(""), w.Pod("")
	ca, cb := podtest.NewClient(a), podtest.NewClient(b)
	acct := w.create(a, "dora")
	fill(t, ca, acct, 450, 7)
	before := takeSnapshot(t, w, acct, ca, cb)

	m := w.mustMigrate(w.migrateArgs(acct, a, b, "--dry-run"))
	r := m.last().Result
	if !r.DryRun || r.Records != 450 || r.Blobs != 7 || r.BlobsCopied != 0 || r.PLCOp != "" {
		t.Errorf("dry run result: %+v; want 450 records, 7 blobs, nothing copied or signed", r)
	}
	for _, s := range r.Steps {
		want := "would"
		if s.Name == "sign in" {
			want = "checked"
		}
		if s.Status != want {
			t.Errorf("dry run step %s: %s (%s); want %s", s.Name, s.Status, s.Detail, want)
		}
	}
	if len(r.Steps) != 9 {
		t.Errorf("dry run planned %d steps; want 9", len(r.Steps))
	}
	if after := takeSnapshot(t, w, acct, ca, cb); after != before {
		t.Errorf("the dry run changed something:\n before %+v\n after  %+v", before, after)
	}

	t.Run("in words", func(t *testing.T) {
		args := slices.DeleteFunc(w.migrateArgs(acct, a, b, "--dry-run"), func(s string) bool { return s == "--json" })
		res, err := podtest.Run(context.Background(), w.Bin, nil, args...)
		if err != nil || res.Code != 0 || !strings.Contains(res.Stdout, "Dry run: nothing was changed") ||
			!strings.Contains(res.Stdout, "import 450 records") {
			t.Fatalf("dry run without --json: %v exit %d\n%s\n%s", err, res.Code, res.Stdout, res.Stderr)
		}
	})
}

// TestMigrate_BadInput: refusals that say why and change nothing, then a
// migration without the user's key that stops at the identity update
// (Rhizome pods do not sign PLC operations for their users) and is
// finished by a run with the key.
func TestMigrate_BadInput(t *testing.T) {
	w := newWorld(t)
	a, b := w.Pod(""), w.Pod("")
	ca, cb := podtest.NewClient(a), podtest.NewClient(b)
	acct := w.create(a, "erin")
	other := w.create(a, "frank")
	fill(t, ca, acct, 20, 2)
	before := takeSnapshot(t, w, acct, ca, cb)
	down := "http://" + podtest.FreeAddr(t)
	replace := func(args []string, flag, value string) []string {
		out := slices.Clone(args)
		out[slices.Index(out, flag)+1] = value
		return out
	}
	args := w.migrateArgs(acct, a, b)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"wrong password", replace(args, "--password-file", w.File("wrong", "not-her-password\n")), "the old pod refused"},
		{"unknown account", replace(args, "--account", "nobody.test"), "the old pod refused"},
		{"unreachable new pod", replace(args, "--to", down), "the new pod " + down + " does not answer"},
		{"unreachable old pod", replace(args, "--from", down), "the old pod " + down + " does not answer"},
		{"the same pod", replace(args, "--to", a.URL("")+"/"), "--from and --to are the same pod"},
		{"the same pod by another name", replace(args, "--to", strings.Replace(a.URL(""), "127.0.0.1", "localhost", 1)), "--from and --to are the same pod"},
		{"someone else's key", replace(args, "--phrase-file", other.phraseFile), "is not a rotation key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w.refused(c.args, c.want)
			if after := takeSnapshot(t, w, acct, ca, cb); after != before {
				t.Errorf("a refused migration changed something:\n before %+v\n after  %+v", before, after)
			}
		})
	}

	t.Run("no rotation key, then the key", func(t *testing.T) {
		noKey := slices.Clone(args)
		i := slices.Index(noKey, "--phrase-file")
		noKey = slices.Delete(noKey, i, i+2)
		m := w.refused(noKey, "run the same command again with --plc-token")
		if !strings.Contains(m.stderr, "--phrase-file") {
			t.Errorf("the refusal does not say how to go on: %s", m.stderr)
		}
		mid := takeSnapshot(t, w, acct, ca, cb)
		if mid.did != before.did || !mid.activeA || !mid.onB {
			t.Errorf("after stopping at the identity step: %+v; want the DID unchanged, pod A active, the account on pod B", mid)
		}
		if st, _ := repoStatus(t, cb, acct.DID); st.Active {
			t.Error("the account is active on pod B although the DID does not name it")
		}
		dry := w.mustMigrate(append(slices.Clone(args), "--dry-run"))
		wantDry := map[string]string{"sign in": "checked", "account": "already", "repository": "already", "blobs": "already",
			"preferences": "already", "identity": "would", "activate": "would", "verify": "would", "deactivate old": "would"}
		for _, s := range dry.last().Result.Steps {
			if s.Status != wantDry[s.Name] {
				t.Errorf("dry run after a partial migration: %s %s (%s); want %s", s.Name, s.Status, s.Detail, wantDry[s.Name])
			}
		}
		if again := takeSnapshot(t, w, acct, ca, cb); again != mid {
			t.Errorf("the dry run changed something:\n before %+v\n after  %+v", mid, again)
		}
		done := w.mustMigrate(args)
		for _, s := range done.last().Result.Steps {
			if s.Name == "account" && s.Status != "already" {
				t.Errorf("the run with the key: account step %s; want already (made by the first run)", s.Status)
			}
		}
		if st, _ := repoStatus(t, ca, acct.DID); st.Active {
			t.Error("pod A's account is still active after the migration")
		}
	})
}
