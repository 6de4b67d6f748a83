package custody

import (
	"context"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Created is a new account whose DID the user's key heads.
type Created struct {
	Session *Session
	DID     syntax.DID
	Data    *plc.Data // the DID's verified state
}

// CreateAccount creates an account on pod with rotationKey (the user's
// did:key) as the recoveryKey, then verifies the new DID's log: one
// operation, rotationKey first among the rotation keys, the pod as PDS,
// and the document served accordingly. A pod that ignores recoveryKey or
// puts its own key first is caught here (the account exists then, but
// the error says the user does not control it).
func (t *Tool) CreateAccount(ctx context.Context, pod *Pod, a Account, rotationKey string) (*Created, error) {
	a.RecoveryKey, a.DID, a.ServiceToken = rotationKey, "", ""
	s, err := pod.CreateAccount(ctx, a)
	if err != nil {
		return nil, err
	}
	did, err := plc.ParseDID(s.DID)
	if err != nil {
		return nil, rhizome.Errorf("create account", rhizome.Invalid, "the pod made %q, not a did:plc: %w", s.DID, err)
	}
	data, err := t.checkCreated(ctx, did, pod.URL, rotationKey)
	if err != nil {
		return &Created{Session: s, DID: did}, err
	}
	return &Created{Session: s, DID: did, Data: data}, nil
}

func (t *Tool) checkCreated(ctx context.Context, did syntax.DID, podURL, rotationKey string) (*plc.Data, error) {
	const op = "verify new account"
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, err
	}
	data, err := l.Data()
	if err != nil {
		return nil, err
	}
	if ks := data.RotationKeys; len(ks) == 0 || ks[0] != rotationKey {
		return nil, rhizome.Errorf(op, rhizome.Forbidden, "the pod did not put your key first: %s has rotation keys %v", did, ks)
	}
	if pds, _ := data.PDS(); strings.TrimSuffix(pds, "/") != strings.TrimSuffix(podURL, "/") {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s names %q as its PDS, not %s", did, pds, podURL)
	}
	return data, t.checkDocument(ctx, data)
}
