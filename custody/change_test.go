package custody

import (
	"context"
	"slices"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestTool_Changes(t *testing.T) {
	f := newFixture(t)
	newSigning, extra := genKey(t).PublicKey().DIDKey(), genKey(t).PublicKey().DIDKey()
	cases := []struct {
		name  string
		do    func() (*Change, error)
		check func(*plc.Data) bool
	}{
		{"rotate signing key", func() (*Change, error) { return f.tool.RotateSigningKey(ctx, f.did, f.user, newSigning) },
			func(d *plc.Data) bool { return d.VerificationMethods["atproto"] == newSigning }},
		{"set pds", func() (*Change, error) { return f.tool.SetPDS(ctx, f.did, f.user, "https://pod-b.example/", "") },
			func(d *plc.Data) bool { p, _ := d.PDS(); return p == "https://pod-b.example" }},
		{"set handle", func() (*Change, error) { return f.tool.SetHandle(ctx, f.did, f.user, "at://Alice.Example.COM") },
			func(d *plc.Data) bool { h, _ := d.Handle(); return h == "alice.example.com" && len(d.AlsoKnownAs) == 1 }},
		{"add rotation key first", func() (*Change, error) { return f.tool.AddRotationKey(ctx, f.did, f.user, extra, 0) },
			func(d *plc.Data) bool { return len(d.RotationKeys) == 3 && d.RotationKeys[0] == extra }},
		{"remove rotation key", func() (*Change, error) {
			return f.tool.RemoveRotationKey(ctx, f.did, f.user, f.host.PublicKey().DIDKey())
		}, func(d *plc.Data) bool { return !slices.Contains(d.RotationKeys, f.host.PublicKey().DIDKey()) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.advance(1)
			ch, err := c.do()
			if err != nil {
				t.Fatal(err)
			}
			if head := f.last(); head.CID != ch.CID || head.Nullified {
				t.Fatalf("the directory's head is %s, the change %s", head.CID, ch.CID)
			}
			if !c.check(ch.Data) || !c.check(f.data()) {
				t.Fatalf("the change did not take: %+v", ch.Data)
			}
		})
	}
}

func TestTool_ChangeRefusals(t *testing.T) {
	f := newFixture(t)
	stranger := genKey(t)
	cases := []struct {
		name string
		err  error
		kind rhizome.Kind
	}{
		{"remove own key", second(f.tool.RemoveRotationKey(ctx, f.did, f.user, f.user.PublicKey().DIDKey())), rhizome.Invalid},
		{"add existing key", second(f.tool.AddRotationKey(ctx, f.did, f.user, f.host.PublicKey().DIDKey(), -1)), rhizome.Exists},
		{"remove absent key", second(f.tool.RemoveRotationKey(ctx, f.did, f.user, stranger.PublicKey().DIDKey())), rhizome.NotFound},
		{"pds with a path", second(f.tool.SetPDS(ctx, f.did, f.user, "https://pod.example/xrpc", "")), rhizome.Invalid},
		{"pds not http", second(f.tool.SetPDS(ctx, f.did, f.user, "ftp://pod.example", "")), rhizome.Invalid},
		{"bad signing key", second(f.tool.RotateSigningKey(ctx, f.did, f.user, "did:key:nope")), rhizome.Invalid},
		{"bad handle", second(f.tool.SetHandle(ctx, f.did, f.user, "not a handle")), rhizome.Invalid},
		{"signer not a rotation key", second(f.tool.SetHandle(ctx, f.did, stranger, "bob.test")), rhizome.Forbidden},
		{"not a did:plc", second(f.tool.SetHandle(ctx, "did:web:example.com", f.user, "bob.test")), rhizome.Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !rhizome.Is(c.err, c.kind) {
				t.Fatalf("got %v; want kind %s", c.err, c.kind)
			}
		})
	}
	if n := len(logOf(t, f)); n != 1 {
		t.Errorf("refused changes left %d operations in the log; want 1", n)
	}
}

func second[T any](_ T, err error) error { return err }

func logOf(t *testing.T, f *fixture) []plc.LogEntry {
	t.Helper()
	log, err := f.dir.AuditLog(ctx, f.did)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// lying wraps a directory and misbehaves in one way.
type lying struct {
	*plc.Directory
	dropSubmits bool
	otherPDS    bool
}

func (l *lying) Submit(ctx context.Context, did syntax.DID, op *plc.Operation) error {
	if l.dropSubmits {
		return nil // says yes, does nothing
	}
	return l.Directory.Submit(ctx, did, op)
}

func (l *lying) Resolve(ctx context.Context, did syntax.DID) (*plc.Document, error) {
	doc, err := l.Directory.Resolve(ctx, did)
	if err == nil && l.otherPDS {
		doc.Service[0].ServiceEndpoint = "https://evil.example"
	}
	return doc, err
}

func TestTool_VerifiesTheDirectory(t *testing.T) {
	f := newFixture(t)
	t.Run("accepted but not applied", func(t *testing.T) {
		tool := &Tool{Dir: &lying{Directory: f.dir, dropSubmits: true}, Now: f.tool.Now}
		if _, err := tool.SetHandle(ctx, f.did, f.user, "bob.test"); !rhizome.Is(err, rhizome.Conflict) {
			t.Fatalf("got %v; want a Conflict", err)
		}
	})
	t.Run("document the log does not imply", func(t *testing.T) {
		tool := &Tool{Dir: &lying{Directory: f.dir, otherPDS: true}, Now: f.tool.Now}
		if _, err := tool.SetHandle(ctx, f.did, f.user, "bob.test"); !rhizome.Is(err, rhizome.Corrupt) {
			t.Fatalf("change: got %v; want Corrupt", err)
		}
		if _, err := tool.Show(ctx, f.did, ""); !rhizome.Is(err, rhizome.Corrupt) {
			t.Fatalf("show: got %v; want Corrupt", err)
		}
	})
}
