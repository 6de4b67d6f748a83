package firehose

import (
	"net/url"
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
	handle, did, access string
}

func createAccount(t testing.TB, c *client, name string) account {
	t.Helper()
	in := map[string]string{"handle": name + ".test", "email": name + "@example.test", "password": "password-" + name}
	var out struct{ Handle, DID, AccessJwt string }
	c.MustCall(t, "com.atproto.server.createAccount", "", in, &out)
	if out.DID == "" || out.AccessJwt == "" {
		t.Fatalf("createAccount %s: output lacks did or accessJwt: %+v", name, out)
	}
	return account{handle: out.Handle, did: out.DID, access: out.AccessJwt}
}

// head is a repository's latest commit as getLatestCommit reports it.
type head struct{ CID, Rev string }

func latestCommit(t testing.TB, c *client, did string) head {
	t.Helper()
	var h head
	c.MustQuery(t, "com.atproto.sync.getLatestCommit", url.Values{"did": {did}}, &h)
	if h.CID == "" || h.Rev == "" {
		t.Fatalf("getLatestCommit %s: no cid or rev: %+v", did, h)
	}
	return h
}

// listAll reads every record of a repository with describeRepo and
// listRecords: collection/rkey to CID.
func listAll(t testing.TB, c *client, did string) map[string]string {
	t.Helper()
	var desc struct{ Collections []string }
	c.MustQuery(t, "com.atproto.repo.describeRepo", url.Values{"repo": {did}}, &desc)
	out := map[string]string{}
	for _, coll := range desc.Collections {
		c.ListCollection(t, did, coll, out)
	}
	return out
}
