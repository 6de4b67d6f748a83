package identity

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

const elsewhere = "https://elsewhere.example"

// hijack is what pod A's host does with its own rotation key: repoint the
// DID elsewhere with a new signing key and drop the user's rotation key.
// It returns the operation's log entry.
func hijack(t *testing.T, w *world, dataA, did string) plc.LogEntry {
	t.Helper()
	ctx := context.Background()
	host := podtest.HostRotationKey(t, dataA)
	last, err := w.Dir.Dir.LastOp(ctx, didOf(t, did))
	must(t, err, "read the last operation")
	thief, err := keys.Generate(keys.K256)
	must(t, err, "make the thief's key")
	op, err := plc.Update(last, func(o *plc.Operation) {
		o.RotationKeys = []string{host.PublicKey().DIDKey()}
		o.VerificationMethods[plc.VerificationMethodAtproto] = thief.PublicKey().DIDKey()
		o.Services[plc.ServiceAtprotoPDS] = plc.Service{Type: plc.ServiceTypePDS, Endpoint: elsewhere}
	})
	must(t, err, "build the hostile operation")
	must(t, op.Sign(host), "sign the hostile operation")
	must(t, w.Dir.Client().Submit(ctx, didOf(t, did), op), "the directory refused the host's operation")
	data, err := w.Dir.Client().VerifiedData(ctx, didOf(t, did))
	must(t, err, "read the hijacked DID")
	if pds, _ := data.PDS(); pds != elsewhere {
		t.Fatalf("the hijack did not take: PDS %q", pds)
	}
	return lastEntry(t, w, did)
}

func lastEntry(t *testing.T, w *world, did string) plc.LogEntry {
	t.Helper()
	log, err := w.Dir.Dir.AuditLog(context.Background(), didOf(t, did))
	must(t, err, "read the audit log")
	return log[len(log)-1]
}

// auditOut is the part of `identity audit --json` the tests read.
type auditOut struct {
	Valid    bool
	Findings []struct{ Severity, Op, What string }
}

func (a auditOut) has(sev, op, what string) bool {
	return slices.ContainsFunc(a.Findings, func(f struct{ Severity, Op, What string }) bool {
		return f.Severity == sev && f.Op == op && strings.Contains(f.What, what)
	})
}

func (w *world) audit(did, owner string) (auditOut, int) {
	w.T.Helper()
	r := w.cli("audit", did, "--owner", owner, "--json")
	var out auditOut
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		w.T.Fatalf("audit --json: %v\nstdout: %s\nstderr: %s", err, r.Stdout, r.Stderr)
	}
	return out, r.Code
}

// TestHostileHost_Recover: pod A's host key repoints the DID and drops the
// user's key; the audit flags it; `rhizome identity recover` with the
// phrase nullifies it; the DID names pod A and the user's key again, the
// host key is gone from it, and pod A serves and writes the account.
func TestHostileHost_Recover(t *testing.T) {
	w := newWorld(t)
	dataA := t.TempDir()
	a := w.Pod(dataA)
	acct, phrase := w.create(a, "alice")
	before, err := w.Dir.Client().VerifiedData(context.Background(), didOf(t, acct.DID))
	must(t, err, "read the DID")
	bad := hijack(t, w, dataA, acct.DID)

	rep, code := w.audit(acct.DID, acct.RotationKey)
	if code == 0 || !rep.Valid || !rep.has("alert", bad.CID.String(), "removed your rotation key") ||
		!rep.has("warning", bad.CID.String(), "repointed the PDS") {
		t.Fatalf("audit (exit %d) does not flag the hijack: %+v", code, rep)
	}

	var ch struct {
		CID       string
		Nullified []string
	}
	w.mustCLI(&ch, "recover", "--did", acct.DID, "--phrase-file", phrase)
	if !slices.Equal(ch.Nullified, []string{bad.CID.String()}) {
		t.Fatalf("recover nullified %v; want the hijack %s", ch.Nullified, bad.CID)
	}
	checkRecovered(t, w, acct, a, before, bad)
	checkHostLockedOut(t, w, dataA, acct.DID)

	rep, code = w.audit(acct.DID, acct.RotationKey)
	if code != 0 || !rep.has("warning", bad.CID.String(), "undone") || !rep.has("note", bad.CID.String(), "nullified by operation "+ch.CID) {
		t.Errorf("audit after the recovery (exit %d): %+v", code, rep)
	}
}

// checkRecovered: the DID's state is the one before the hijack, less the
// host's rotation key; the hijack is nullified; pod A serves the account.
func checkRecovered(t *testing.T, w *world, acct created, a *podtest.Pod, before *plc.Data, bad plc.LogEntry) {
	t.Helper()
	data, err := w.Dir.Client().VerifiedData(context.Background(), didOf(t, acct.DID))
	must(t, err, "read the recovered DID")
	if pds, _ := data.PDS(); pds != a.URL("") {
		t.Errorf("after recovery the PDS is %q, not pod A %s", pds, a.URL(""))
	}
	if got, want := data.VerificationMethods["atproto"], before.VerificationMethods["atproto"]; got != want {
		t.Errorf("after recovery the signing key is %s, not pod A's %s", got, want)
	}
	if !slices.Equal(data.RotationKeys, []string{acct.RotationKey}) {
		t.Errorf("after recovery the rotation keys are %v; want only the user's", data.RotationKeys)
	}
	log, _ := w.Dir.Dir.AuditLog(context.Background(), didOf(t, acct.DID))
	for _, e := range log {
		if e.CID == bad.CID && !e.Nullified {
			t.Errorf("the hijack %s is not nullified", bad.CID)
		}
	}
	c := podtest.NewClient(a)
	var res struct{ DID string }
	c.MustQuery(t, "com.atproto.identity.resolveHandle", url.Values{"handle": {acct.Handle}}, &res)
	tok := podtest.Session(t, c, acct.Handle, "password-alice")
	rec := map[string]any{"$type": "app.bsky.feed.post", "text": "mine again", "createdAt": time.Now().UTC().Format("2006-01-02T15:04:05.000Z")}
	c.MustCall(t, "com.atproto.repo.createRecord", tok, map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": rec}, nil)
	if res.DID != acct.DID {
		t.Errorf("pod A resolves %s to %s", acct.Handle, res.DID)
	}
}

// checkHostLockedOut: the host's key can no longer change the DID.
func checkHostLockedOut(t *testing.T, w *world, dataA, did string) {
	t.Helper()
	host := podtest.HostRotationKey(t, dataA)
	last, err := w.Dir.Dir.LastOp(context.Background(), didOf(t, did))
	must(t, err, "read the last operation")
	op, err := plc.Update(last, func(o *plc.Operation) {
		o.Services[plc.ServiceAtprotoPDS] = plc.Service{Type: plc.ServiceTypePDS, Endpoint: elsewhere}
	})
	must(t, err, "build")
	must(t, op.Sign(host), "sign")
	if err := w.Dir.Client().Submit(context.Background(), didOf(t, did), op); err == nil {
		t.Errorf("the host's key changed the DID again after the recovery")
	}
}

// TestHostileHost_TooLate: past 72 hours a recovery is refused, by the
// tool before it signs anything (its clock) and by the directory (its
// clock), and the tool says why, quoting the times; the log is unchanged.
func TestHostileHost_TooLate(t *testing.T) {
	w := newWorld(t)
	dataA := t.TempDir()
	a := w.Pod(dataA)

	t.Run("tool refuses", func(t *testing.T) {
		w.Dir.SetOffset(-100 * time.Hour)
		acct, phrase := w.create(a, "bob")
		bad := hijack(t, w, dataA, acct.DID)
		w.Dir.SetOffset(0)
		deadline := bad.CreatedAt.Add(plc.RecoveryWindow)
		for _, extra := range [][]string{{"--dry-run"}, nil} {
			r := w.cli(append([]string{"recover", "--did", acct.DID, "--phrase-file", phrase}, extra...)...)
			for _, want := range []string{"recovery window", bad.CID.String(), stamp(bad.CreatedAt), stamp(deadline), "72h0m0s"} {
				if r.Code == 0 || !strings.Contains(r.Stderr, want) {
					t.Errorf("recover %v: exit %d, stderr lacks %q:\n%s", extra, r.Code, want, r.Stderr)
				}
			}
		}
		if got := lastEntry(t, w, acct.DID); got.CID != bad.CID || got.Nullified {
			t.Errorf("the refused recovery changed the log: head %s", got.CID)
		}
	})
	t.Run("directory refuses", func(t *testing.T) {
		acct, phrase := w.create(a, "carol")
		bad := hijack(t, w, dataA, acct.DID)
		w.Dir.SetOffset(100 * time.Hour) // the directory is past the window, this machine is not
		defer w.Dir.SetOffset(0)
		r := w.cli("recover", "--did", acct.DID, "--phrase-file", phrase)
		for _, want := range []string{"can no longer be nullified", bad.CID.String(), "by this machine's clock the window closes at " + stamp(bad.CreatedAt.Add(plc.RecoveryWindow))} {
			if r.Code == 0 || !strings.Contains(r.Stderr, want) {
				t.Errorf("recover: exit %d, stderr lacks %q:\n%s", r.Code, want, r.Stderr)
			}
		}
		if got := lastEntry(t, w, acct.DID); got.CID != bad.CID || got.Nullified {
			t.Errorf("the refused recovery changed the log: head %s", got.CID)
		}
	})
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
