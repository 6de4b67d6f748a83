package firehose

import (
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// The pod harness is shared with the other end-to-end suites.
type pod = podtest.Pod

func TestMain(m *testing.M) {
	slog.SetLogLoggerLevel(slog.LevelWarn) // indigo's verifier logs every genesis commit at info
	podtest.Main(m)
}

var (
	podBinary = podtest.Binary
	freeAddr  = podtest.FreeAddr
	startPod  = podtest.Start
)

// envInt reads an integer setting, def when unset.
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

// testSeed is the PRNG seed of a test, logged so a failure can be replayed.
func testSeed(t testing.TB) int64 {
	t.Helper()
	seed := envInt(t, "RHIZOME_FIREHOSE_SEED", time.Now().UnixNano())
	t.Logf("seed %d (RHIZOME_FIREHOSE_SEED=%d replays the same choices)", seed, seed)
	return seed
}

// newPod starts a pod on a fresh data folder and stops it when the test
// ends, showing its log if the test failed.
func newPod(t *testing.T) *pod {
	t.Helper()
	p := startPod(t, podBinary(t), t.TempDir(), freeAddr(t))
	t.Cleanup(func() { stopPod(t, p) })
	return p
}

// stopPod kills a pod at the end of a test, printing its log on failure.
func stopPod(t *testing.T, p *pod) {
	if t.Failed() {
		t.Logf("pod log:\n%s", p.Logs)
	}
	p.Kill()
}
