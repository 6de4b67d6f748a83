package dpop_test

import (
	"testing"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/server/servertest"
)

func TestMemoryReplay_Conformance(t *testing.T) {
	servertest.RunReplay(t, func(*testing.T) dpop.ReplayCache { return dpop.NewMemoryReplay(0, nil) })
}
