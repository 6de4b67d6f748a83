package badinput

import (
	"testing"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// The pod harness is shared with the other end-to-end suites.
type pod = podtest.Pod

func TestMain(m *testing.M) { podtest.Main(m) }

var (
	podBinary = podtest.Binary
	freeAddr  = podtest.FreeAddr
	startPod  = podtest.Start
)
