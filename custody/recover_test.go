package custody

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/plc"
)

func TestTool_Recover(t *testing.T) {
	t.Run("within the window", func(t *testing.T) {
		f := newFixture(t)
		bad := f.hijack()
		f.advance(71 * time.Hour)
		ch, p, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Nullified, []cid.CID{bad.CID}) || len(p.Keys) != 1 || p.Keys[0] != f.host.PublicKey().DIDKey() {
			t.Fatalf("nullified %v signed by %v", ch.Nullified, p.Keys)
		}
		if f.pds() != "https://pod-a.example" || !slices.Equal(f.data().RotationKeys, []string{f.user.PublicKey().DIDKey()}) {
			t.Fatalf("state after recovery: %+v", f.data())
		}
		if e := logOf(t, f)[1]; e.CID != bad.CID || !e.Nullified {
			t.Fatalf("the hijack is not nullified: %+v", e)
		}
	})
	t.Run("keep keys and repoint", func(t *testing.T) {
		f := newFixture(t)
		f.hijack()
		ch, _, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{KeepKeys: true, PDS: "https://pod-c.example"})
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := ch.Data.PDS(); p != "https://pod-c.example" || len(ch.Data.RotationKeys) != 2 {
			t.Fatalf("state: %+v", ch.Data)
		}
	})
	t.Run("several hostile operations", func(t *testing.T) {
		f := newFixture(t)
		first := f.hijack()
		f.hostDoes(func(o *plc.Operation) { o.AlsoKnownAs = []string{"at://thief.test"} })
		ch, _, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Nullified) != 2 || ch.Nullified[0] != first.CID {
			t.Fatalf("nullified %v; want the hijack and what followed", ch.Nullified)
		}
	})
	t.Run("an old accepted host change stays", func(t *testing.T) {
		f := newFixture(t)
		f.hostDoes(func(o *plc.Operation) { o.AlsoKnownAs = []string{"at://alice2.test"} })
		f.advance(100 * time.Hour)
		bad := f.hijack()
		ch, _, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := ch.Data.Handle(); !slices.Equal(ch.Nullified, []cid.CID{bad.CID}) || h != "alice2.test" {
			t.Fatalf("nullified %v, handle %s; want only the hijack undone", ch.Nullified, h)
		}
	})
}

func TestTool_PlanRecovery_Refusals(t *testing.T) {
	t.Run("past the window", func(t *testing.T) {
		f := newFixture(t)
		bad := f.hijack()
		f.advance(plc.RecoveryWindow + time.Second)
		_, err := f.tool.PlanRecovery(ctx, f.did, f.user.PublicKey().DIDKey(), cid.CID{})
		var we *WindowError
		if !errors.As(err, &we) || !rhizome.Is(err, rhizome.Forbidden) {
			t.Fatalf("got %v; want a WindowError", err)
		}
		msg := err.Error()
		for _, want := range []string{bad.CID.String(), stamp(bad.CreatedAt), stamp(bad.CreatedAt.Add(plc.RecoveryWindow)), stamp(f.now), "1s past"} {
			if !strings.Contains(msg, want) {
				t.Errorf("the refusal does not say %q: %s", want, msg)
			}
		}
		if _, _, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{}); !errors.As(err, &we) {
			t.Fatalf("Recover: got %v; want a WindowError", err)
		}
		if n := len(logOf(t, f)); n != 2 {
			t.Fatalf("a refused recovery wrote: %d operations", n)
		}
	})
	t.Run("exactly at the deadline", func(t *testing.T) {
		f := newFixture(t)
		f.hijack()
		f.advance(plc.RecoveryWindow) // an operation exactly 72 hours old can still be nullified
		if _, _, err := f.tool.Recover(ctx, f.did, f.user, RecoverOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nothing to recover", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.tool.SetHandle(ctx, f.did, f.user, "bob.test"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.tool.PlanRecovery(ctx, f.did, f.user.PublicKey().DIDKey(), cid.CID{}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("got %v; want Invalid", err)
		}
	})
	t.Run("only the genesis", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.tool.PlanRecovery(ctx, f.did, f.user.PublicKey().DIDKey(), cid.CID{}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("got %v; want Invalid", err)
		}
	})
	t.Run("outranked", func(t *testing.T) {
		f := newFixtureOrder(t, true)
		f.hijack()
		_, err := f.tool.PlanRecovery(ctx, f.did, f.user.PublicKey().DIDKey(), cid.CID{})
		if !rhizome.Is(err, rhizome.Forbidden) || !strings.Contains(err.Error(), "does not outrank") {
			t.Fatalf("got %v; want Forbidden, does not outrank", err)
		}
	})
	t.Run("from an operation that is not a candidate", func(t *testing.T) {
		f := newFixture(t)
		f.hijack()
		genesis := logOf(t, f)[0].CID
		if _, err := f.tool.PlanRecovery(ctx, f.did, f.user.PublicKey().DIDKey(), genesis); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("got %v; want Invalid", err)
		}
	})
}
