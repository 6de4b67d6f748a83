package scope

import (
	"net/url"

	"github.com/rhizome-pds/rhizome/syntax"
)

// AccountAttr names a part of the account's hosting configuration.
type AccountAttr string

// The account attributes the specification defines. (Some implementations
// also know "status"; the interop vectors refuse it, and so do we.)
const (
	AccountEmail AccountAttr = "email" // the email address and whether it is verified
	AccountRepo  AccountAttr = "repo"  // the whole repository at once (CAR import)
)

// AccountAction is a degree of control over an account attribute.
type AccountAction string

// The account actions; manage includes read.
const (
	AccountRead   AccountAction = "read"
	AccountManage AccountAction = "manage"
)

// Account allows reading or managing one attribute of the account.
type Account struct {
	Attr   AccountAttr
	Action AccountAction // AccountRead when the scope names none
}

func (Account) Resource() string { return "account" }
func (Account) isScope()         {}

func parseAccount(f fields) (Scope, error) {
	if err := f.only("attr", "action"); err != nil {
		return nil, err
	}
	attr, _, err := f.single("attr", true, true)
	if err != nil {
		return nil, err
	}
	if a := AccountAttr(attr); a != AccountEmail && a != AccountRepo {
		return nil, errorf(f.scope, "account attr must be email or repo")
	}
	act, given, err := f.single("action", false, false)
	if err != nil {
		return nil, err
	}
	a := Account{Attr: AccountAttr(attr), Action: AccountRead}
	if given {
		a.Action = AccountAction(act)
	}
	if a.Action != AccountRead && a.Action != AccountManage {
		return nil, errorf(f.scope, "account action must be read or manage")
	}
	return a, nil
}

// Matches reports whether a allows action on attr.
func (a Account) Matches(attr AccountAttr, action AccountAction) bool {
	return a.Attr == attr && (a.Action == action || a.Action == AccountManage && action == AccountRead)
}

// String returns the canonical scope string (the action only when manage).
func (a Account) String() string {
	g := Generic{Resource: "account", Positional: string(a.Attr), Params: url.Values{}}
	if a.Action != AccountRead {
		g.Params.Set("action", string(a.Action))
	}
	return g.String()
}

// IdentityAttr names a part of the account's network identity.
type IdentityAttr string

// The identity attributes.
const (
	IdentityHandle IdentityAttr = "handle" // the handle, in the DID document and the pod's domains
	IdentityAny    IdentityAttr = "*"      // the whole DID document and handle
)

// Identity allows changing the account's handle, or its whole identity.
type Identity struct {
	Attr IdentityAttr
}

func (Identity) Resource() string { return "identity" }
func (Identity) isScope()         {}

func parseIdentity(f fields) (Scope, error) {
	if err := f.only("attr"); err != nil {
		return nil, err
	}
	attr, _, err := f.single("attr", true, true)
	if err != nil {
		return nil, err
	}
	if a := IdentityAttr(attr); a != IdentityHandle && a != IdentityAny {
		return nil, errorf(f.scope, "identity attr must be handle or *")
	}
	return Identity{Attr: IdentityAttr(attr)}, nil
}

// Matches reports whether i allows changing attr. Asking for IdentityAny
// needs the wildcard.
func (i Identity) Matches(attr IdentityAttr) bool {
	return i.Attr == IdentityAny || i.Attr == attr
}

// String returns the canonical scope string.
func (i Identity) String() string {
	return Generic{Resource: "identity", Positional: string(i.Attr)}.String()
}

// Include asks for the permissions of a permission set, the lexicon NSID,
// with Aud ("" when absent) passed down to the set's rpc permissions that
// inherit their audience. It grants nothing until expanded (see [Expand]).
type Include struct {
	NSID syntax.NSID // normalised
	Aud  string
}

func (Include) Resource() string { return "include" }
func (Include) isScope()         {}

func parseInclude(f fields) (Scope, error) {
	if err := f.only("nsid", "aud"); err != nil {
		return nil, err
	}
	id, _, err := f.single("nsid", true, true)
	if err != nil {
		return nil, err
	}
	nsid, err := syntax.ParseNSID(id)
	if err != nil {
		return nil, errorf(f.scope, "nsid: %v", err)
	}
	aud, _, err := f.single("aud", false, false)
	if err != nil {
		return nil, err
	}
	if _, has := f.g.Params["aud"]; has {
		if err := checkAudience(aud); err != nil {
			return nil, errorf(f.scope, "%v", err)
		}
	}
	return Include{NSID: nsid.Normalize(), Aud: aud}, nil
}

// String returns the canonical scope string.
func (i Include) String() string {
	g := Generic{Resource: "include", Positional: string(i.NSID), Params: url.Values{}}
	if i.Aud != "" {
		g.Params.Set("aud", i.Aud)
	}
	return g.String()
}
