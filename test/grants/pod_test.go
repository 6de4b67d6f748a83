package grants

import (
	"context"
	"net/url"
	"testing"

	"github.com/rhizome-pds/rhizome/oauth/oauthtest"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

func TestMain(m *testing.M) { podtest.Main(m) }

// newPod starts a pod on a fresh data folder and stops it when the test
// ends, showing its log if the test failed.
func newPod(t *testing.T) *podtest.Pod {
	t.Helper()
	p := podtest.Start(t, podtest.Binary(t), t.TempDir(), podtest.FreeAddr(t))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- pod log ---\n%s", p.Logs)
		}
		p.Kill()
	})
	return p
}

// account is a test account with its password session.
type account struct {
	handle, did, access, password string
}

func createAccount(t *testing.T, c *podtest.Client, name string) account {
	t.Helper()
	pw := "password-" + name
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": pw}
	var out struct{ Handle, DID, AccessJwt string }
	c.MustCall(t, "com.atproto.server.createAccount", "", in, &out)
	return account{handle: out.Handle, did: out.DID, access: out.AccessJwt, password: pw}
}

// grant runs the OAuth flow as a loopback app asking for scope and returns
// the session.
func grant(t *testing.T, p *podtest.Pod, a account, scope string) *oauthtest.Session {
	t.Helper()
	app, err := oauthtest.New("http://"+p.Addr, scope)
	if err != nil {
		t.Fatal(err)
	}
	s, err := app.SignIn(context.Background(), a.handle, a.password, scope)
	if err != nil {
		t.Fatalf("oauth flow for %q: %v", scope, err)
	}
	if s.Sub != a.did || s.Type != "DPoP" {
		t.Fatalf("token for %s of type %q, want %s DPoP", s.Sub, s.Type, a.did)
	}
	return s
}

func xrpcPath(nsid string, q url.Values) string {
	if len(q) == 0 {
		return "/xrpc/" + nsid
	}
	return "/xrpc/" + nsid + "?" + q.Encode()
}
