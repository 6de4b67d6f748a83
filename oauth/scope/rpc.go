package scope

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// AnyAudience is the audience wildcard of rpc and include scopes.
const AnyAudience = "*"

// RPC allows authenticated calls to remote services, through the pod's
// proxy or with service-auth tokens it signs: the listed Methods (lexicon
// methods, "lxm"), or any method when AnyMethod, on the service Aud, a
// DID service reference ("did:web:api.example.com#svc_appview") or "*".
// A method wildcard and an audience wildcard never go together.
type RPC struct {
	AnyMethod bool
	Methods   []syntax.NSID // normalised, sorted, unique; nil when AnyMethod
	Aud       string
}

func (RPC) Resource() string { return "rpc" }
func (RPC) isScope()         {}

// NewRPC builds an rpc permission from its parameter values: NSIDs or
// "*", and the audience.
func NewRPC(methods []string, aud string) (RPC, error) {
	r, err := newRPC(methods, aud)
	if err != nil {
		return RPC{}, rhizome.E("new rpc permission", rhizome.Invalid, err)
	}
	return r, nil
}

func newRPC(methods []string, aud string) (RPC, error) {
	r := RPC{Aud: aud}
	var err error
	if r.Methods, r.AnyMethod, err = nsidList(methods, "lxm"); err != nil {
		return RPC{}, err
	}
	if err := checkAudience(aud); err != nil {
		return RPC{}, err
	}
	if r.AnyMethod && aud == AnyAudience {
		return RPC{}, errors.New("lxm and aud may not both be *")
	}
	return r, nil
}

func parseRPC(f fields) (Scope, error) {
	if err := f.only("lxm", "aud"); err != nil {
		return nil, err
	}
	lxm, err := f.list("lxm", true)
	if err != nil {
		return nil, err
	}
	aud, _, err := f.single("aud", false, true)
	if err != nil {
		return nil, err
	}
	r, err := newRPC(lxm, aud)
	if err != nil {
		return nil, errorf(f.scope, "%v", err)
	}
	return r, nil
}

// Matches reports whether r allows calling method lxm on the service aud.
// An lxm of "*" asks for every method (a service-auth token not bound to
// one), which only a method wildcard allows.
func (r RPC) Matches(lxm, aud string) bool {
	if r.Aud != AnyAudience && r.Aud != aud {
		return false
	}
	if r.AnyMethod {
		return true
	}
	if lxm == "*" {
		return false
	}
	_, found := slices.BinarySearch(r.Methods, syntax.NSID(lxm).Normalize())
	return found
}

// String returns the canonical scope string.
func (r RPC) String() string {
	g := Generic{Resource: "rpc", Params: url.Values{"aud": {r.Aud}}}
	switch {
	case r.AnyMethod:
		g.Positional = "*"
	case len(r.Methods) == 1:
		g.Positional = string(r.Methods[0])
	default:
		for _, m := range r.Methods {
			g.Params.Add("lxm", string(m))
		}
	}
	return g.String()
}

// checkAudience checks an audience: "*" or a DID service reference, a DID
// followed by "#" and a non-empty fragment.
func checkAudience(aud string) error {
	if aud == AnyAudience {
		return nil
	}
	did, frag, ok := strings.Cut(aud, "#")
	if !ok || frag == "" {
		return fmt.Errorf("aud %q: must be * or a DID with a #service fragment", clip(aud))
	}
	if _, err := syntax.ParseDID(did); err != nil {
		return fmt.Errorf("aud: %w", err)
	}
	for i := 0; i < len(frag); i++ {
		if c := frag[i]; !isAlpha(c) && !isDigit(c) && strings.IndexByte("-._~:", c) < 0 {
			return fmt.Errorf("aud %q: service fragment may hold letters, digits and -._~:", clip(aud))
		}
	}
	return nil
}
