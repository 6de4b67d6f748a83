package scope

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Set is the scopes of one grant or token, and the questions the pod asks
// of them. It is immutable and safe for concurrent use; the zero Set and
// a nil *Set allow nothing.
//
// The transition scopes keep their meaning: transition:generic allows any
// record operation, any blob and any service call except chat.bsky.*
// methods, which need transition:chat.bsky; transition:email allows
// reading the email address. Includes allow nothing until [Expand]
// replaces them by the permissions of their sets.
type Set struct {
	scopes []Scope  // sorted by String, unique
	strs   []string // scopes[i].String()
	static map[Static]bool
}

// NewSet returns the set of the given scopes, duplicates removed.
func NewSet(scopes ...Scope) *Set {
	byString := map[string]Scope{}
	for _, sc := range scopes {
		if sc != nil {
			byString[sc.String()] = sc
		}
	}
	s := &Set{strs: slices.Sorted(maps.Keys(byString)), static: map[Static]bool{}}
	for _, str := range s.strs {
		sc := byString[str]
		s.scopes = append(s.scopes, sc)
		if st, ok := sc.(Static); ok {
			s.static[st] = true
		}
	}
	return s
}

// ParseSet parses a space-separated OAuth scope string strictly: any
// invalid scope fails the whole string, with an error naming every one.
// Empty tokens (doubled or trailing spaces) are skipped.
func ParseSet(s string) (*Set, error) {
	set, errs := ParseSetLax(s)
	if len(errs) > 0 {
		return nil, rhizome.E("parse scopes", rhizome.Invalid, errors.Join(errs...))
	}
	return set, nil
}

// ParseSetLax parses a space-separated OAuth scope string, leaving out the
// scopes it cannot parse and returning why. Use it where the specification
// asks for unknown permissions to be ignored rather than refused.
func ParseSetLax(s string) (*Set, []error) {
	var scopes []Scope
	var errs []error
	for tok := range strings.SplitSeq(s, " ") {
		if tok == "" {
			continue
		}
		sc, err := Parse(tok)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		scopes = append(scopes, sc)
	}
	return NewSet(scopes...), errs
}

// Scopes returns the scopes in canonical order.
func (s *Set) Scopes() []Scope {
	if s == nil {
		return nil
	}
	return slices.Clone(s.scopes)
}

// String returns the canonical scope string: every scope in its canonical
// form, sorted, separated by single spaces.
func (s *Set) String() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.strs, " ")
}

// Has reports whether the set holds sc itself (compared in canonical
// form), not whether its other scopes would cover it.
func (s *Set) Has(sc Scope) bool {
	if s == nil || sc == nil {
		return false
	}
	_, found := slices.BinarySearch(s.strs, sc.String())
	return found
}

// Missing returns the scopes of s that declared does not hold: what a
// client asks for beyond the scope its metadata declares.
func (s *Set) Missing(declared *Set) []Scope {
	var out []Scope
	for _, sc := range s.Scopes() {
		if !declared.Has(sc) {
			out = append(out, sc)
		}
	}
	return out
}

// Includes returns the permission-set includes not yet expanded.
func (s *Set) Includes() []Include {
	var out []Include
	anyOf(s, func(i Include) bool { out = append(out, i); return false })
	return out
}

// anyOf reports whether f is true of a scope of s of type T, calling it
// on each in turn until it is.
func anyOf[T Scope](s *Set, f func(T) bool) bool {
	if s == nil {
		return false
	}
	for _, sc := range s.scopes {
		if t, ok := sc.(T); ok && f(t) {
			return true
		}
	}
	return false
}

func (s *Set) hasStatic(st Static) bool { return s != nil && s.static[st] }

// AllowsRepo reports whether the set allows every operation in action on
// records of collection.
func (s *Set) AllowsRepo(collection syntax.NSID, action RepoAction) bool {
	if action == 0 || action&^AllActions != 0 {
		return false
	}
	if s.hasStatic(TransitionGeneric) {
		return true
	}
	return anyOf(s, func(r Repo) bool { return r.Matches(collection, action) })
}

// AllowsBlob reports whether the set allows uploading a blob of media type
// mime.
func (s *Set) AllowsBlob(mime string) bool {
	if _, ok := cleanMIME(mime); !ok {
		return false
	}
	if s.hasStatic(TransitionGeneric) {
		return true
	}
	return anyOf(s, func(b Blob) bool { return b.Matches(mime) })
}

// AllowsRPC reports whether the set allows calling method lxm on the
// service aud (a DID service reference), through the proxy or a
// service-auth token. An lxm of "*" asks for a token valid for every
// method.
func (s *Set) AllowsRPC(lxm, aud string) bool {
	chat := strings.HasPrefix(lxm, "chat.bsky.")
	switch {
	case s.hasStatic(TransitionGeneric) && !chat:
		return true
	case s.hasStatic(TransitionChatBsky) && chat:
		return true
	}
	return anyOf(s, func(r RPC) bool { return r.Matches(lxm, aud) })
}

// AllowsAccount reports whether the set allows action on the account
// attribute attr.
func (s *Set) AllowsAccount(attr AccountAttr, action AccountAction) bool {
	if attr == AccountEmail && action == AccountRead && s.hasStatic(TransitionEmail) {
		return true
	}
	return anyOf(s, func(a Account) bool { return a.Matches(attr, action) })
}

// AllowsIdentity reports whether the set allows changing the identity
// attribute attr.
func (s *Set) AllowsIdentity(attr IdentityAttr) bool {
	return anyOf(s, func(i Identity) bool { return i.Matches(attr) })
}

// Collections returns the collections the set allows any record operation
// on: all true when every collection (repo:* or transition:generic),
// otherwise the NSIDs, sorted and unique. Expand includes first: an
// unexpanded include contributes nothing.
func (s *Set) Collections() (all bool, collections []syntax.NSID) {
	if s.hasStatic(TransitionGeneric) {
		return true, nil
	}
	all = anyOf(s, func(r Repo) bool {
		collections = append(collections, r.Collections...)
		return r.AnyCollection
	})
	if all {
		return true, nil
	}
	return false, sortedUnique(collections)
}

// CollectionPatterns returns Collections in the form of collection
// patterns for an app's event filter (firehose.Filter.Collections):
// ["*"] for every collection, the NSIDs otherwise, nil for none. A filter
// built from it, or narrowed by one built from it, selects only granted
// collections:
//
//	allowed := firehose.Filter{Collections: grant.CollectionPatterns()}
//	f = f.Narrow(allowed)
func (s *Set) CollectionPatterns() []string {
	all, colls := s.Collections()
	if all {
		return []string{"*"}
	}
	var out []string
	for _, c := range colls {
		out = append(out, string(c))
	}
	return out
}
