package store

import (
	"context"
	"encoding/json"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Preference is one private preference object of an account
// (app.bsky.actor.putPreferences): its $type and the whole object as JSON,
// $type included. The store keeps Value as given and never parses it.
type Preference struct {
	Type  string
	Value json.RawMessage
}

// Preferences stores the accounts' private preferences, an ordered list
// per account (several may share a $type). They go with the account when
// it is deleted.
type Preferences interface {
	// Preferences returns the account's preferences in the order they were
	// put (kept ones first, see PutPreferences); none if it has none,
	// NotFound if there is no such account.
	Preferences(ctx context.Context, did syntax.DID) ([]Preference, error)
	// PutPreferences replaces the account's preferences with prefs,
	// atomically, except those of the types in keep: they stay, ahead of
	// prefs, in their order. NotFound if there is no such account; Invalid
	// (nothing written) if a preference lacks a type or value.
	PutPreferences(ctx context.Context, did syntax.DID, prefs []Preference, keep ...string) error
}

// CheckPreferences is the check every implementation makes before it
// writes: each preference has a type and a value. It returns the index of
// the first bad one, or -1.
func CheckPreferences(prefs []Preference) int {
	for i, p := range prefs {
		if p.Type == "" || len(p.Value) == 0 {
			return i
		}
	}
	return -1
}
