package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
)

// crasher runs kill cycles against one data folder.
type crasher struct {
	t     *testing.T
	bin   string
	dir   string
	addr  string
	rng   *rand.Rand
	p     *pod
	c     *client
	accts []account
	keys  []keys.PublicKey
	m     *model
	stats crashStats
}

type crashStats struct {
	acked, inFlight, landed, ops int
}

func envInt(t testing.TB, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func TestCrash_SIGKILL(t *testing.T) {
	kills := int(envInt(t, "RHIZOME_CRASH_KILLS", 50))
	seed := envInt(t, "RHIZOME_CRASH_SEED", time.Now().UnixNano())
	t.Logf("seed %d (set RHIZOME_CRASH_SEED=%d to replay the same choices), %d kills", seed, seed, kills)
	cr := &crasher{t: t, bin: podBinary(t), dir: t.TempDir(), addr: freeAddr(t), rng: rand.New(rand.NewSource(seed)), m: newModel()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d; last pod log:\n%s", seed, cr.p.Logs)
		}
		cr.p.Kill()
	})
	cr.setUp()
	start := time.Now()
	for n := 1; n <= kills; n++ {
		cr.cycle(n)
		if t.Failed() {
			t.Fatalf("stopping after kill %d of %d (seed %d)", n, kills, seed)
		}
	}
	s := cr.stats
	t.Logf("%d kills in %v: %d requests, %d acknowledged, %d cut off in flight (%d of those landed)",
		kills, time.Since(start).Round(time.Millisecond), s.ops, s.acked, s.inFlight, s.landed)
	if s.acked == 0 || s.inFlight == 0 {
		t.Errorf("the kills tested nothing: %d acknowledged writes, %d in flight", s.acked, s.inFlight)
	}
	cr.p.Stop()
}

func (cr *crasher) setUp() {
	cr.p = startPod(cr.t, cr.bin, cr.dir, cr.addr)
	cr.c = newClient(cr.p)
	for i := range numAccounts {
		a := createAccount(cr.t, cr.c, fmt.Sprintf("crash%d", i))
		cr.accts = append(cr.accts, a)
		cr.keys = append(cr.keys, signingKey(cr.t, cr.c, a.did))
	}
}

// cycle runs the writers, kills the pod at a random moment, restarts it
// and checks what survived.
func (cr *crasher) cycle(n int) {
	ws := make([]*writer, numWriters)
	for i := range ws {
		ws[i] = newWriter(cr.m, i, n, cr.rng.Int63(), cr.c, cr.accts)
	}
	delay := time.Duration(5+cr.rng.Intn(146)) * time.Millisecond
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() { w.run(context.Background(), stop) })
	}
	time.Sleep(delay)
	cr.p.Kill()
	close(stop)
	wg.Wait()
	cr.c.Close()
	cr.p = startPod(cr.t, cr.bin, cr.dir, cr.addr)
	cr.c = newClient(cr.p)
	cr.verify(n, delay, ws)
}

// verify checks every repository after a restart and moves the model on.
func (cr *crasher) verify(n int, delay time.Duration, ws []*writer) {
	t := cr.t
	views := make([]repoView, numAccounts)
	for i, a := range cr.accts {
		views[i] = fetchRepo(t, cr.c, a.did, cr.keys[i])
		checkIndex(t, cr.c, a.did, views[i])
	}
	e := expect(t, cr.m, ws)
	e.check(t, cr.c, cr.accts, views)
	orphans := len(e.orphans)
	e.update(t, ws, cr.accts, views)
	landed := e.landed(views) + orphans - len(e.orphans)
	cr.count(ws, len(e.unknown), landed)
	t.Logf("kill %d after %v: %s; %d in flight, %d landed", n, delay, summarize(ws), len(e.unknown), landed)
}

func (cr *crasher) count(ws []*writer, inFlight, landed int) {
	for _, w := range ws {
		for _, o := range w.ops {
			cr.stats.ops++
			if o.outcome == acked {
				cr.stats.acked++
			}
		}
	}
	cr.stats.inFlight += inFlight
	cr.stats.landed += landed
}

func summarize(ws []*writer) string {
	var parts []string
	for _, w := range ws {
		n := 0
		for _, o := range w.ops {
			if o.outcome == acked {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("w%d %d/%d acked", w.id, n, len(w.ops)))
	}
	return strings.Join(parts, ", ")
}

func TestCrash_DataFolderLocked(t *testing.T) {
	bin := podBinary(t)
	dir := t.TempDir()
	first := startPod(t, bin, dir, freeAddr(t))
	defer first.Kill()
	out, err := runOnce(context.Background(), bin, serveArgs(dir, freeAddr(t))...)
	if err == nil {
		t.Fatalf("a second serve on %s started (exit 0); output:\n%s", dir, out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
		t.Fatalf("second serve did not exit by itself with an error status: %v\n%s", err, out)
	}
	if !strings.Contains(out, dir) || !strings.Contains(out, "in use") {
		t.Errorf("second serve's message does not say %s is in use:\n%s", dir, out)
	}
	c := newClient(first)
	defer c.Close()
	createAccount(t, c, "stillhere")
	first.Stop()
}
