package migrate

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestMigrate_OldRhizomePodSigns moves an account off a Rhizome pod
// without the user's own key, as with a reference PDS: the first run
// has the old pod issue a PLC token (written to the old pod's log) and
// stops; the second, with --plc-token, has the old pod sign the move
// (signPlcOperation) and the new pod submit it (submitPlcOperation).
func TestMigrate_OldRhizomePodSigns(t *testing.T) {
	w := newWorld(t)
	a, b := w.Pod(""), w.Pod("")
	ca, cb := podtest.NewClient(a), podtest.NewClient(b)
	acct := w.create(a, "gina")
	want := fill(t, ca, acct, 20, 2)
	before, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
	if err != nil {
		t.Fatal(err)
	}
	args := w.migrateArgs(acct, a, b)
	i := slices.Index(args, "--phrase-file")
	args = slices.Delete(args, i, i+2)

	w.refused(args, "run the same command again with --plc-token")
	if mid, _ := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID)); mid == nil || !slices.Equal(mid.RotationKeys, before.RotationKeys) {
		t.Fatalf("the first run changed the DID: %+v", mid)
	}
	tok := tokenInLog(t, a, acct.DID)
	t.Run("a wrong token", func(t *testing.T) {
		w.refused(append(slices.Clone(args), "--plc-token", "AAAAA-BBBBB"), "Token is invalid")
	})
	// The wrong token did not use up the right one.
	w.mustMigrate(append(slices.Clone(args), "--plc-token", tok))

	checkComplete(t, w, acct, b.URL(""), cb, want, "", nil)
	after, err := w.Dir.Client().Data(context.Background(), syntax.DID(acct.DID))
	if err != nil {
		t.Fatal(err)
	}
	// The old pod signed the new pod's recommended rotation keys (what
	// custody asks for when the user's key is not at hand).
	if slices.Equal(after.RotationKeys, before.RotationKeys) {
		t.Errorf("rotation keys unchanged: %v", after.RotationKeys)
	}
	if st, ok := repoStatus(t, ca, acct.DID); !ok || st.Active {
		t.Errorf("pod A's account: %+v (found %v); want deactivated", st, ok)
	}
	checkGoLive(t, b, cb, acct.DID)
}

var logToken = regexp.MustCompile(`token"?[=:]"?([A-Z2-7]{5}-[A-Z2-7]{5})`)

// tokenInLog is the newest PLC operation token pod p's log gives did.
func tokenInLog(t *testing.T, p *podtest.Pod, did string) string {
	t.Helper()
	tok := ""
	for _, l := range strings.Split(p.Logs.String(), "\n") {
		if m := logToken.FindStringSubmatch(l); m != nil && strings.Contains(l, did) {
			tok = m[1]
		}
	}
	if tok == "" {
		t.Fatalf("no PLC operation token for %s in the old pod's log:\n%s", did, p.Logs.String())
	}
	return tok
}
