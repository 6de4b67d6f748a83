package scope

import (
	"slices"
)

// Scope is one parsed, normalised scope: a [Static] scope, a [Repo],
// [RPC], [Blob], [Account] or [Identity] permission, or an [Include] of a
// permission set. String returns the canonical scope string, which parses
// back to an equal value.
type Scope interface {
	// Resource names the kind of scope: "atproto", "transition", "repo",
	// "rpc", "blob", "account", "identity" or "include".
	Resource() string
	String() string
	isScope()
}

// Static is one of the scopes that take no parameters.
type Static string

// The static scopes. Atproto must be present in every atproto OAuth
// request; the transition scopes are the coarse grants that predate
// granular permissions.
const (
	Atproto            Static = "atproto"
	TransitionGeneric  Static = "transition:generic"   // what an app password may do: any record, blob or service call (except chat)
	TransitionChatBsky Static = "transition:chat.bsky" // service calls to chat.bsky.* methods
	TransitionEmail    Static = "transition:email"     // read the account's email address
)

func (s Static) Resource() string {
	if s == Atproto {
		return "atproto"
	}
	return "transition"
}

func (s Static) String() string { return string(s) }
func (Static) isScope()         {}

// Parse parses one scope string strictly: case-sensitive, with every
// parameter checked, unknown parameters and resources refused, and a value
// given both positionally and as a parameter refused. The error, of kind
// rhizome.Invalid, says what is wrong.
func Parse(s string) (Scope, error) {
	switch st := Static(s); st {
	case Atproto, TransitionGeneric, TransitionChatBsky, TransitionEmail:
		return st, nil
	}
	g, err := ParseGeneric(s)
	if err != nil {
		return nil, err
	}
	f := fields{scope: s, g: g}
	switch g.Resource {
	case "repo":
		return parseRepo(f)
	case "rpc":
		return parseRPC(f)
	case "blob":
		return parseBlob(f)
	case "account":
		return parseAccount(f)
	case "identity":
		return parseIdentity(f)
	case "include":
		return parseInclude(f)
	case "atproto", "transition":
		return nil, errorf(s, "unknown %s scope", g.Resource)
	}
	return nil, errorf(s, "unknown resource %q", g.Resource)
}

// fields reads the parameters of one resource from a Generic.
type fields struct {
	scope string
	g     Generic
}

// only refuses parameters other than names.
func (f fields) only(names ...string) error {
	for name := range f.g.Params {
		if !slices.Contains(names, name) {
			return errorf(f.scope, "unknown parameter %q for %s", name, f.g.Resource)
		}
	}
	return nil
}

// list returns the values of the parameter name, which is the resource's
// positional one when positional is true. It is an error to give it both
// ways, or not at all.
func (f fields) list(name string, positional bool) ([]string, error) {
	vs, has := f.g.Params[name]
	switch {
	case positional && f.g.Positional != "" && has:
		return nil, errorf(f.scope, "%s given both positionally and as a parameter", name)
	case positional && f.g.Positional != "":
		return []string{f.g.Positional}, nil
	case !has:
		return nil, errorf(f.scope, "missing %s", name)
	}
	return vs, nil
}

// single is list for a parameter that takes exactly one value. ok is false
// when the parameter is absent and not required.
func (f fields) single(name string, positional, required bool) (v string, ok bool, err error) {
	_, has := f.g.Params[name]
	if !required && !has && (!positional || f.g.Positional == "") {
		return "", false, nil
	}
	vs, err := f.list(name, positional)
	if err != nil {
		return "", false, err
	}
	if len(vs) != 1 {
		return "", false, errorf(f.scope, "%s takes one value, not %d", name, len(vs))
	}
	return vs[0], true, nil
}

// sortedUnique sorts ss and removes duplicates, in place.
func sortedUnique[T ~string](ss []T) []T {
	slices.Sort(ss)
	return slices.Compact(ss)
}
