package pds

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxPreferencesBytes bounds the JSON array PutPreferences accepts.
const MaxPreferencesBytes = 64 << 10

// PersonalDetailsPref is the preference type only full sessions see and
// set; app passwords neither read nor replace it.
const PersonalDetailsPref = "app.bsky.actor.defs#personalDetailsPref"

// prefNamespace is the namespace of the preferences the pod holds
// (app.bsky.actor.getPreferences/putPreferences).
const prefNamespace = "app.bsky"

// Preferences returns the account's private preferences as a JSON array
// of objects ("[]" if it has none), in the order they were put. full is
// false for app-password sessions: PersonalDetailsPref is then left out.
// Any account status may read them.
func (p *PDS) Preferences(ctx context.Context, did syntax.DID, full bool) (json.RawMessage, error) {
	prefs, err := p.store.Preferences(ctx, did)
	if err != nil {
		return nil, notFoundAs(err, "AccountNotFound")
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for _, pr := range prefs {
		if !full && pr.Type == PersonalDetailsPref {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(pr.Value)
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// PutPreferences replaces the account's private preferences with prefs,
// a JSON array of objects, each with a $type in the app.bsky namespace,
// at most MaxPreferencesBytes in all. Bad input is an Invalid
// (InvalidRequest) error and changes nothing. full is false for
// app-password sessions: they may not set PersonalDetailsPref, and the
// one stored stays. A taken-down account may not write; a deactivated
// one may (an account moving in is filled before it is activated).
func (p *PDS) PutPreferences(ctx context.Context, did syntax.DID, prefs json.RawMessage, full bool) error {
	const op = "put preferences"
	parsed, err := parsePreferences(prefs, full)
	if err != nil {
		return rhizome.E(op, rhizome.Invalid, err)
	}
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	if a.Status == store.Takendown {
		return rhizome.E(op, rhizome.Unauthorized, "account has been taken down").Named("AccountTakedown")
	}
	var keep []string
	if !full {
		keep = []string{PersonalDetailsPref}
	}
	return notFoundAs(p.store.PutPreferences(ctx, did, parsed, keep...), "AccountNotFound")
}

// parsePreferences checks a preferences array and returns its objects,
// compacted, with their types.
func parsePreferences(raw json.RawMessage, full bool) ([]store.Preference, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, fmt.Errorf("preferences are required")
	case len(raw) > MaxPreferencesBytes:
		return nil, fmt.Errorf("preferences exceed %d bytes", MaxPreferencesBytes)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("preferences must be a JSON array of objects: %v", err)
	}
	out := make([]store.Preference, 0, len(items))
	for i, item := range items {
		pr, err := parsePreference(item, full)
		if err != nil {
			return nil, fmt.Errorf("preference %d: %w", i, err)
		}
		out = append(out, pr)
	}
	return out, nil
}

// parsePreference checks one preference object.
func parsePreference(item json.RawMessage, full bool) (store.Preference, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(item, &obj); err != nil || obj == nil {
		return store.Preference{}, fmt.Errorf("not a JSON object")
	}
	var typ string
	if err := json.Unmarshal(obj["$type"], &typ); err != nil || typ == "" {
		return store.Preference{}, fmt.Errorf("preference is missing a $type")
	}
	if err := checkPrefType(typ); err != nil {
		return store.Preference{}, err
	}
	if !full && typ == PersonalDetailsPref {
		return store.Preference{}, fmt.Errorf("do not have authorization to set preferences: %s (an app password may not)", typ)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, item); err != nil {
		return store.Preference{}, fmt.Errorf("not a JSON object")
	}
	return store.Preference{Type: typ, Value: b.Bytes()}, nil
}

// checkPrefType accepts an NSID in the app.bsky namespace, with an
// optional #fragment.
func checkPrefType(typ string) error {
	name, frag, hasFrag := strings.Cut(typ, "#")
	if _, err := syntax.ParseNSID(name); err != nil || (hasFrag && frag == "") {
		return fmt.Errorf("$type %q is not a lexicon type name", typ)
	}
	if !strings.HasPrefix(name, prefNamespace+".") {
		return fmt.Errorf("$type %q is not in the %s namespace", typ, prefNamespace)
	}
	return nil
}
