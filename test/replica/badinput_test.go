package replica

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/test/internal/podtest"
)

// TestReplica_BadInput: what a replica is asked to do wrongly is refused
// with a clear message and changes nothing.
func TestReplica_BadInput(t *testing.T) {
	w := newWorld(t)
	a, b := w.pod(), w.pod()
	cb := podtest.NewClient(b.Pod)
	acct := w.create(a, "bob")

	noAccount := func(t *testing.T) {
		t.Helper()
		r, _ := cb.Query(context.Background(), "com.atproto.sync.getRepoStatus", url.Values{"did": {acct.DID}})
		if r.OK() {
			t.Fatalf("the pod has an account for %s after a refused add: %s", acct.DID, r)
		}
		list := w.replicate(b, "list", "--json")
		var out struct{ Replicas []json.RawMessage }
		if list.Code != 0 || json.Unmarshal([]byte(list.Stdout), &out) != nil || len(out.Replicas) != 0 {
			t.Fatalf("replicate list after a refused add: exit %d %s", list.Code, list.Stdout)
		}
	}

	t.Run("unreachable primary", func(t *testing.T) {
		dead := "http://" + podtest.FreeAddr(t)
		r := w.replicate(b, "add", acct.DID, "--from", dead)
		if r.Code == 0 || !strings.Contains(r.Stderr, "unreachable") {
			t.Fatalf("replicate add from a dead primary: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		noAccount(t)
	})

	t.Run("not an http URL", func(t *testing.T) {
		r := w.replicate(b, "add", acct.DID, "--from", "file:///etc/passwd")
		if r.Code == 0 || !strings.Contains(r.Stderr, "http(s) URL") {
			t.Fatalf("replicate add from a file URL: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		noAccount(t)
	})

	t.Run("a DID the primary does not host", func(t *testing.T) {
		r := w.replicate(b, "add", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "--from", a.URL(""))
		if r.Code == 0 {
			t.Fatalf("replicate add of an unknown DID succeeded:\n%s", r.Stdout)
		}
	})

	t.Run("wrong admin password", func(t *testing.T) {
		r := w.run("replicate", "add", acct.DID, "--from", a.URL(""), "--url", b.URL(""), "--admin-password", "wrong")
		if r.Code == 0 || !strings.Contains(r.Stderr, "AuthenticationRequired") {
			t.Fatalf("replicate add with a wrong admin password: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		noAccount(t)
	})

	if r := w.replicate(b, "add", acct.DID, "--from", a.URL("")); r.Code != 0 {
		t.Fatalf("replicate add: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}

	t.Run("added twice", func(t *testing.T) {
		r := w.replicate(b, "add", acct.DID, "--from", a.URL(""))
		if r.Code == 0 || !strings.Contains(r.Stderr, "AlreadyExists") {
			t.Fatalf("second replicate add: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
	})

	t.Run("promote while the DID still names the primary", func(t *testing.T) {
		r, _ := cb.Do(context.Background(), "POST", "dev.rhizome.admin.promoteReplica", nil, "", "application/json",
			[]byte(`{"did":"`+acct.DID+`","password":"a-good-password"}`))
		if r.OK() {
			t.Fatalf("promoteReplica without a basic-auth header succeeded: %s", r)
		}
		c := podtest.NewClient(b.Pod)
		req := adminPost(t, b, "dev.rhizome.admin.promoteReplica", map[string]string{"did": acct.DID, "password": "a-good-password"})
		if req.status == 200 || req.name != "IncompatibleDidDoc" {
			t.Fatalf("promoteReplica before the DID names this pod: %d %s; want IncompatibleDidDoc", req.status, req.name)
		}
		var st struct{ Status string }
		c.MustQuery(t, "com.atproto.sync.getRepoStatus", url.Values{"did": {acct.DID}}, &st)
		if st.Status != "replica" {
			t.Fatalf("after a refused promotion the account is %q", st.Status)
		}
	})

	t.Run("writes to a replica", func(t *testing.T) {
		r, _ := cb.Post(context.Background(), "com.atproto.server.createSession", "", map[string]string{"identifier": acct.DID, "password": acct.password})
		if r.OK() || r.ErrName() != "RepoReadOnlyReplica" || !strings.Contains(string(r.Body), "read-only replica") {
			t.Fatalf("createSession on a replica: %s", r)
		}
		r, _ = cb.Post(context.Background(), "com.atproto.repo.createRecord", acct.token,
			map[string]any{"repo": acct.DID, "collection": "app.bsky.feed.post", "record": post("x")})
		if r.OK() {
			t.Fatalf("createRecord on the replica succeeded: %s", r)
		}
	})

	t.Run("remove", func(t *testing.T) {
		if r := w.replicate(b, "remove", acct.DID); r.Code != 0 {
			t.Fatalf("replicate remove: exit %d\n%s", r.Code, r.Stderr)
		}
		noAccount(t)
		if r := w.replicate(b, "remove", acct.DID); r.Code == 0 {
			t.Fatalf("removing a replica twice succeeded")
		}
	})
}

type adminReply struct {
	status int
	name   string
}

// adminPost calls an admin method of n with the admin password.
func adminPost(t *testing.T, n *node, nsid string, in any) adminReply {
	t.Helper()
	body, _ := json.Marshal(in)
	req, err := newAdminRequest(n.URL("/xrpc/"+nsid), body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := req.do()
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
