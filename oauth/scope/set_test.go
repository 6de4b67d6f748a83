package scope

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

func mustSet(t *testing.T, s string) *Set {
	t.Helper()
	set, err := ParseSet(s)
	if err != nil {
		t.Fatalf("ParseSet(%q): %v", s, err)
	}
	return set
}

func TestSet_AllowsRepo(t *testing.T) {
	const todo = syntax.NSID("app.example.todo")
	cases := []struct {
		scope string
		coll  syntax.NSID
		act   RepoAction
		want  bool
	}{
		{"atproto repo:app.example.todo?action=create", todo, ActionCreate, true},
		{"atproto repo:app.example.todo?action=create", todo, ActionUpdate, false},
		{"atproto repo:app.example.todo?action=create", todo, ActionDelete, false},
		{"atproto repo:app.example.todo?action=create", todo, ActionCreate | ActionUpdate, false},
		{"atproto repo:app.example.todo?action=create", "app.example.other", ActionCreate, false},
		{"atproto repo:app.example.todo?action=create", "app.example.todoList", ActionCreate, false},
		{"atproto repo:app.example.todo?action=create", "App.Example.todo", ActionCreate, true},
		{"atproto repo:app.example.todo?action=create", "app.example.Todo", ActionCreate, false},
		{"atproto repo:app.example.todo", todo, AllActions, true},
		{"atproto repo:*?action=delete", "com.other.thing", ActionDelete, true},
		{"atproto repo:*?action=delete", "com.other.thing", ActionCreate, false},
		{"atproto repo:app.example.a?action=create repo:app.example.a?action=update", "app.example.a", ActionUpdate, true},
		{"atproto transition:generic", "com.any.thing", AllActions, true},
		{"atproto transition:email", todo, ActionCreate, false},
		{"atproto", todo, ActionCreate, false},
		{"atproto include:app.example.auth", "app.example.post", ActionCreate, false}, // not expanded
		{"atproto repo:*", todo, 0, false},
		{"atproto repo:*", todo, 8, false},
	}
	for _, c := range cases {
		t.Run(c.scope+"/"+string(c.coll)+"/"+c.act.String(), func(t *testing.T) {
			if got := mustSet(t, c.scope).AllowsRepo(c.coll, c.act); got != c.want {
				t.Errorf("AllowsRepo = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSet_AllowsBlob(t *testing.T) {
	cases := []struct {
		scope, mime string
		want        bool
	}{
		{"blob:image/*", "image/png", true},
		{"blob:image/*", "Image/PNG; charset=x", true},
		{"blob:image/*", "video/mp4", false},
		{"blob:image/*", "imagery/png", false},
		{"blob:image/png", "image/png", true},
		{"blob:image/png", "image/jpeg", false},
		{"blob:*/*", "application/octet-stream", true},
		{"blob:*/*", "*/*", false},
		{"blob:*/*", "image/*", false},
		{"blob:*/*", "", false},
		{"blob:*/*", "garbage", false},
		{"blob?accept=video/*&accept=text/html", "text/html", true},
		{"blob?accept=video/*&accept=text/html", "text/plain", false},
		{"transition:generic", "application/pdf", true},
		{"transition:generic", "not a mime", false},
		{"atproto", "image/png", false},
	}
	for _, c := range cases {
		t.Run(c.scope+"/"+c.mime, func(t *testing.T) {
			if got := mustSet(t, c.scope).AllowsBlob(c.mime); got != c.want {
				t.Errorf("AllowsBlob = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSet_AllowsRPC(t *testing.T) {
	const appview = "did:web:api.example.com#svc_appview"
	const chat = "did:web:api.example.chat#bsky_chat"
	cases := []struct {
		scope, lxm, aud string
		want            bool
	}{
		{"rpc:app.example.getFeed?aud=did:web:api.example.com%23svc_appview", "app.example.getFeed", appview, true},
		{"rpc:app.example.getFeed?aud=did:web:api.example.com%23svc_appview", "app.example.getFeed", chat, false},
		{"rpc:app.example.getFeed?aud=did:web:api.example.com%23svc_appview", "app.example.getPosts", appview, false},
		{"rpc:app.example.getFeed?aud=did:web:api.example.com%23svc_appview", "*", appview, false},
		{"rpc:app.example.getFeed?aud=*", "app.example.getFeed", chat, true},
		{"rpc:*?aud=did:web:api.example.com%23svc_appview", "com.any.method", appview, true},
		{"rpc:*?aud=did:web:api.example.com%23svc_appview", "*", appview, true},
		{"rpc:*?aud=did:web:api.example.com%23svc_appview", "com.any.method", chat, false},
		{"transition:generic", "app.bsky.feed.getTimeline", appview, true},
		{"transition:generic", "*", appview, true},
		{"transition:generic", "chat.bsky.convo.getMessages", chat, false},
		{"transition:chat.bsky", "chat.bsky.convo.getMessages", chat, true},
		{"transition:chat.bsky", "app.bsky.feed.getTimeline", appview, false},
		{"transition:generic transition:chat.bsky", "chat.bsky.convo.getMessages", chat, true},
	}
	for _, c := range cases {
		t.Run(c.scope+"/"+c.lxm+"/"+c.aud, func(t *testing.T) {
			if got := mustSet(t, c.scope).AllowsRPC(c.lxm, c.aud); got != c.want {
				t.Errorf("AllowsRPC = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSet_AllowsAccountAndIdentity(t *testing.T) {
	acct := []struct {
		scope  string
		attr   AccountAttr
		action AccountAction
		want   bool
	}{
		{"account:email", AccountEmail, AccountRead, true},
		{"account:email", AccountEmail, AccountManage, false},
		{"account:email", AccountRepo, AccountRead, false},
		{"account:email?action=manage", AccountEmail, AccountRead, true},
		{"account:email?action=manage", AccountEmail, AccountManage, true},
		{"account:repo?action=manage", AccountRepo, AccountManage, true},
		{"account:repo?action=manage", AccountEmail, AccountRead, false},
		{"transition:email", AccountEmail, AccountRead, true},
		{"transition:email", AccountEmail, AccountManage, false},
		{"transition:generic", AccountEmail, AccountRead, false},
		{"transition:generic", AccountRepo, AccountManage, false},
	}
	for _, c := range acct {
		t.Run(c.scope+"/"+string(c.attr)+"/"+string(c.action), func(t *testing.T) {
			if got := mustSet(t, c.scope).AllowsAccount(c.attr, c.action); got != c.want {
				t.Errorf("AllowsAccount = %v, want %v", got, c.want)
			}
		})
	}
	ident := []struct {
		scope string
		attr  IdentityAttr
		want  bool
	}{
		{"identity:handle", IdentityHandle, true},
		{"identity:handle", IdentityAny, false},
		{"identity:*", IdentityHandle, true},
		{"identity:*", IdentityAny, true},
		{"transition:generic", IdentityHandle, false},
	}
	for _, c := range ident {
		t.Run(c.scope+"/"+string(c.attr), func(t *testing.T) {
			if got := mustSet(t, c.scope).AllowsIdentity(c.attr); got != c.want {
				t.Errorf("AllowsIdentity = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSet_NilAndZeroAllowNothing(t *testing.T) {
	for name, s := range map[string]*Set{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if s.AllowsRepo("app.example.post", ActionCreate) || s.AllowsBlob("image/png") ||
				s.AllowsRPC("app.example.get", "*") || s.AllowsAccount(AccountEmail, AccountRead) ||
				s.AllowsIdentity(IdentityHandle) || s.Has(Atproto) || s.String() != "" || len(s.Scopes()) != 0 {
				t.Error("an empty set allowed something")
			}
			if all, colls := s.Collections(); all || colls != nil {
				t.Errorf("Collections = %v, %v", all, colls)
			}
		})
	}
}

func TestParseSet(t *testing.T) {
	s := mustSet(t, "  repo:app.example.b atproto repo?collection=app.example.b  blob:image/png ")
	if got, want := s.String(), "atproto blob:image/png repo:app.example.b"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if !s.Has(Atproto) || s.Has(TransitionGeneric) {
		t.Error("Has(static) wrong")
	}
	_, err := ParseSet("atproto repo:bad blob:nope")
	if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), "repo:bad") || !strings.Contains(err.Error(), "blob:nope") {
		t.Errorf("ParseSet with two bad scopes: %v", err)
	}
	lax, errs := ParseSetLax("atproto repo:bad openid repo:app.example.a")
	if len(errs) != 2 || lax.String() != "atproto repo:app.example.a" {
		t.Errorf("ParseSetLax = %q, %v", lax, errs)
	}
}

func TestSet_Missing(t *testing.T) {
	declared := mustSet(t, "atproto repo:app.example.a blob:image/*")
	asked := mustSet(t, "atproto repo?collection=app.example.a blob:image/* repo:app.example.b")
	missing := asked.Missing(declared)
	if len(missing) != 1 || missing[0].String() != "repo:app.example.b" {
		t.Errorf("Missing = %v", missing)
	}
	if m := declared.Missing(declared); len(m) != 0 {
		t.Errorf("a set misses %v of itself", m)
	}
}

func TestSet_Collections(t *testing.T) {
	cases := []struct {
		scope string
		all   bool
		colls []syntax.NSID
		pats  []string
	}{
		{"atproto", false, nil, nil},
		{"atproto repo:app.example.b?action=delete repo?collection=app.example.a&collection=app.example.b",
			false, []syntax.NSID{"app.example.a", "app.example.b"}, []string{"app.example.a", "app.example.b"}},
		{"atproto repo:app.example.a repo:*?action=create", true, nil, []string{"*"}},
		{"atproto transition:generic", true, nil, []string{"*"}},
		{"atproto rpc:app.example.get?aud=* blob:*/*", false, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.scope, func(t *testing.T) {
			s := mustSet(t, c.scope)
			all, colls := s.Collections()
			if all != c.all || !reflect.DeepEqual(colls, c.colls) {
				t.Errorf("Collections = %v, %v; want %v, %v", all, colls, c.all, c.colls)
			}
			if got := s.CollectionPatterns(); !reflect.DeepEqual(got, c.pats) {
				t.Errorf("CollectionPatterns = %v, want %v", got, c.pats)
			}
		})
	}
}
