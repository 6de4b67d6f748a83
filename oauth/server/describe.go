package server

import (
	"strings"

	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Permission is one line of the consent page: what an app will be able
// to do, in plain words, and whether it is a broad or sensitive grant.
type Permission struct {
	Text      string
	Sensitive bool
}

// Describe turns a scope set into plain sentences for the consent page.
// Includes should be expanded first; an unexpanded one is described by
// its name.
func Describe(set *scope.Set) []Permission {
	var out []Permission
	for _, sc := range set.Scopes() {
		if p, ok := describeOne(sc); ok {
			out = append(out, p)
		}
	}
	return out
}

func describeOne(sc scope.Scope) (Permission, bool) {
	switch v := sc.(type) {
	case scope.Static:
		return describeStatic(v)
	case scope.Repo:
		return describeRepo(v), true
	case scope.Blob:
		return Permission{Text: "Upload files of these types: " + strings.Join(v.Accept, ", ") + "."}, true
	case scope.RPC:
		return describeRPC(v), true
	case scope.Account:
		return describeAccount(v), true
	case scope.Identity:
		return describeIdentity(v), true
	case scope.Include:
		return Permission{Text: "Use the permission set " + string(v.NSID) + "."}, true
	}
	return Permission{Text: "Use the permission " + sc.String() + ".", Sensitive: true}, true
}

func describeStatic(s scope.Static) (Permission, bool) {
	switch s {
	case scope.Atproto:
		return Permission{Text: "Know which account you are (your DID and handle)."}, true
	case scope.TransitionGeneric:
		return Permission{Text: "Read and change everything in your repository, upload any file, and call other services as you (full access, as with an app password).", Sensitive: true}, true
	case scope.TransitionChatBsky:
		return Permission{Text: "Read and send your Bluesky chat messages.", Sensitive: true}, true
	case scope.TransitionEmail:
		return Permission{Text: "See your email address."}, true
	}
	return Permission{}, false
}

func describeRepo(r scope.Repo) Permission {
	verbs := actionVerbs(r.Actions)
	if r.AnyCollection {
		return Permission{Text: verbs + " records of every kind in your repository.", Sensitive: true}
	}
	return Permission{Text: verbs + " records in " + joinNSIDs(r.Collections) + "."}
}

// actionVerbs spells a set of record actions: "Create, update and delete".
func actionVerbs(a scope.RepoAction) string {
	s := strings.Join(a.Names(), ", ")
	if i := strings.LastIndex(s, ", "); i >= 0 {
		s = s[:i] + " and " + s[i+2:]
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func joinNSIDs(ns []syntax.NSID) string {
	ss := make([]string, len(ns))
	for i, n := range ns {
		ss[i] = string(n)
	}
	return strings.Join(ss, ", ")
}

func describeRPC(r scope.RPC) Permission {
	what := "any method"
	if !r.AnyMethod {
		what = joinNSIDs(r.Methods)
	}
	aud := "any service"
	if r.Aud != "*" {
		aud = "the service " + r.Aud
	}
	return Permission{Text: "Call " + what + " on " + aud + " on your behalf.", Sensitive: r.AnyMethod}
}

func describeAccount(a scope.Account) Permission {
	switch {
	case a.Attr == scope.AccountEmail && a.Action == scope.AccountManage:
		return Permission{Text: "See and change your email address.", Sensitive: true}
	case a.Attr == scope.AccountEmail:
		return Permission{Text: "See your email address."}
	case a.Action == scope.AccountManage:
		return Permission{Text: "Import or replace your whole repository at once.", Sensitive: true}
	}
	return Permission{Text: "Read your whole repository at once (export)."}
}

func describeIdentity(i scope.Identity) Permission {
	if i.Attr == scope.IdentityHandle {
		return Permission{Text: "Change your handle.", Sensitive: true}
	}
	return Permission{Text: "Change your handle and your identity document (DID), which controls your whole account.", Sensitive: true}
}
