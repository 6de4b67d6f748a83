package scope

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// SetResolver finds the published permission set of an NSID: a lexicon
// document whose main definition has type "permission-set". A resolver
// that cannot find one returns an error of kind rhizome.NotFound; one that
// could not reach the publisher, rhizome.Unavailable.
type SetResolver interface {
	ResolvePermissionSet(ctx context.Context, nsid syntax.NSID) (*PermissionSet, error)
}

// PermissionSet is a parsed permission-set lexicon: titles and details
// for the consent page, and the permissions it bundles.
type PermissionSet struct {
	NSID       syntax.NSID
	Title      string
	TitleLang  map[string]string
	Detail     string
	DetailLang map[string]string

	// Ignored says, one line each, which permissions of the document were
	// left out and why: an unknown resource or parameter, a wildcard, a
	// resource outside the set's namespace. The specification asks for
	// such permissions to be ignored rather than the whole set refused.
	Ignored []string

	entries []setEntry
}

// setEntry is one usable permission of a set: a Repo, or an RPC whose Aud
// is "" when it inherits the audience of the include.
type setEntry struct {
	scope      Scope
	inheritAud bool
}

// MaxPermissionSetSize bounds the lexicon documents ParsePermissionSet
// reads.
const MaxPermissionSetSize = 256 << 10

// ParsePermissionSet parses the lexicon document doc, which must have the
// id nsid and a main definition of type permission-set.
func ParsePermissionSet(nsid syntax.NSID, doc []byte) (*PermissionSet, error) {
	const op = "parse permission set"
	if len(doc) > MaxPermissionSetSize {
		return nil, rhizome.Errorf(op, rhizome.TooLarge, "%s: document of %d bytes exceeds %d", nsid, len(doc), MaxPermissionSetSize)
	}
	main, err := decodeSetDocument(nsid, doc)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s: %w", nsid, err)
	}
	ps := &PermissionSet{
		NSID: nsid.Normalize(), Title: main.Title, TitleLang: main.TitleLang,
		Detail: main.Detail, DetailLang: main.DetailLang,
	}
	for i, raw := range main.Permissions {
		e, err := parseSetEntry(ps.NSID, raw)
		if err != nil {
			ps.Ignored = append(ps.Ignored, fmt.Sprintf("permissions[%d]: %v", i, err))
			continue
		}
		ps.entries = append(ps.entries, e)
	}
	return ps, nil
}

type setDocument struct {
	Lexicon int                        `json:"lexicon"`
	ID      string                     `json:"id"`
	Defs    map[string]json.RawMessage `json:"defs"`
}

type setMainJSON struct {
	Type        string            `json:"type"`
	Title       string            `json:"title"`
	TitleLang   map[string]string `json:"title:lang"`
	Detail      string            `json:"detail"`
	DetailLang  map[string]string `json:"detail:lang"`
	Permissions []json.RawMessage `json:"permissions"`
}

func decodeSetDocument(nsid syntax.NSID, doc []byte) (*setMainJSON, error) {
	var d setDocument
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("not a lexicon document: %w", err)
	}
	var main setMainJSON
	switch {
	case d.Lexicon != 1:
		return nil, fmt.Errorf("lexicon version %d, want 1", d.Lexicon)
	case syntax.NSID(d.ID).Normalize() != nsid.Normalize():
		return nil, fmt.Errorf("document id %q is not the NSID asked for", clip(d.ID))
	case d.Defs["main"] == nil:
		return nil, errors.New("no main definition")
	}
	if err := json.Unmarshal(d.Defs["main"], &main); err != nil {
		return nil, fmt.Errorf("main definition: %w", err)
	}
	switch {
	case main.Type != "permission-set":
		return nil, errors.New(`main definition is not of type "permission-set"`)
	case main.Permissions == nil:
		return nil, errors.New("permissions: missing")
	}
	return &main, nil
}

// permissionJSON is one permission object of a set. Fields are decoded
// by exact name from a map so that unknown ones can be detected.
type permissionJSON struct {
	Type, Resource string
	Collection     []string
	Action         []string
	LXM            []string
	Aud            *string
	InheritAud     bool
}

var setFields = map[string][]string{
	"repo": {"type", "resource", "description", "collection", "action"},
	"rpc":  {"type", "resource", "description", "lxm", "aud", "inheritAud"},
}

// parseSetEntry parses one permission of the set named set, applying the
// rules for sets: only repo and rpc, no wildcards, no service DID as an
// audience, every NSID under the set's namespace.
func parseSetEntry(set syntax.NSID, raw json.RawMessage) (setEntry, error) {
	p, err := decodePermission(raw)
	if err != nil {
		return setEntry{}, err
	}
	switch p.Resource {
	case "repo":
		return repoEntry(set, p)
	case "rpc":
		return rpcEntry(set, p)
	case "blob", "account", "identity", "include":
		return setEntry{}, fmt.Errorf("%s permissions may not appear in a permission set", p.Resource)
	}
	return setEntry{}, fmt.Errorf("unknown resource %q", clip(p.Resource))
}

func decodePermission(raw json.RawMessage) (*permissionJSON, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not an object: %w", err)
	}
	var p permissionJSON
	if err := field(m, "type", &p.Type); err != nil || p.Type != "permission" {
		return nil, errors.New(`type must be "permission"`)
	}
	if err := field(m, "resource", &p.Resource); err != nil {
		return nil, err
	}
	for name := range m {
		if known, ok := setFields[p.Resource]; ok && !slices.Contains(known, name) {
			return nil, fmt.Errorf("unknown field %q for %s", clip(name), p.Resource)
		}
	}
	err := errors.Join(field(m, "collection", &p.Collection), field(m, "action", &p.Action),
		field(m, "lxm", &p.LXM), field(m, "aud", &p.Aud), field(m, "inheritAud", &p.InheritAud))
	return &p, err
}

// field decodes m[name] into v when present; a null counts as absent.
func field(m map[string]json.RawMessage, name string, v any) error {
	raw, ok := m[name]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s: wrong type", name)
	}
	return nil
}

func repoEntry(set syntax.NSID, p *permissionJSON) (setEntry, error) {
	r, err := newRepo(p.Collection, p.Action)
	switch {
	case err != nil:
		return setEntry{}, err
	case r.AnyCollection:
		return setEntry{}, errors.New("collection wildcard not allowed in a permission set")
	}
	if err := underAuthority(set, r.Collections); err != nil {
		return setEntry{}, err
	}
	return setEntry{scope: r}, nil
}

func rpcEntry(set syntax.NSID, p *permissionJSON) (setEntry, error) {
	aud := ""
	switch {
	case p.InheritAud && p.Aud != nil:
		return setEntry{}, errors.New("inheritAud and aud together")
	case !p.InheritAud && p.Aud == nil:
		return setEntry{}, errors.New("needs aud or inheritAud")
	case p.Aud != nil && *p.Aud != AnyAudience:
		return setEntry{}, errors.New(`aud must be "*" in a permission set`)
	case p.Aud != nil:
		aud = *p.Aud
	}
	// Validate with a stand-in audience when it is inherited.
	r, err := newRPC(p.LXM, cmp.Or(aud, "did:web:inherited.invalid#x"))
	switch {
	case err != nil:
		return setEntry{}, err
	case r.AnyMethod:
		return setEntry{}, errors.New("lxm wildcard not allowed in a permission set")
	}
	if err := underAuthority(set, r.Methods); err != nil {
		return setEntry{}, err
	}
	r.Aud = aud
	return setEntry{scope: r, inheritAud: p.InheritAud}, nil
}

// underAuthority checks that every NSID is in the namespace of the set:
// its group (the set's NSID without its last segment) or below.
func underAuthority(set syntax.NSID, nsids []syntax.NSID) error {
	group := string(set.Normalize())
	group = group[:strings.LastIndexByte(group, '.')+1]
	for _, n := range nsids {
		if !strings.HasPrefix(string(n), group) {
			return fmt.Errorf("%s is outside the namespace %s*", n, group)
		}
	}
	return nil
}

// Permissions returns what including the set with audience aud ("" for
// none) grants: its repo permissions, and its rpc permissions with aud
// passed to those that inherit it (left out when aud is "").
func (ps *PermissionSet) Permissions(aud string) []Scope {
	var out []Scope
	for _, e := range ps.entries {
		if !e.inheritAud {
			out = append(out, e.scope)
			continue
		}
		if aud == "" {
			continue
		}
		r := e.scope.(RPC) // never AnyMethod: sets may not hold wildcards
		r.Aud = aud
		out = append(out, r)
	}
	return out
}

// Expand returns the set with each include replaced by the permissions of
// its permission set, resolved through r. A set that cannot be resolved
// fails the expansion, as the specification asks at the start of a
// session. The result holds no includes; keep the original scope string
// (with its includes) to expand again at refresh, when sets may have
// changed.
func Expand(ctx context.Context, s *Set, r SetResolver) (*Set, error) {
	var out []Scope
	for _, sc := range s.Scopes() {
		inc, ok := sc.(Include)
		if !ok {
			out = append(out, sc)
			continue
		}
		ps, err := r.ResolvePermissionSet(ctx, inc.NSID)
		if err != nil {
			return nil, rhizome.Errorf("expand scopes", rhizome.Other, "%s: %w", inc, err)
		}
		out = append(out, ps.Permissions(inc.Aud)...)
	}
	return NewSet(out...), nil
}
