package loadtest

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// runner holds the state of one Run.
type runner struct {
	cfg      Config
	c        *client
	domain   string
	invites  bool // the server requires invite codes
	accounts []account

	mu      sync.Mutex
	created []recordRef // records of the create phase, for get
	lastCAR []byte      // the last getRepo answer
	logMu   sync.Mutex  // one writer of Progress at a time
}

// Run loads the server at cfg.URL phase by phase and reports the figures.
// On an error after accounts exist it returns the report so far with it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, c: newClient(cfg.URL, cfg.Concurrency)}
	defer r.c.close()
	rep := r.newReport()
	if err := r.setup(ctx, rep); err != nil {
		return nil, err
	}
	err = r.phases(ctx, rep)
	rep.finish(cfg.PID)
	return rep, err
}

func (r *runner) newReport() *Report {
	return &Report{Bench: "atproto-pds", URL: r.cfg.URL, StartedAt: time.Now().UTC(),
		Machine:     Machine{CPUs: runtime.NumCPU(), LoadAvgStart: loadAvg()},
		Client:      "rhizome bench: Go net/http, keep-alive, one process",
		Concurrency: r.cfg.Concurrency, SingleRepo: r.cfg.SingleRepo, OpsPerPhase: r.cfg.Ops, Warmup: r.cfg.Warmup}
}

// setup reads the server's description and creates the bench accounts.
func (r *runner) setup(ctx context.Context, rep *Report) error {
	if err := r.describe(ctx); err != nil {
		return err
	}
	rep.ServerVersion = r.serverVersion(ctx)
	n := r.cfg.Concurrency
	if r.cfg.SingleRepo {
		n = 1
	}
	if !r.needsAccounts() {
		n = 0
	}
	r.logf("creating %d bench account(s) under %s", n, r.domain)
	for range n {
		a, err := r.createAccount(ctx)
		if err != nil {
			return err
		}
		r.accounts = append(r.accounts, a)
	}
	return nil
}

func (r *runner) needsAccounts() bool {
	return r.cfg.has(PhaseCreate) || r.cfg.has(PhaseList) || r.cfg.has(PhaseApply) || r.cfg.has(PhaseFanout)
}

// phases runs the configured phases in order, stopping at the first error.
func (r *runner) phases(ctx context.Context, rep *Report) error {
	steps := []struct {
		name string
		run  func(context.Context, *Report) (Phase, error)
	}{
		{PhaseCreate, r.createPhase}, {PhaseGet, r.getPhase}, {PhaseList, r.listPhase},
		{PhaseApply, r.applyPhase}, {PhaseGetRepo, r.getRepoPhase},
		{PhaseFanout, r.fanoutPhase}, {PhaseDrain, r.drainPhase},
	}
	for _, s := range steps {
		if !r.cfg.has(s.name) || (s.name == PhaseGetRepo && r.cfg.RepoRecords == 0) {
			continue
		}
		ph, err := s.run(ctx, rep)
		if ph.Name != "" {
			rep.Phases = append(rep.Phases, ph)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// acct is the account client w writes to.
func (r *runner) acct(w int) account {
	if r.cfg.SingleRepo {
		return r.accounts[0]
	}
	return r.accounts[w%len(r.accounts)]
}

// logf writes one progress line.
func (r *runner) logf(format string, args ...any) {
	if r.cfg.Progress == nil {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	clear := ""
	if r.cfg.Live {
		clear = "\r\x1b[K"
	}
	fmt.Fprintf(r.cfg.Progress, "%s[bench] "+format+"\n", append([]any{clear}, args...)...)
}

// live redraws "name done/total" on a terminal until the returned stop is
// called.
func (r *runner) live(name string, total int, done *atomic.Int64) (stop func()) {
	if r.cfg.Progress == nil || !r.cfg.Live {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				r.redraw(r.cfg.Progress, name, done.Load(), total)
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

func (r *runner) redraw(w io.Writer, name string, done int64, total int) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintf(w, "\r\x1b[K[bench] %s %d/%d", name, done, total)
}

// serverCPU is the server's CPU seconds so far, -1 without a PID.
func (r *runner) serverCPU() float64 { return procCPUSeconds(r.cfg.PID) }
