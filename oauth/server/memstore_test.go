package server_test

import (
	"testing"

	"github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/oauth/server/servertest"
)

func TestMemoryStore_Conformance(t *testing.T) {
	servertest.Run(t, func(*testing.T) server.Store { return server.NewMemoryStore() })
}
