package loadtest

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// raiseFileLimit lifts this process's soft limit on open files to its hard
// limit, and fails when even that is below need (one descriptor per
// subscriber, plus the writers' connections).
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, rhizome.E("raise file limit", rhizome.Other, fmt.Errorf("read RLIMIT_NOFILE: %w", err))
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, rhizome.E("raise file limit", rhizome.Other, fmt.Errorf("set RLIMIT_NOFILE to %d: %w", lim.Max, err))
		}
	}
	if lim.Cur < need {
		return lim.Cur, rhizome.Errorf("raise file limit", rhizome.Invalid,
			"%d subscribers need about %d open files; the limit is %d (raise it with ulimit -Hn, or use fewer subscribers)",
			need-fileHeadroom, need, lim.Cur)
	}
	return lim.Cur, nil
}

// fileHeadroom is the descriptors counted beyond the subscribers.
const fileHeadroom = maxWritesInFlight + 64

// memPeak samples the resident memory of the server (when its PID is
// known) and of this process while a phase runs, keeping the largest.
type memPeak struct {
	pid            int
	quit           chan struct{}
	wg             sync.WaitGroup
	server, client float64 // largest VmRSS seen, kB
}

const memSampleEvery = 200 * time.Millisecond

// startMemPeak starts sampling; stop ends it.
func startMemPeak(pid int) *memPeak {
	m := &memPeak{pid: pid, quit: make(chan struct{})}
	m.sample()
	m.wg.Go(func() {
		t := time.NewTicker(memSampleEvery)
		defer t.Stop()
		for {
			select {
			case <-m.quit:
				return
			case <-t.C:
				m.sample()
			}
		}
	})
	return m
}

func (m *memPeak) sample() {
	if m.pid > 0 {
		m.server = max(m.server, rssKB(m.pid))
	}
	m.client = max(m.client, rssKB(os.Getpid()))
}

// stop ends sampling after a last sample and returns the peaks in MB.
func (m *memPeak) stop() (serverMB, clientMB float64) {
	close(m.quit)
	m.wg.Wait()
	m.sample()
	return round(m.server/1024, 1), round(m.client/1024, 1)
}

// rssKB is the resident memory of a process, 0 when unreadable.
func rssKB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return statusKB(string(b), "VmRSS")
}
