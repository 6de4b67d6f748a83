package pds

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PLCOperator is implemented by Identities that hold the pod's PLC
// rotation key (through a keys.Signer: the key's private bytes never
// leave it) and reach the DID's directory. It lets an account move off
// the pod with the reference flow: requestPlcOperationSignature,
// signPlcOperation here, submitPlcOperation at the new pod (or here).
type PLCOperator interface {
	// RotationKey is the public half of the pod's PLC rotation key.
	RotationKey() keys.PublicKey
	// LastOp returns the DID's current operation, the head of its log.
	LastOp(ctx context.Context, did syntax.DID) (*plc.Operation, error)
	// SignOp signs op with the pod's rotation key.
	SignOp(op *plc.Operation) error
	// SubmitOp submits a signed op to the DID's directory, and forgets
	// what any cache remembers of the DID.
	SubmitOp(ctx context.Context, did syntax.DID, op *plc.Operation) error
}

// PLCTokenPurpose is the store.AccountToken purpose of the tokens
// requestPlcOperationSignature issues (the reference PDS's name).
const PLCTokenPurpose = "plc_operation"

// PLCTokenTTL is how long a PLC operation token is good for.
const PLCTokenTTL = 15 * time.Minute

const (
	opRequestPLC = "request plc operation signature"
	opSignPLC    = "sign plc operation"
	opSubmitPLC  = "submit plc operation"
)

func (p *PDS) plcOperator(op string, did syntax.DID) (PLCOperator, error) {
	if !strings.HasPrefix(string(did), "did:plc:") {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s is not a did:plc; only did:plc identities take PLC operations", did)
	}
	o, ok := p.ids.(PLCOperator)
	if !ok {
		return nil, rhizome.E(op, rhizome.Invalid, "this pod cannot sign or submit PLC operations")
	}
	return o, nil
}

// RequestPLCOperationSignature issues a single-use token, good for
// PLCTokenTTL, that signPlcOperation asks for. The reference PDS emails
// it; this pod has no mail, so the token is written to the pod's log
// (INFO, with the account's DID): on a personal pod the operator is the
// account's holder. Only a hash of it is stored; a new request replaces
// the account's previous token.
func (p *PDS) RequestPLCOperationSignature(ctx context.Context, did syntax.DID) error {
	if _, err := p.plcOperator(opRequestPLC, did); err != nil {
		return err
	}
	if _, err := p.store.Account(ctx, did); err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	tok, err := newPLCToken()
	if err != nil {
		return err
	}
	exp := store.Now().Add(PLCTokenTTL)
	t := store.AccountToken{DID: did, Purpose: PLCTokenPurpose, Hash: hashPLCToken(tok), ExpiresAt: exp}
	if err := p.store.PutAccountToken(ctx, t); err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	p.log.Info("PLC operation token issued: give it to com.atproto.identity.signPlcOperation",
		"did", did, "token", tok, "expires", exp.Format(time.RFC3339))
	return nil
}

// newPLCToken is a token in the reference PDS's form: ten base32
// characters, XXXXX-XXXXX (50 random bits).
func newPLCToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", rhizome.Errorf(opRequestPLC, rhizome.Other, "random: %w", err)
	}
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:10]
	return s[:5] + "-" + s[5:], nil
}

// hashPLCToken is what the store keeps of a token: SHA-256 of it as the
// user typed it, trimmed and upper-cased.
func hashPLCToken(tok string) string {
	sum := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(tok))))
	return hex.EncodeToString(sum[:])
}

// PLCChange is the input of signPlcOperation: the token and the parts of
// the DID's state to replace; a nil part is kept as it is.
type PLCChange struct {
	Token               string                 `json:"token"`
	RotationKeys        []string               `json:"rotationKeys,omitempty"`
	AlsoKnownAs         []string               `json:"alsoKnownAs,omitempty"`
	VerificationMethods map[string]string      `json:"verificationMethods,omitempty"`
	Services            map[string]plc.Service `json:"services,omitempty"`
}

// SignPLCOperation builds the operation that follows the DID's current
// one with the parts in ch replaced, signs it with the pod's rotation key
// and returns it, not submitted. The pod's key must be one of the DID's
// current rotation keys. The token (from RequestPLCOperationSignature) is
// checked and used up only once everything else holds, so a refused
// change does not cost the user their token: InvalidToken if it is not
// the account's, ExpiredToken if it is too old.
func (p *PDS) SignPLCOperation(ctx context.Context, did syntax.DID, ch PLCChange) (*plc.Operation, error) {
	o, err := p.plcOperator(opSignPLC, did)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(ch.Token) == "" {
		return nil, rhizome.E(opSignPLC, rhizome.Invalid, "email confirmation token required to sign PLC operations (see requestPlcOperationSignature)")
	}
	last, err := o.LastOp(ctx, did)
	if err != nil {
		return nil, err
	}
	if last.Type == plc.TypeTombstone {
		return nil, rhizome.Errorf(opSignPLC, rhizome.Invalid, "%s is tombstoned", did)
	}
	ours := o.RotationKey().DIDKey()
	if !slices.Contains(last.EffectiveRotationKeys(), ours) {
		return nil, rhizome.Errorf(opSignPLC, rhizome.Invalid,
			"this pod's rotation key %s is not one of %s's rotation keys, so the pod cannot sign its operations; sign with a key the DID names (rhizome identity)", ours, did)
	}
	next, err := plc.Update(last, func(op *plc.Operation) {
		if ch.RotationKeys != nil {
			op.RotationKeys = slices.Clone(ch.RotationKeys)
		}
		if ch.AlsoKnownAs != nil {
			op.AlsoKnownAs = slices.Clone(ch.AlsoKnownAs)
		}
		if ch.VerificationMethods != nil {
			op.VerificationMethods = ch.VerificationMethods
		}
		if ch.Services != nil {
			op.Services = ch.Services
		}
	})
	if err != nil {
		return nil, rhizome.Errorf(opSignPLC, rhizome.Invalid, "%w", err)
	}
	if err := p.takePLCToken(ctx, did, ch.Token); err != nil {
		return nil, err
	}
	if err := o.SignOp(next); err != nil {
		return nil, err
	}
	p.log.Info("PLC operation signed for the account (not submitted)", "did", did)
	return next, nil
}

// takePLCToken uses up the account's PLC operation token if tok is it.
func (p *PDS) takePLCToken(ctx context.Context, did syntax.DID, tok string) error {
	t, err := p.store.TakeAccountToken(ctx, did, PLCTokenPurpose, hashPLCToken(tok))
	if rhizome.Is(err, rhizome.NotFound) {
		return rhizome.E(opSignPLC, rhizome.Invalid, "Token is invalid").Named("InvalidToken")
	}
	if err != nil {
		return err
	}
	if store.Now().After(t.ExpiresAt) {
		return rhizome.E(opSignPLC, rhizome.Invalid, "Token is expired").Named("ExpiredToken")
	}
	return nil
}

// SubmitPLCOperation submits op, a signed operation for the account's
// DID, to its directory, and announces the change (#identity) if the
// account is active here; a deactivated account stays silent (one moving
// here is announced when it is activated, as the account-lifecycle guide
// asks; one moving away is announced by its new pod). op must
// follow the DID's current operation and be signed by one of its rotation
// keys. While the account is active here, op must keep it here: the pod
// as #atproto_pds, the account's signing key here as #atproto, and its
// handle first among alsoKnownAs (the reference PDS's checks, but for the
// pod's rotation key, which a user who holds their own may drop).
func (p *PDS) SubmitPLCOperation(ctx context.Context, did syntax.DID, op *plc.Operation) error {
	o, err := p.plcOperator(opSubmitPLC, did)
	if err != nil {
		return err
	}
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	if op.Type != plc.TypeOperation {
		return rhizome.E(opSubmitPLC, rhizome.Invalid, "Invalid operation: only plc_operation may be submitted here")
	}
	if err := op.Validate(); err != nil {
		return rhizome.Errorf(opSubmitPLC, rhizome.Invalid, "Invalid operation: %w", err)
	}
	last, err := o.LastOp(ctx, did)
	if err != nil {
		return err
	}
	if err := followsSigned(op, last); err != nil {
		return err
	}
	if a.Status == store.Active {
		if err := p.keepsUs(ctx, a, op); err != nil {
			return err
		}
	}
	if err := o.SubmitOp(ctx, did, op); err != nil {
		return rhizome.Errorf(opSubmitPLC, rhizome.KindOf(err), "the directory refused the operation: %w", err)
	}
	p.log.Info("PLC operation submitted", "did", did, "status", a.Status)
	if a.Status != store.Active {
		return nil
	}
	if err := p.store.UpdateAccount(ctx, did, store.AccountUpdate{Events: []store.Event{identityEvent(did, a.Handle)}}); err != nil {
		return err
	}
	p.notify()
	return nil
}

// followsSigned checks that op follows last and is signed by one of the
// keys last allows.
func followsSigned(op, last *plc.Operation) error {
	id, err := last.CID()
	if err != nil {
		return err
	}
	if op.Prev != id {
		return rhizome.Errorf(opSubmitPLC, rhizome.Invalid, "Invalid operation: prev is %s, not the DID's current operation %s", op.Prev, id)
	}
	if _, err := plc.VerifySignature(op, last.EffectiveRotationKeys()); err != nil {
		return rhizome.Errorf(opSubmitPLC, rhizome.Invalid, "Invalid operation signature: %w", err)
	}
	return nil
}

// keepsUs checks that op keeps an account that is active here hosted
// here.
func (p *PDS) keepsUs(ctx context.Context, a store.Account, op *plc.Operation) error {
	svc, ok := op.Services[plc.ServiceAtprotoPDS]
	if !ok || svc.Type != plc.ServiceTypePDS {
		return rhizome.E(opSubmitPLC, rhizome.Invalid, "Incorrect type on atproto_pds service")
	}
	if !sameURL(svc.Endpoint, p.cfg.PublicURL) {
		return rhizome.Errorf(opSubmitPLC, rhizome.Invalid,
			"Incorrect endpoint on atproto_pds service: the account is active on %s (deactivate it first to move it)", p.cfg.PublicURL)
	}
	s, err := p.signer(ctx, a.DID)
	if err != nil {
		return err
	}
	if op.VerificationMethods[plc.VerificationMethodAtproto] != s.PublicKey().DIDKey() {
		return rhizome.E(opSubmitPLC, rhizome.Invalid, "Incorrect signing key")
	}
	if a.Handle != "" && (len(op.AlsoKnownAs) == 0 || op.AlsoKnownAs[0] != "at://"+string(a.Handle)) {
		return rhizome.E(opSubmitPLC, rhizome.Invalid, "Incorrect handle in alsoKnownAs")
	}
	return nil
}
