package custody

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Summary is a DID's verified state and who can change it.
type Summary struct {
	DID          syntax.DID             `json:"did"`
	Handle       string                 `json:"handle,omitempty"`
	AlsoKnownAs  []string               `json:"alsoKnownAs"`
	PDS          string                 `json:"pds,omitempty"`
	SigningKey   string                 `json:"signingKey,omitempty"`
	RotationKeys []string               `json:"rotationKeys"`
	Services     map[string]plc.Service `json:"services"`
	Methods      map[string]string      `json:"verificationMethods"`
	Operations   int                    `json:"operations"`
	Nullified    int                    `json:"nullified"`
	Created      time.Time              `json:"created"`
	Updated      time.Time              `json:"updated"`
	// Powers says, in words, who can change what.
	Powers []string `json:"powers"`
	// Yours is the position (1-based) of the owner's key among the
	// rotation keys, 0 if it is not one or no owner key was given.
	Yours int `json:"yours"`
}

// Show fetches and verifies did's whole log and the served document, and
// summarises the state. owner, if not empty, is the user's rotation key.
func (t *Tool) Show(ctx context.Context, did syntax.DID, owner string) (*Summary, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, err
	}
	data, err := l.Data()
	if err != nil {
		return nil, err
	}
	if err := t.checkDocument(ctx, data); err != nil {
		return nil, err
	}
	s := &Summary{DID: did, AlsoKnownAs: data.AlsoKnownAs, RotationKeys: data.RotationKeys,
		Services: data.Services, Methods: data.VerificationMethods, Operations: len(l.Entries),
		Created: l.Entries[0].CreatedAt, Updated: l.Current().CreatedAt}
	if h, ok := data.Handle(); ok {
		s.Handle = string(h)
	}
	s.PDS, _ = data.PDS()
	s.SigningKey = data.VerificationMethods[plc.VerificationMethodAtproto]
	for _, e := range l.Entries {
		if e.Nullified {
			s.Nullified++
		}
	}
	if owner != "" {
		s.Yours = slices.Index(s.RotationKeys, owner) + 1
	}
	s.Powers = powers(s)
	return s, nil
}

// powers explains the authority of each key and of the PDS.
func powers(s *Summary) []string {
	var out []string
	n := len(s.RotationKeys)
	for i, k := range s.RotationKeys {
		who := k
		if i+1 == s.Yours {
			who += " (yours)"
		}
		line := fmt.Sprintf("rotation key %d, %s: can sign any change to the DID (keys, PDS, handle, or a tombstone)", i+1, who)
		if i+1 < n {
			line += fmt.Sprintf("; within %s of a change signed by a key listed below it, can undo that change", plc.RecoveryWindow)
		}
		if i > 0 {
			line += fmt.Sprintf("; its own changes can be undone within %s by the %d key(s) above it", plc.RecoveryWindow, i)
		}
		out = append(out, line)
	}
	if s.SigningKey != "" {
		out = append(out, fmt.Sprintf("signing key %s: signs the repository's commits (whoever holds it, normally the PDS, can write records); it cannot change the DID", s.SigningKey))
	}
	if s.PDS != "" {
		out = append(out, fmt.Sprintf("PDS %s: hosts the repository; it can change the DID only through a rotation key it holds", s.PDS))
	}
	if s.Yours == 0 {
		out = append(out, "no key given as yours is among the rotation keys")
	}
	return out
}
