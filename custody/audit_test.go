package custody

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// has reports a finding of severity sev on op whose text contains what.
func (r *Report) has(sev Severity, op, what string) bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool {
		return f.Severity == sev && f.Op == op && strings.Contains(f.What, what)
	})
}

func TestTool_Audit(t *testing.T) {
	f := newFixture(t)
	mine := f.user.PublicKey().DIDKey()
	t.Run("a fresh account", func(t *testing.T) {
		r, err := f.tool.Audit(ctx, f.did, "")
		if err != nil {
			t.Fatal(err)
		}
		if !r.Valid || r.Owner != mine || !r.OwnerAssumed || r.Worst() != "" {
			t.Fatalf("report: %+v", r)
		}
	})
	bad := f.hijack()
	t.Run("a hijack", func(t *testing.T) {
		r, err := f.tool.Audit(ctx, f.did, mine)
		if err != nil {
			t.Fatal(err)
		}
		op := bad.CID.String()
		for _, want := range []struct {
			sev  Severity
			what string
		}{{Alert, "removed your rotation key"}, {Warning, "repointed the PDS"}, {Warning, "still undoable until"}, {Alert, "is not a rotation key of the DID now"}} {
			if !r.has(want.sev, op, want.what) {
				t.Errorf("no %s %q in %+v", want.sev, want.what, r.Findings)
			}
		}
		if r.Worst() != Alert || r.OwnerAssumed {
			t.Errorf("worst %s, assumed %t", r.Worst(), r.OwnerAssumed)
		}
	})
	f.advance(time.Hour)
	ch, _, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("after the recovery", func(t *testing.T) {
		r, err := f.tool.Audit(ctx, f.did, mine)
		if err != nil {
			t.Fatal(err)
		}
		op := bad.CID.String()
		if r.Worst() != Warning || !r.has(Warning, op, "undone") || !r.has(Note, op, "nullified by operation "+ch.CID.String()) {
			t.Errorf("findings: %+v", r.Findings)
		}
		if len(r.Operations) != 3 || !r.Operations[1].Nullified || r.Operations[2].SignerRank != 1 {
			t.Errorf("operations: %+v", r.Operations)
		}
	})
}

func TestTool_Audit_LowerKeyDemotes(t *testing.T) {
	f := newFixture(t)
	mine, host := f.user.PublicKey().DIDKey(), f.host.PublicKey().DIDKey()
	op := f.hostDoes(func(o *plc.Operation) { o.RotationKeys = []string{host, mine} })
	r, err := f.tool.Audit(ctx, f.did, mine)
	if err != nil {
		t.Fatal(err)
	}
	if !r.has(Alert, op.CID.String(), "demoted your rotation key") || !r.has(Warning, op.CID.String(), "your key is rotation key 2 now") {
		t.Errorf("findings: %+v", r.Findings)
	}
}

// tampered serves a log with one nullified flag flipped.
type tampered struct{ *plc.Directory }

func (d tampered) AuditLog(c context.Context, did syntax.DID) ([]plc.LogEntry, error) {
	log, err := d.Directory.AuditLog(c, did)
	if err == nil {
		log[len(log)-1].Nullified = true
	}
	return log, err
}

func TestTool_Audit_InvalidLog(t *testing.T) {
	f := newFixture(t)
	f.hostDoes(func(o *plc.Operation) { o.AlsoKnownAs = []string{"at://x.test"} })
	tool := &Tool{Dir: tampered{f.dir}, Now: f.tool.Now}
	r, err := tool.Audit(ctx, f.did, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Valid || r.Problem == "" || r.Worst() != Alert {
		t.Fatalf("report of a tampered log: %+v", r)
	}
	if _, err := tool.SetHandle(ctx, f.did, f.user, "bob.test"); err == nil {
		t.Fatal("a change was built on a log that breaks the rules")
	}
}

func TestTool_Show(t *testing.T) {
	f := newFixture(t)
	s, err := f.tool.Show(ctx, f.did, f.user.PublicKey().DIDKey())
	if err != nil {
		t.Fatal(err)
	}
	if s.Yours != 1 || s.Handle != "alice.test" || s.PDS != "https://pod-a.example" || s.Operations != 1 || len(s.Powers) != 4 {
		t.Fatalf("summary: %+v", s)
	}
	if !strings.Contains(s.Powers[0], "(yours)") || !strings.Contains(s.Powers[1], "can be undone within 72h0m0s by the 1 key(s) above it") {
		t.Errorf("powers: %q", s.Powers)
	}
}
