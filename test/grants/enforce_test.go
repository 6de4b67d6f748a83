package grants

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/rhizome-pds/rhizome/oauth/oauthtest"
	"github.com/rhizome-pds/rhizome/test/internal/podtest"
	"github.com/rhizome-pds/rhizome/xrpc"
)

// narrowScope may create records of one collection, nothing else.
const narrowScope = "atproto repo:app.example.todo?action=create"

// call is one request of the enforcement table and what must come of it
// under narrowScope: allowed (2xx) or refused with HTTP 403 and refusal
// as the XRPC error name.
type call struct {
	name    string
	method  string
	path    string
	ctype   string
	body    []byte
	refusal string // "" means allowed
}

const missing = "ScopeMissingError"

func post(name, nsid string, in any, refusal string) call {
	b, _ := json.Marshal(in)
	return call{name: name, method: http.MethodPost, path: xrpcPath(nsid, nil), ctype: "application/json", body: b, refusal: refusal}
}

func get(name, nsid string, q url.Values, refusal string) call {
	return call{name: name, method: http.MethodGet, path: xrpcPath(nsid, q), refusal: refusal}
}

func record(text string) map[string]any { return map[string]any{"text": text} }

// enforcementCases holds, for every user method, the calls that show
// what a narrowly scoped grant may do. A method missing here fails
// TestGrants_EnforcementTable: add its cases with the method.
func enforcementCases(did string) map[string][]call {
	write := func(typ, coll, rkey string) map[string]any {
		w := map[string]any{"$type": "com.atproto.repo.applyWrites#" + typ, "collection": coll, "rkey": rkey}
		if typ != "delete" {
			w["value"] = record("batched")
		}
		return w
	}
	writes := func(ws ...map[string]any) map[string]any { return map[string]any{"repo": did, "writes": ws} }
	rec := func(coll, rkey string) map[string]any {
		return map[string]any{"repo": did, "collection": coll, "rkey": rkey, "record": record("hi")}
	}
	return map[string][]call{
		"com.atproto.repo.createRecord": {
			post("in the granted collection", "com.atproto.repo.createRecord", rec("app.example.todo", "t1"), ""),
			post("in another collection", "com.atproto.repo.createRecord", rec("app.example.note", "n1"), missing),
			post("in a collection sharing the prefix", "com.atproto.repo.createRecord", rec("app.example.todoList", "x1"), missing),
		},
		"com.atproto.repo.putRecord": {
			post("update in the granted collection", "com.atproto.repo.putRecord", rec("app.example.todo", "t1"), missing),
			post("in another collection", "com.atproto.repo.putRecord", rec("app.example.note", "n1"), missing),
		},
		"com.atproto.repo.deleteRecord": {
			post("in the granted collection", "com.atproto.repo.deleteRecord", map[string]any{"repo": did, "collection": "app.example.todo", "rkey": "t1"}, missing),
			post("in another collection", "com.atproto.repo.deleteRecord", map[string]any{"repo": did, "collection": "app.example.note", "rkey": "n1"}, missing),
		},
		"com.atproto.repo.applyWrites": {
			post("create in the granted collection", "com.atproto.repo.applyWrites", writes(write("create", "app.example.todo", "t2")), ""),
			post("create in another collection", "com.atproto.repo.applyWrites", writes(write("create", "app.example.note", "n2")), missing),
			post("one allowed and one not", "com.atproto.repo.applyWrites", writes(write("create", "app.example.todo", "t3"), write("create", "app.example.note", "n3")), missing),
			post("update in the granted collection", "com.atproto.repo.applyWrites", writes(write("update", "app.example.todo", "t2")), missing),
			post("delete in the granted collection", "com.atproto.repo.applyWrites", writes(write("delete", "app.example.todo", "t2")), missing),
		},
		"com.atproto.repo.uploadBlob": {
			{name: "an image", method: http.MethodPost, path: xrpcPath("com.atproto.repo.uploadBlob", nil), ctype: "image/png", body: []byte("\x89PNG\r\n\x1a\nnot really"), refusal: missing},
		},
		"com.atproto.repo.importRepo": {
			{name: "a CAR", method: http.MethodPost, path: xrpcPath("com.atproto.repo.importRepo", nil), ctype: "application/vnd.ipld.car", body: []byte{0}, refusal: missing},
		},
		"com.atproto.repo.listMissingBlobs":                 {get("own missing blobs", "com.atproto.repo.listMissingBlobs", nil, "")},
		"com.atproto.server.getSession":                     {get("own session", "com.atproto.server.getSession", nil, "")},
		"com.atproto.server.checkAccountStatus":             {get("own status", "com.atproto.server.checkAccountStatus", nil, "")},
		"com.atproto.identity.getRecommendedDidCredentials": {get("own recommended credentials", "com.atproto.identity.getRecommendedDidCredentials", nil, "")},
		"com.atproto.server.activateAccount":                {post("activate", "com.atproto.server.activateAccount", map[string]any{}, missing)},
		"com.atproto.server.deactivateAccount":              {post("deactivate", "com.atproto.server.deactivateAccount", map[string]any{}, missing)},
		"com.atproto.identity.refreshIdentity":              {post("own identity", "com.atproto.identity.refreshIdentity", map[string]any{"identifier": did}, "")},
		"com.atproto.identity.updateHandle":                 {post("new handle", "com.atproto.identity.updateHandle", map[string]any{"handle": "other.test"}, missing)},
		"com.atproto.identity.requestPlcOperationSignature": {post("a token", "com.atproto.identity.requestPlcOperationSignature", map[string]any{}, missing)},
		"com.atproto.identity.signPlcOperation":             {post("sign", "com.atproto.identity.signPlcOperation", map[string]any{"token": "AAAAA-BBBBB"}, missing)},
		"com.atproto.identity.submitPlcOperation":           {post("submit", "com.atproto.identity.submitPlcOperation", map[string]any{"operation": map[string]any{}}, missing)},
		"com.atproto.server.getServiceAuth": {
			get("a token for an app view", "com.atproto.server.getServiceAuth", url.Values{"aud": {"did:web:appview.example.test"}, "lxm": {"app.bsky.feed.getTimeline"}}, missing),
		},
		"com.atproto.server.createAppPassword": {post("create", "com.atproto.server.createAppPassword", map[string]any{"name": "x"}, "Forbidden")},
		"com.atproto.server.listAppPasswords":  {get("list", "com.atproto.server.listAppPasswords", nil, "Forbidden")},
		"com.atproto.server.revokeAppPassword": {post("revoke", "com.atproto.server.revokeAppPassword", map[string]any{"name": "x"}, "Forbidden")},
		"app.bsky.actor.getPreferences":        {get("read preferences", "app.bsky.actor.getPreferences", nil, missing)},
		"app.bsky.actor.putPreferences":        {post("write preferences", "app.bsky.actor.putPreferences", map[string]any{"preferences": []any{}}, missing)},
		"dev.rhizome.server.listGrants":        {get("list", "dev.rhizome.server.listGrants", nil, "Forbidden")},
		"dev.rhizome.server.revokeGrant":       {post("revoke", "dev.rhizome.server.revokeGrant", map[string]any{"id": "x"}, "Forbidden")},
	}
}

func TestGrants_EnforcementTable(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "alice")
	s := grant(t, p, a, narrowScope)
	cases := enforcementCases(a.did)
	for _, m := range xrpc.Methods() {
		if m.Access != "user" && m.Access != "userFull" {
			continue
		}
		t.Run(m.NSID, func(t *testing.T) {
			if m.OAuth == "" {
				t.Fatalf("%s declares no OAuth permission (route.scopes)", m.NSID)
			}
			calls := cases[m.NSID]
			if len(calls) == 0 {
				t.Fatalf("no enforcement case for %s (%s): add one to enforcementCases", m.NSID, m.OAuth)
			}
			for _, cl := range calls {
				t.Run(cl.name, func(t *testing.T) { check(t, s, cl) })
			}
		})
	}
}

func check(t *testing.T, s *oauthtest.Session, cl call) {
	t.Helper()
	r, err := s.Do(context.Background(), cl.method, cl.path, cl.ctype, cl.body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case cl.refusal == "" && (r.Status < 200 || r.Status > 299):
		t.Errorf("want allowed, got %s", r)
	case cl.refusal != "" && (r.Status != http.StatusForbidden || r.Str("error") != cl.refusal):
		t.Errorf("want 403 %s, got %s", cl.refusal, r)
	}
}

// TestGrants_WiderScopes shows the checks are not blanket refusals: a
// grant with every action on the collection and blobs may update, delete,
// batch and upload.
func TestGrants_WiderScopes(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "bob")
	s := grant(t, p, a, "atproto repo:app.example.todo blob:image/* rpc:app.bsky.actor.getPreferences?aud=did:web:api.bsky.app%23bsky_appview")
	did := a.did
	rec := map[string]any{"repo": did, "collection": "app.example.todo", "rkey": "t1", "record": record("hi")}
	for _, cl := range []call{
		post("put (create)", "com.atproto.repo.putRecord", rec, ""),
		post("put (update)", "com.atproto.repo.putRecord", rec, ""),
		post("batch update", "com.atproto.repo.applyWrites", map[string]any{"repo": did, "writes": []any{
			map[string]any{"$type": "com.atproto.repo.applyWrites#update", "collection": "app.example.todo", "rkey": "t1", "value": record("b")}}}, ""),
		post("delete", "com.atproto.repo.deleteRecord", map[string]any{"repo": did, "collection": "app.example.todo", "rkey": "t1"}, ""),
		{name: "upload an image", method: http.MethodPost, path: xrpcPath("com.atproto.repo.uploadBlob", nil), ctype: "image/png", body: []byte("\x89PNG\r\n\x1a\nnot really")},
		{name: "upload a video", method: http.MethodPost, path: xrpcPath("com.atproto.repo.uploadBlob", nil), ctype: "video/mp4", body: []byte("not really"), refusal: missing},
		get("read preferences", "app.bsky.actor.getPreferences", nil, ""),
		post("write preferences", "app.bsky.actor.putPreferences", map[string]any{"preferences": []any{}}, missing),
		post("another collection", "com.atproto.repo.createRecord", map[string]any{"repo": did, "collection": "app.example.note", "record": record("x")}, missing),
	} {
		t.Run(cl.name, func(t *testing.T) { check(t, s, cl) })
	}
}

// TestGrants_IdentityAny shows the PLC operation methods open to a grant
// of the whole identity (identity:*), not to one of the handle only.
func TestGrants_IdentityAny(t *testing.T) {
	p := newPod(t)
	c := podtest.NewClient(p)
	defer c.Close()
	a := createAccount(t, c, "carol")
	req := post("a token", "com.atproto.identity.requestPlcOperationSignature", map[string]any{}, "")
	t.Run("identity:*", func(t *testing.T) { check(t, grant(t, p, a, "atproto identity:*"), req) })
	req.refusal = missing
	t.Run("identity:handle", func(t *testing.T) { check(t, grant(t, p, a, "atproto identity:handle"), req) })
}
