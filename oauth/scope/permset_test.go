package scope

import (
	"context"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// setDoc wraps permission objects in a permission-set lexicon named id.
func setDoc(id string, perms ...string) []byte {
	return []byte(`{"lexicon": 1, "id": "` + id + `", "defs": {"main": {"type": "permission-set",
		"title": "Basic features", "title:lang": {"fr": "Fonctions de base"},
		"detail": "Posts and likes", "permissions": [` + strings.Join(perms, ",") + `]},
		"other": {"type": "string", "title": {"odd": true}}}}`)
}

func TestParsePermissionSet_Entries(t *testing.T) {
	const id = "app.example.authBasic"
	cases := []struct {
		name    string
		perm    string
		grants  string // Permissions("did:web:api.example.com#svc") as a scope string; "" when ignored
		ignored string // fragment of the reason when ignored
	}{
		{"repo", `{"type": "permission", "resource": "repo", "collection": ["app.example.post"]}`, "repo:app.example.post", ""},
		{"repo actions", `{"type": "permission", "resource": "repo", "collection": ["app.example.like"], "action": ["delete"], "description": "x"}`, "repo:app.example.like?action=delete", ""},
		{"repo deeper", `{"type": "permission", "resource": "repo", "collection": ["app.example.feed.post"]}`, "repo:app.example.feed.post", ""},
		{"rpc inherit", `{"type": "permission", "resource": "rpc", "inheritAud": true, "lxm": ["app.example.getFeed"]}`, "rpc:app.example.getFeed?aud=did:web:api.example.com%23svc", ""},
		{"rpc any aud", `{"type": "permission", "resource": "rpc", "aud": "*", "lxm": ["app.example.getSkeleton"]}`, "rpc:app.example.getSkeleton?aud=*", ""},
		{"repo wildcard", `{"type": "permission", "resource": "repo", "collection": ["*"]}`, "", "wildcard"},
		{"rpc wildcards", `{"type": "permission", "resource": "rpc", "aud": "*", "lxm": ["*"]}`, "", "may not both be *"},
		{"rpc wildcard", `{"type": "permission", "resource": "rpc", "inheritAud": true, "lxm": ["*"]}`, "", "lxm wildcard not allowed"},
		{"sibling namespace", `{"type": "permission", "resource": "repo", "collection": ["app.other.post"]}`, "", "outside the namespace app.example."},
		{"parent namespace", `{"type": "permission", "resource": "repo", "collection": ["app.exampleX.post"]}`, "", "outside"},
		{"one outside spoils all", `{"type": "permission", "resource": "repo", "collection": ["app.example.post", "com.evil.post"]}`, "", "outside"},
		{"rpc outside", `{"type": "permission", "resource": "rpc", "aud": "*", "lxm": ["com.atproto.server.deleteAccount"]}`, "", "outside"},
		{"rpc service DID", `{"type": "permission", "resource": "rpc", "aud": "did:web:api.example.com#svc", "lxm": ["app.example.get"]}`, "", `aud must be "*"`},
		{"rpc both", `{"type": "permission", "resource": "rpc", "aud": "*", "inheritAud": true, "lxm": ["app.example.get"]}`, "", "inheritAud and aud"},
		{"rpc neither", `{"type": "permission", "resource": "rpc", "lxm": ["app.example.get"]}`, "", "needs aud or inheritAud"},
		{"blob", `{"type": "permission", "resource": "blob", "accept": ["*/*"]}`, "", "may not appear"},
		{"account", `{"type": "permission", "resource": "account", "attr": "email"}`, "", "may not appear"},
		{"identity", `{"type": "permission", "resource": "identity", "attr": "*"}`, "", "may not appear"},
		{"unknown resource", `{"type": "permission", "resource": "space", "collection": ["app.example.post"]}`, "", "unknown resource"},
		{"unknown field", `{"type": "permission", "resource": "repo", "collection": ["app.example.post"], "onlyIf": "x"}`, "", `unknown field "onlyIf"`},
		{"bad action", `{"type": "permission", "resource": "repo", "collection": ["app.example.post"], "action": ["read"]}`, "", "repo action"},
		{"wrong type", `{"type": "scope", "resource": "repo", "collection": ["app.example.post"]}`, "", `type must be "permission"`},
		{"wrong field type", `{"type": "permission", "resource": "repo", "collection": "app.example.post"}`, "", "collection: wrong type"},
		{"not an object", `"repo:app.example.post"`, "", "not an object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, err := ParsePermissionSet(id, setDoc(id, c.perm))
			if err != nil {
				t.Fatalf("ParsePermissionSet: %v", err)
			}
			got := NewSet(ps.Permissions("did:web:api.example.com#svc")...).String()
			if got != c.grants {
				t.Errorf("grants %q, want %q", got, c.grants)
			}
			switch {
			case c.ignored == "" && len(ps.Ignored) > 0:
				t.Errorf("ignored: %v", ps.Ignored)
			case c.ignored != "" && (len(ps.Ignored) != 1 || !strings.Contains(ps.Ignored[0], c.ignored)):
				t.Errorf("Ignored = %q, want one mentioning %q", ps.Ignored, c.ignored)
			}
		})
	}
}

func TestParsePermissionSet_Metadata(t *testing.T) {
	ps, err := ParsePermissionSet("App.Example.authBasic", setDoc("app.example.authBasic"))
	if err != nil {
		t.Fatal(err)
	}
	if ps.NSID != "app.example.authBasic" || ps.Title != "Basic features" || ps.TitleLang["fr"] != "Fonctions de base" || ps.Detail != "Posts and likes" {
		t.Errorf("metadata: %+v", ps)
	}
}

func TestParsePermissionSet_Errors(t *testing.T) {
	cases := map[string]string{
		"not json":       `{"lexicon": 1,`,
		"version":        `{"lexicon": 2, "id": "app.example.auth", "defs": {"main": {"type": "permission-set", "permissions": []}}}`,
		"other id":       `{"lexicon": 1, "id": "app.evil.auth", "defs": {"main": {"type": "permission-set", "permissions": []}}}`,
		"no main":        `{"lexicon": 1, "id": "app.example.auth", "defs": {}}`,
		"record":         `{"lexicon": 1, "id": "app.example.auth", "defs": {"main": {"type": "record", "key": "tid"}}}`,
		"no permissions": `{"lexicon": 1, "id": "app.example.auth", "defs": {"main": {"type": "permission-set"}}}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePermissionSet("app.example.auth", []byte(doc)); !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("got %v, want an Invalid error", err)
			}
		})
	}
	huge := make([]byte, MaxPermissionSetSize+1)
	if _, err := ParsePermissionSet("app.example.auth", huge); !rhizome.Is(err, rhizome.TooLarge) {
		t.Errorf("oversized document: %v", err)
	}
}

func TestPermissionSet_InheritWithoutAud(t *testing.T) {
	ps, err := ParsePermissionSet("app.example.auth", setDoc("app.example.auth",
		`{"type": "permission", "resource": "rpc", "inheritAud": true, "lxm": ["app.example.get"]}`,
		`{"type": "permission", "resource": "repo", "collection": ["app.example.post"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := NewSet(ps.Permissions("")...).String(); got != "repo:app.example.post" {
		t.Errorf("without aud: %q", got)
	}
	if got := NewSet(ps.Permissions("*")...).String(); got != "repo:app.example.post rpc:app.example.get?aud=*" {
		t.Errorf("with aud *: %q", got)
	}
}

func TestExpand(t *testing.T) {
	r := StaticResolver{
		"app.example.authFull": setDoc("app.example.authFull",
			`{"type": "permission", "resource": "repo", "collection": ["app.example.post"], "action": ["create"]}`,
			`{"type": "permission", "resource": "rpc", "inheritAud": true, "lxm": ["app.example.getFeed"]}`,
			`{"type": "permission", "resource": "repo", "collection": ["com.atproto.evil"]}`),
	}
	s := mustSet(t, "atproto blob:image/* include:app.example.authFull?aud=did:web:api.example.com%23svc")
	if s.AllowsRepo("app.example.post", ActionCreate) {
		t.Fatal("an unexpanded include granted something")
	}
	x, err := Expand(context.Background(), s, r)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	want := "atproto blob:image/* repo:app.example.post?action=create rpc:app.example.getFeed?aud=did:web:api.example.com%23svc"
	if x.String() != want {
		t.Errorf("expanded to %q, want %q", x, want)
	}
	if !x.AllowsRepo("app.example.post", ActionCreate) || x.AllowsRepo("app.example.post", ActionDelete) ||
		x.AllowsRepo("com.atproto.evil", ActionCreate) || !x.AllowsRPC("app.example.getFeed", "did:web:api.example.com#svc") {
		t.Error("expanded set allows the wrong things")
	}
	if len(x.Includes()) != 0 || len(s.Includes()) != 1 {
		t.Error("includes not replaced")
	}

	_, err = Expand(context.Background(), mustSet(t, "atproto include:app.example.missing"), r)
	if !rhizome.Is(err, rhizome.NotFound) || !strings.Contains(err.Error(), "include:app.example.missing") {
		t.Errorf("unresolvable include: %v", err)
	}
}

func TestStaticResolver_NormalisedKey(t *testing.T) {
	r := StaticResolver{"app.example.auth": setDoc("app.example.auth")}
	if _, err := r.ResolvePermissionSet(context.Background(), syntax.NSID("APP.example.auth")); err != nil {
		t.Errorf("lookup by a differently cased authority: %v", err)
	}
}
