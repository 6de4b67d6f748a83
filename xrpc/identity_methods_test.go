package xrpc

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/syntax"
)

// identityAccount creates a local account and returns its DID and access token.
func identityAccount(t *testing.T, p *pds.PDS, name string) (syntax.DID, string) {
	t.Helper()
	s, err := p.CreateAccount(context.Background(), pds.NewAccount{Handle: syntax.Handle(name + ".test"),
		Email: name + "@example.com", Password: "password-" + name})
	if err != nil {
		t.Fatal(err)
	}
	return s.Account.DID, s.AccessJWT
}

func TestIdentity_LocalAccount(t *testing.T) {
	p, _, srv := newIdentityServer(t)
	alice, _ := identityAccount(t, p, "alice")
	did := string(alice)

	t.Run("resolveDid", func(t *testing.T) {
		got := getIdentity(t, srv, "com.atproto.identity.resolveDid", "did", did)
		if got.Doc.ID != did || len(got.Doc.AlsoKnownAs) != 1 || got.Doc.AlsoKnownAs[0] != "at://alice.test" {
			t.Fatalf("document %+v", got.Doc)
		}
		if len(got.Doc.Service) != 1 || got.Doc.Service[0].ServiceEndpoint != podURL ||
			got.Doc.Service[0].Type != "AtprotoPersonalDataServer" {
			t.Fatalf("services %+v, want the pod at %s", got.Doc.Service, podURL)
		}
		if got.DID != "" || got.Handle != "" {
			t.Fatalf("resolveDid answers only didDoc, got %+v", got)
		}
	})
	t.Run("resolveIdentity by DID", func(t *testing.T) {
		wantInfo(t, getIdentity(t, srv, "com.atproto.identity.resolveIdentity", "identifier", did), did, "alice.test")
	})
	t.Run("resolveIdentity by handle", func(t *testing.T) {
		got := getIdentity(t, srv, "com.atproto.identity.resolveIdentity", "identifier", "Alice.TEST")
		wantInfo(t, got, did, "alice.test")
		if got.Doc.Service[0].ServiceEndpoint != podURL {
			t.Fatalf("services %+v", got.Doc.Service)
		}
	})
}

// A handle is reported only if it resolves back to the DID; the
// resolver's cache keeps an old answer until refreshIdentity drops it.
func TestIdentity_HandleCheckAndRefresh(t *testing.T) {
	p, ids, srv := newIdentityServer(t)
	ctx := context.Background()
	alice, token := identityAccount(t, p, "alice")
	identityAccount(t, p, "bob")
	did := string(alice)
	resolve := func(id string) identityInfo {
		return getIdentity(t, srv, "com.atproto.identity.resolveIdentity", "identifier", id)
	}
	wantInfo(t, resolve(did), did, "alice.test") // now cached

	// Alice's document now claims bob's handle, which names bob's DID.
	if err := ids.claim(ctx, alice, "bob.test"); err != nil {
		t.Fatal(err)
	}
	wantInfo(t, resolve(did), did, "alice.test")
	t.Run("refresh by DID sees the new document", func(t *testing.T) {
		wantInfo(t, refresh(t, srv, token, did), did, "handle.invalid")
		wantInfo(t, resolve(did), did, "handle.invalid")
		if got := resolve("alice.test"); got.DID != did || got.Handle != "handle.invalid" {
			t.Fatalf("by the store's handle: %+v", got)
		}
	})

	if err := ids.claim(ctx, alice, "alice.test"); err != nil {
		t.Fatal(err)
	}
	t.Run("refresh by handle refreshes the DID's document too", func(t *testing.T) {
		wantInfo(t, resolve("alice.test"), did, "handle.invalid")
		wantInfo(t, refresh(t, srv, token, "alice.test"), did, "alice.test")
		wantInfo(t, resolve(did), did, "alice.test")
	})

	// A handle on another host, checked through its well-known file.
	ids.mu.Lock()
	ids.remote["alice.example.com"] = did
	ids.mu.Unlock()
	if err := ids.claim(ctx, alice, "alice.example.com"); err != nil {
		t.Fatal(err)
	}
	t.Run("a handle resolved over HTTPS", func(t *testing.T) {
		wantInfo(t, refresh(t, srv, token, did), did, "alice.example.com")
		wantInfo(t, resolve("alice.example.com"), did, "alice.example.com")
		// The store still names alice.test, which the document no longer claims.
		wantInfo(t, resolve("alice.test"), did, "handle.invalid")
	})
}

func TestIdentity_NotFound(t *testing.T) {
	p, _, srv := newIdentityServer(t)
	identityAccount(t, p, "alice")
	const unknown = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"
	cases := []struct{ name, nsid, param, value, want string }{
		{"resolveDid of an unknown DID", "com.atproto.identity.resolveDid", "did", unknown, "DidNotFound"},
		{"resolveIdentity of an unknown DID", "com.atproto.identity.resolveIdentity", "identifier", unknown, "DidNotFound"},
		{"a handle no host answers for", "com.atproto.identity.resolveIdentity", "identifier", "nobody.example.com", "HandleNotFound"},
		{"a handle under a reserved TLD", "com.atproto.identity.resolveIdentity", "identifier", "nobody.test", "HandleNotFound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := xcall(t, srv, http.MethodGet, c.nsid+"?"+url.Values{c.param: {c.value}}.Encode(), "", "")
			wantError(t, status, body, http.StatusBadRequest, c.want, "")
		})
	}
}

func TestIdentity_Deactivated(t *testing.T) {
	p, ids, srv := newIdentityServer(t)
	alice, token := identityAccount(t, p, "alice")
	dave, _ := identityAccount(t, p, "dave")
	getIdentity(t, srv, "com.atproto.identity.resolveDid", "did", string(dave)) // cached
	if err := ids.tombstone(context.Background(), dave); err != nil {
		t.Fatal(err)
	}
	getIdentity(t, srv, "com.atproto.identity.resolveDid", "did", string(dave)) // still cached

	status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.refreshIdentity", token, `{"identifier":"`+string(dave)+`"}`)
	wantError(t, status, body, http.StatusBadRequest, "DidDeactivated", "")
	for _, q := range []string{"com.atproto.identity.resolveDid?did=" + string(dave),
		"com.atproto.identity.resolveIdentity?identifier=" + string(dave),
		"com.atproto.identity.resolveIdentity?identifier=dave.test"} {
		status, body := xcall(t, srv, http.MethodGet, q, "", "")
		wantError(t, status, body, http.StatusBadRequest, "DidDeactivated", "")
	}
	wantInfo(t, getIdentity(t, srv, "com.atproto.identity.resolveIdentity", "identifier", string(alice)), string(alice), "alice.test")
}

func TestIdentity_BadInput(t *testing.T) {
	p, _, srv := newIdentityServer(t)
	_, token := identityAccount(t, p, "alice")
	for _, q := range []string{
		"com.atproto.identity.resolveDid",
		"com.atproto.identity.resolveDid?did=alice.test",
		"com.atproto.identity.resolveDid?did=did:plc:",
		"com.atproto.identity.resolveIdentity",
		"com.atproto.identity.resolveIdentity?identifier=not+a+handle",
		"com.atproto.identity.resolveIdentity?identifier=did:",
	} {
		t.Run(q, func(t *testing.T) {
			status, body := xcall(t, srv, http.MethodGet, q, "", "")
			wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "")
		})
	}
	for _, in := range []string{`{}`, `{"identifier":"no spaces allowed"}`, `{"identifier":42}`, `not json`} {
		t.Run("refreshIdentity "+in, func(t *testing.T) {
			status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.refreshIdentity", token, in)
			wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "")
		})
	}
	t.Run("refreshIdentity is a POST", func(t *testing.T) {
		status, body := xcall(t, srv, http.MethodGet, "com.atproto.identity.refreshIdentity?identifier=alice.test", token, "")
		wantError(t, status, body, http.StatusBadRequest, "InvalidRequest", "POST")
	})
}

func TestIdentity_RefreshNeedsSession(t *testing.T) {
	p, _, srv := newIdentityServer(t)
	identityAccount(t, p, "alice")
	status, body := xcall(t, srv, http.MethodPost, "com.atproto.identity.refreshIdentity", "", `{"identifier":"alice.test"}`)
	wantError(t, status, body, http.StatusUnauthorized, "AuthenticationRequired", "")
	status, body = xcall(t, srv, http.MethodPost, "com.atproto.identity.refreshIdentity", "not-a-token", `{"identifier":"alice.test"}`)
	wantError(t, status, body, http.StatusBadRequest, "InvalidToken", "")
}
