package scope

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// RepoAction is a set of record operations, a bit mask of ActionCreate,
// ActionUpdate and ActionDelete.
type RepoAction uint8

// The record operations a repo permission can allow.
const (
	ActionCreate RepoAction = 1 << iota
	ActionUpdate
	ActionDelete

	AllActions = ActionCreate | ActionUpdate | ActionDelete
)

var repoActionNames = [...]struct {
	a    RepoAction
	name string
}{{ActionCreate, "create"}, {ActionUpdate, "update"}, {ActionDelete, "delete"}}

// ParseRepoAction parses "create", "update" or "delete".
func ParseRepoAction(s string) (RepoAction, error) {
	a, err := repoAction(s)
	if err != nil {
		return 0, rhizome.E("parse repo action", rhizome.Invalid, err)
	}
	return a, nil
}

func repoAction(s string) (RepoAction, error) {
	for _, n := range repoActionNames {
		if n.name == s {
			return n.a, nil
		}
	}
	return 0, fmt.Errorf("repo action %q: must be create, update or delete", clip(s))
}

// Names returns the operations in a, in the order create, update, delete.
func (a RepoAction) Names() []string {
	var out []string
	for _, n := range repoActionNames {
		if a&n.a != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String returns the operations joined by "+", such as "create+update".
func (a RepoAction) String() string { return strings.Join(a.Names(), "+") }

// Repo allows record operations in the account's repository: the Actions
// on the listed Collections, or on every collection when AnyCollection.
type Repo struct {
	AnyCollection bool
	Collections   []syntax.NSID // normalised, sorted, unique; nil when AnyCollection
	Actions       RepoAction    // never zero; AllActions when the scope names none
}

func (Repo) Resource() string { return "repo" }
func (Repo) isScope()         {}

// NewRepo builds a repo permission from its parameter values as they
// appear in a scope string or a permission set: NSIDs or "*", and action
// names (none means all).
func NewRepo(collections, actions []string) (Repo, error) {
	r, err := newRepo(collections, actions)
	if err != nil {
		return Repo{}, rhizome.E("new repo permission", rhizome.Invalid, err)
	}
	return r, nil
}

func newRepo(collections, actions []string) (Repo, error) {
	var r Repo
	var err error
	if r.Collections, r.AnyCollection, err = nsidList(collections, "collection"); err != nil {
		return Repo{}, err
	}
	r.Actions, err = parseRepoActions(actions)
	return r, err
}

// nsidList parses the NSIDs of a scope's positional list, sorted and
// without duplicates; "*" among them means any (and an empty list).
func nsidList(items []string, what string) ([]syntax.NSID, bool, error) {
	if len(items) == 0 {
		return nil, false, fmt.Errorf("missing %s", what)
	}
	var out []syntax.NSID
	anyNSID := false
	for _, it := range items {
		if it == "*" {
			anyNSID = true
			continue
		}
		n, err := syntax.ParseNSID(it)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, n.Normalize())
	}
	if anyNSID {
		return nil, true, nil
	}
	return sortedUnique(out), false, nil
}

func parseRepoActions(names []string) (RepoAction, error) {
	if len(names) == 0 {
		return AllActions, nil
	}
	var all RepoAction
	for _, name := range names {
		a, err := repoAction(name)
		if err != nil {
			return 0, err
		}
		all |= a
	}
	return all, nil
}

func parseRepo(f fields) (Scope, error) {
	if err := f.only("collection", "action"); err != nil {
		return nil, err
	}
	colls, err := f.list("collection", true)
	if err != nil {
		return nil, err
	}
	r, err := newRepo(colls, f.g.Params["action"])
	if err != nil {
		return nil, errorf(f.scope, "%v", err)
	}
	return r, nil
}

// Matches reports whether r allows every operation in a on collection.
func (r Repo) Matches(collection syntax.NSID, a RepoAction) bool {
	if a == 0 || r.Actions&a != a {
		return false
	}
	if r.AnyCollection {
		return true
	}
	_, found := slices.BinarySearch(r.Collections, collection.Normalize())
	return found
}

// String returns the canonical scope string: the collection positional
// when there is one, actions listed only when not all are allowed.
func (r Repo) String() string {
	g := Generic{Resource: "repo", Params: url.Values{}}
	switch {
	case r.AnyCollection:
		g.Positional = "*"
	case len(r.Collections) == 1:
		g.Positional = string(r.Collections[0])
	default:
		for _, c := range r.Collections {
			g.Params.Add("collection", string(c))
		}
	}
	if r.Actions != AllActions {
		g.Params["action"] = r.Actions.Names()
	}
	return g.String()
}
