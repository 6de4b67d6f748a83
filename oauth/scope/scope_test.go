package scope

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

func TestParse_Canonical(t *testing.T) {
	cases := map[string]string{
		"atproto":              "atproto",
		"transition:generic":   "transition:generic",
		"transition:chat.bsky": "transition:chat.bsky",
		"transition:email":     "transition:email",
		// repo: lists sorted and deduplicated, a wildcard absorbs, all actions are the default
		"repo?collection=b.example.x&collection=a.example.y&collection=b.example.x": "repo?collection=a.example.y&collection=b.example.x",
		"repo?collection=a.example.y&collection=*":                                  "repo:*",
		"repo:com.example.foo?action=delete&action=create&action=delete":            "repo:com.example.foo?action=create&action=delete",
		"repo:COM.Example.fooBar":                                                   "repo:com.example.fooBar",
		// rpc
		"rpc?lxm=com.example.b&lxm=com.example.a&lxm=*&aud=did:web:x.example%23svc": "rpc:*?aud=did:web:x.example%23svc",
		"rpc:com.example.a?aud=did:web:x.example#svc":                               "rpc:com.example.a?aud=did:web:x.example%23svc",
		// blob: lower-cased, covered types dropped, */* absorbs
		"blob?accept=IMAGE/PNG&accept=image/*&accept=text/plain":       "blob?accept=image/*&accept=text/plain",
		"blob?accept=image/png&accept=*/*":                             "blob:*/*",
		"blob:application/vnd.example+json":                            "blob:application/vnd.example%2Bjson",
		"blob?accept=application/vnd.example%2Bjson&accept=text/plain": "blob?accept=application/vnd.example%2Bjson&accept=text/plain",
		// account: read is the default
		"account?attr=repo&action=read":    "account:repo",
		"account?action=manage&attr=email": "account:email?action=manage",
		// identity and include
		"identity?attr=*":                   "identity:*",
		"include?nsid=App.Example.authFull": "include:app.example.authFull",
		"include:com.example.auth?aud=*":    "include:com.example.auth?aud=*",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			sc, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := sc.String(); got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			again, err := Parse(sc.String())
			if err != nil || !reflect.DeepEqual(again, sc) {
				t.Errorf("canonical form reparses to %#v (%v), want %#v", again, err, sc)
			}
		})
	}
}

func TestParse_Typed(t *testing.T) {
	sc, err := Parse("repo?collection=app.example.post&collection=app.example.like&action=create")
	if err != nil {
		t.Fatal(err)
	}
	want := Repo{Collections: []syntax.NSID{"app.example.like", "app.example.post"}, Actions: ActionCreate}
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("got %#v, want %#v", sc, want)
	}
	sc, err = Parse("rpc:app.example.getFeed?aud=did:web:api.example.com%23svc")
	if err != nil {
		t.Fatal(err)
	}
	if r := sc.(RPC); r.Aud != "did:web:api.example.com#svc" || len(r.Methods) != 1 || r.AnyMethod {
		t.Errorf("got %#v", r)
	}
	if sc, _ := Parse("account:email"); sc != (Account{Attr: AccountEmail, Action: AccountRead}) {
		t.Errorf("account:email parsed as %#v", sc)
	}
}

func TestParse_Errors(t *testing.T) {
	cases := map[string]string{
		"":                              "empty scope",
		"repo:app.example.post extra":   "byte 0x20",
		"repo:app.example.post\t":       "byte 0x09",
		`repo:app.example."post"`:       "byte 0x22",
		"transition:everything":         "unknown transition scope",
		"atproto:x":                     "unknown atproto scope",
		"openid":                        `unknown resource "openid"`,
		"repo:%zz":                      "bad percent-encoding",
		"repo:app.example.post?action=": `repo action ""`,
		"repo:app.example.post?collection=app.example.like":     "both positionally and as a parameter",
		"rpc:app.example.get?aud=did:web:x.example%23svc&aud=*": "aud takes one value, not 2",
		"rpc:app.example.get?aud=did:web:x.example%23s/vc":      "service fragment",
		"account:email?action=read&action=manage":               "action takes one value",
		"blob:image/":        "bad subtype",
		"blob:/png":          "bad type",
		"blob:image/png;q=1": "bad subtype",
		"include:app.example.auth?aud=did:web:x.example%23a&aud=*": "aud takes one value",
		"repo:app.example.post?action=create;x":                    "parameters",
		"1repo:app.example.post":                                   "resource name",
	}
	for in, frag := range cases {
		t.Run(in, func(t *testing.T) {
			_, err := Parse(in)
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("Parse(%q) = %v, want an Invalid error", in, err)
			}
			if !strings.Contains(err.Error(), frag) {
				t.Errorf("error %q does not mention %q", err, frag)
			}
		})
	}
}

func TestParse_LongInputClipped(t *testing.T) {
	long := "repo:" + strings.Repeat("a", 5000)
	_, err := Parse(long)
	if err == nil || len(err.Error()) > 400 {
		t.Errorf("error for a 5 KB scope: %d bytes: %v", len(err.Error()), err)
	}
}

func TestRepoAction_Names(t *testing.T) {
	if got := (ActionCreate | ActionDelete).String(); got != "create+delete" {
		t.Errorf("String() = %q", got)
	}
	for _, name := range []string{"create", "update", "delete"} {
		a, err := ParseRepoAction(name)
		if err != nil || a.String() != name {
			t.Errorf("ParseRepoAction(%q) = %v, %v", name, a, err)
		}
	}
	if _, err := ParseRepoAction("read"); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("ParseRepoAction(read) = %v", err)
	}
}

func TestNewRepo_Errors(t *testing.T) {
	if _, err := NewRepo(nil, nil); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("NewRepo without collections: %v", err)
	}
	if _, err := NewRPC([]string{"*"}, "*"); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("NewRPC(*, *): %v", err)
	}
	if _, err := NewBlob([]string{"image"}); !rhizome.Is(err, rhizome.Invalid) {
		t.Errorf("NewBlob(image): %v", err)
	}
	r, err := NewRepo([]string{"app.example.post"}, []string{"update"})
	if err != nil || r.String() != "repo:app.example.post?action=update" {
		t.Errorf("NewRepo = %v, %v", r, err)
	}
}
