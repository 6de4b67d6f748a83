package custody

import (
	"context"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

var ctx = context.Background()

// fixture is a DID on an in-process directory whose clock the test moves,
// created as a pod does: the user's key first, the host's second, the
// genesis signed by the host.
type fixture struct {
	t          *testing.T
	dir        *plc.Directory
	tool       *Tool
	now        time.Time
	user, host keys.Signer
	did        syntax.DID
}

func newFixture(t *testing.T) *fixture {
	return newFixtureOrder(t, false)
}

// newFixtureOrder makes the DID; hostFirst puts the host's key first.
func newFixtureOrder(t *testing.T, hostFirst bool) *fixture {
	t.Helper()
	st := &memPLC{logs: map[syntax.DID][]store.PLCEntry{}}
	f := &fixture{t: t, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), user: genKey(t), host: genKey(t)}
	clock := func() time.Time { return f.now }
	f.dir = plc.NewDirectory(st, clock)
	f.tool = &Tool{Dir: f.dir, Now: clock}
	rot := []string{f.user.PublicKey().DIDKey(), f.host.PublicKey().DIDKey()}
	if hostFirst {
		rot[0], rot[1] = rot[1], rot[0]
	}
	g, err := plc.Genesis(rot, genKey(t).PublicKey().DIDKey(), "alice.test", "https://pod-a.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Sign(f.host); err != nil {
		t.Fatal(err)
	}
	if f.did, err = g.DID(); err != nil {
		t.Fatal(err)
	}
	if err := f.dir.Submit(ctx, f.did, g); err != nil {
		t.Fatal(err)
	}
	return f
}

func genKey(t *testing.T) keys.Signer {
	t.Helper()
	k, err := keys.Generate(keys.K256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// hostDoes submits an operation signed by the host's key.
func (f *fixture) hostDoes(mutate func(*plc.Operation)) plc.LogEntry {
	f.t.Helper()
	f.advance(time.Minute)
	last, err := f.dir.LastOp(ctx, f.did)
	if err != nil {
		f.t.Fatal(err)
	}
	op, err := plc.Update(last, mutate)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := op.Sign(f.host); err != nil {
		f.t.Fatal(err)
	}
	if err := f.dir.Submit(ctx, f.did, op); err != nil {
		f.t.Fatalf("the directory refused the host's operation: %v", err)
	}
	return f.last()
}

// hijack is a hostile host: the PDS repointed, the user's key dropped.
func (f *fixture) hijack() plc.LogEntry {
	return f.hostDoes(func(o *plc.Operation) {
		o.RotationKeys = []string{f.host.PublicKey().DIDKey()}
		o.Services[plc.ServiceAtprotoPDS] = plc.Service{Type: plc.ServiceTypePDS, Endpoint: "https://elsewhere.example"}
	})
}

func (f *fixture) last() plc.LogEntry {
	f.t.Helper()
	log, err := f.dir.AuditLog(ctx, f.did)
	if err != nil {
		f.t.Fatal(err)
	}
	return log[len(log)-1]
}

func (f *fixture) data() *plc.Data {
	f.t.Helper()
	d, err := f.dir.Data(ctx, f.did)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *fixture) pds() string {
	p, _ := f.data().PDS()
	return p
}
