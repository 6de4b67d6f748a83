package custody

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

const opChange = "change identity"

// RotateSigningKey names newKey (a did:key) as the DID's #atproto key, the
// key its repository is signed with. The pod hosting the repository must
// hold it: get one from the pod (Pod.ReserveSigningKey) or its operator.
func (t *Tool) RotateSigningKey(ctx context.Context, did syntax.DID, signer keys.Signer, newKey string) (*Change, error) {
	if _, err := keys.ParsePublicDIDKey(newKey); err != nil {
		return nil, rhizome.Errorf(opChange, rhizome.Invalid, "signing key: %w", err)
	}
	return t.Update(ctx, did, signer, func(op *plc.Operation) error {
		op.VerificationMethods[plc.VerificationMethodAtproto] = newKey
		return nil
	})
}

// SetPDS points the DID's #atproto_pds service at endpoint and, if
// signingKey is not empty, names signingKey as its #atproto key in the
// same operation (a move to another pod needs both).
func (t *Tool) SetPDS(ctx context.Context, did syntax.DID, signer keys.Signer, endpoint, signingKey string) (*Change, error) {
	ep, err := CheckEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	if signingKey != "" {
		if _, err := keys.ParsePublicDIDKey(signingKey); err != nil {
			return nil, rhizome.Errorf(opChange, rhizome.Invalid, "signing key: %w", err)
		}
	}
	return t.Update(ctx, did, signer, func(op *plc.Operation) error {
		op.Services[plc.ServiceAtprotoPDS] = plc.Service{Type: plc.ServiceTypePDS, Endpoint: ep}
		if signingKey != "" {
			op.VerificationMethods[plc.VerificationMethodAtproto] = signingKey
		}
		return nil
	})
}

// CheckEndpoint validates a PDS URL (http or https, a host, no path,
// query or fragment) and returns it without a trailing slash.
func CheckEndpoint(s string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", rhizome.Errorf(opChange, rhizome.Invalid, "PDS endpoint %q must be an http(s) URL with a host and nothing else", s)
	}
	return u.String(), nil
}

// SetHandle makes at://handle the DID's first alsoKnownAs entry, replacing
// any other at:// entry and keeping the rest. The handle must still
// resolve to the DID (DNS or /.well-known) for the network to accept it.
func (t *Tool) SetHandle(ctx context.Context, did syntax.DID, signer keys.Signer, handle string) (*Change, error) {
	h, err := syntax.ParseHandle(strings.ToLower(strings.TrimPrefix(handle, "at://")))
	if err != nil {
		return nil, rhizome.Errorf(opChange, rhizome.Invalid, "handle: %w", err)
	}
	return t.Update(ctx, did, signer, func(op *plc.Operation) error {
		aka := []string{"at://" + string(h)}
		for _, a := range op.AlsoKnownAs {
			if !strings.HasPrefix(a, "at://") {
				aka = append(aka, a)
			}
		}
		op.AlsoKnownAs = aka
		return nil
	})
}

// AddRotationKey adds key (a did:key) to the DID's rotation keys at
// position (0 is the highest priority; a negative or too large position
// appends it, lowest priority).
func (t *Tool) AddRotationKey(ctx context.Context, did syntax.DID, signer keys.Signer, key string, position int) (*Change, error) {
	if _, err := keys.ParsePublicDIDKey(key); err != nil {
		return nil, rhizome.Errorf(opChange, rhizome.Invalid, "rotation key: %w", err)
	}
	return t.Update(ctx, did, signer, func(op *plc.Operation) error {
		if slices.Contains(op.RotationKeys, key) {
			return rhizome.Errorf(opChange, rhizome.Exists, "%s is already a rotation key of %s", key, did)
		}
		if len(op.RotationKeys) >= plc.MaxRotationKeys {
			return rhizome.Errorf(opChange, rhizome.Invalid, "%s has %d rotation keys, the most allowed; remove one first", did, plc.MaxRotationKeys)
		}
		if position < 0 || position > len(op.RotationKeys) {
			position = len(op.RotationKeys)
		}
		op.RotationKeys = slices.Insert(op.RotationKeys, position, key)
		return nil
	})
}

// RemoveRotationKey removes key from the DID's rotation keys. It refuses
// to remove the key that signs the change: remove a key with another one,
// so the DID is never left without the key its owner holds by mistake.
func (t *Tool) RemoveRotationKey(ctx context.Context, did syntax.DID, signer keys.Signer, key string) (*Change, error) {
	if key == signer.PublicKey().DIDKey() {
		return nil, rhizome.Errorf(opChange, rhizome.Invalid,
			"refusing to remove %s, the key signing this change: sign with another rotation key to remove it", key)
	}
	return t.Update(ctx, did, signer, func(op *plc.Operation) error {
		i := slices.Index(op.RotationKeys, key)
		if i < 0 {
			return rhizome.Errorf(opChange, rhizome.NotFound, "%s is not a rotation key of %s", key, did)
		}
		op.RotationKeys = slices.Delete(op.RotationKeys, i, i+1)
		return nil
	})
}
