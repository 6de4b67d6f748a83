package plc

import (
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// Limits a directory enforces on new operations (the specification's and
// the reference directory's). Operations already in a log are judged only
// by the signature and ordering rules, so old logs stay verifiable.
const (
	MaxOperationSize       = 7500 // bytes of the signed DRISL encoding
	MaxRotationKeys        = 5
	MaxVerificationMethods = 10
	MaxAlsoKnownAs         = 10
	MaxAlsoKnownAsLen      = 256
	MaxServices            = 10
	MaxIDLen               = 32 // of a verification method or service id
	MaxServiceTypeLen      = 256
	MaxServiceEndpointLen  = 512
	maxDIDKeyLen           = 256
)

const opValidate = "validate plc operation"

// Validate checks the rules a directory applies to a new operation before
// looking at the log: it must be signed, at most [MaxOperationSize] bytes,
// not in the legacy create format, and its fields within the limits above
// (1 to 5 distinct P-256/secp256k1 rotation keys, syntactically valid
// did:key verification methods, no duplicate alsoKnownAs entries).
func (op *Operation) Validate() error {
	if op.Type == TypeCreate {
		return rhizome.E(opValidate, rhizome.Invalid, "legacy create operations are no longer accepted")
	}
	b, err := op.Bytes()
	if err != nil {
		return err
	}
	if len(b) > MaxOperationSize {
		return rhizome.Errorf(opValidate, rhizome.TooLarge,
			"operation is %d bytes of DRISL, more than %d", len(b), MaxOperationSize)
	}
	return op.validateFields()
}

// validateFields checks the field limits of a plc_operation.
func (op *Operation) validateFields() error {
	if op.Type != TypeOperation {
		return nil
	}
	return firstErr(validateRotationKeys(op.RotationKeys),
		validateVerificationMethods(op.VerificationMethods),
		validateAlsoKnownAs(op.AlsoKnownAs), validateServices(op.Services))
}

func validateRotationKeys(ks []string) error {
	if len(ks) == 0 || len(ks) > MaxRotationKeys {
		return rhizome.Errorf(opValidate, rhizome.Invalid,
			"%d rotation keys, want 1 to %d", len(ks), MaxRotationKeys)
	}
	seen := make(map[string]bool, len(ks))
	for i, k := range ks {
		if _, err := keys.ParsePublicDIDKey(k); err != nil {
			return rhizome.Errorf(opValidate, rhizome.Invalid, "rotation key %d: %w", i, err)
		}
		if seen[k] {
			return rhizome.Errorf(opValidate, rhizome.Invalid, "rotation key %d is a duplicate", i)
		}
		seen[k] = true
	}
	return nil
}

func validateVerificationMethods(vm map[string]string) error {
	if len(vm) > MaxVerificationMethods {
		return rhizome.Errorf(opValidate, rhizome.Invalid,
			"%d verification methods, more than %d", len(vm), MaxVerificationMethods)
	}
	for id, k := range vm {
		if err := validateID("verification method", id); err != nil {
			return err
		}
		if !isDIDKey(k) {
			return rhizome.Errorf(opValidate, rhizome.Invalid, "verification method %q is not a did:key", id)
		}
	}
	return nil
}

func validateAlsoKnownAs(aka []string) error {
	if len(aka) > MaxAlsoKnownAs {
		return rhizome.Errorf(opValidate, rhizome.Invalid,
			"%d alsoKnownAs entries, more than %d", len(aka), MaxAlsoKnownAs)
	}
	seen := make(map[string]bool, len(aka))
	for i, a := range aka {
		if a == "" || len(a) > MaxAlsoKnownAsLen {
			return rhizome.Errorf(opValidate, rhizome.Invalid,
				"alsoKnownAs %d is empty or longer than %d bytes", i, MaxAlsoKnownAsLen)
		}
		if seen[a] {
			return rhizome.Errorf(opValidate, rhizome.Invalid, "alsoKnownAs %d is a duplicate", i)
		}
		seen[a] = true
	}
	return nil
}

func validateServices(svcs map[string]Service) error {
	if len(svcs) > MaxServices {
		return rhizome.Errorf(opValidate, rhizome.Invalid, "%d services, more than %d", len(svcs), MaxServices)
	}
	for id, s := range svcs {
		if err := validateID("service", id); err != nil {
			return err
		}
		if s.Type == "" || len(s.Type) > MaxServiceTypeLen {
			return rhizome.Errorf(opValidate, rhizome.Invalid, "service %q: type empty or too long", id)
		}
		if s.Endpoint == "" || len(s.Endpoint) > MaxServiceEndpointLen {
			return rhizome.Errorf(opValidate, rhizome.Invalid, "service %q: endpoint empty or too long", id)
		}
	}
	return nil
}

func validateID(what, id string) error {
	if id == "" || len(id) > MaxIDLen || strings.HasPrefix(id, "#") {
		return rhizome.Errorf(opValidate, rhizome.Invalid,
			"%s id %.40q must be 1 to %d bytes without a leading #", what, id, MaxIDLen)
	}
	return nil
}

// isDIDKey reports whether s is syntactically a did:key: the prefix, "z"
// and base58btc. Verification methods may hold key types Rhizome cannot
// use (ed25519, say), so the key itself is not decoded.
func isDIDKey(s string) bool {
	const p = "did:key:z"
	if !strings.HasPrefix(s, p) || len(s) == len(p) || len(s) > maxDIDKeyLen {
		return false
	}
	for _, c := range s[len(p):] {
		if !strings.ContainsRune(base58Alphabet, c) {
			return false
		}
	}
	return true
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
