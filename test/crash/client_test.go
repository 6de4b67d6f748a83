package crash

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// client and reply are the shared XRPC test client (podtest.Client).
type (
	client = podtest.Client
	reply  = podtest.Reply
)

func newClient(p *pod) *client { return podtest.NewClient(p) }

// account is a test account and its session.
type account struct {
	handle, did, access, refresh string
}

func createAccount(t testing.TB, c *client, name string) account {
	t.Helper()
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": "password-" + name}
	r, err := c.Post(context.Background(), "com.atproto.server.createAccount", "", in)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("createAccount %s: %v %s", name, err, r)
	}
	var out struct{ Handle, DID, AccessJwt, RefreshJwt string }
	if err := json.Unmarshal(r.Body, &out); err != nil || out.DID == "" || out.AccessJwt == "" {
		t.Fatalf("createAccount %s: bad output %s (%v)", name, r.Body, err)
	}
	return account{handle: out.Handle, did: out.DID, access: out.AccessJwt, refresh: out.RefreshJwt}
}
