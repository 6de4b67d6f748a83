package custody

import (
	"context"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/plc"
)

// maxRotationKeys is the most rotation keys a did:plc operation may list.
const maxRotationKeys = 5

// identity points the DID at the new pod with the credentials the new
// pod recommends (its PDS endpoint, the account's signing key there, its
// rotation keys). The user's rotation key, when given, signs the update
// and stays first among the rotation keys; otherwise the old pod signs it
// (signPlcOperation, after an emailed token) and the new pod, or else the
// directory, receives it.
func (m *migration) identity(ctx context.Context) (string, string, error) {
	if !m.exists {
		m.newEndpoint = m.to
		return would("point %s at %s with the signing key the new pod gives the account, signed by %s", m.did, m.to, m.signerName())
	}
	creds, err := m.in.To.RecommendedCredentials(ctx, m.cur.AccessJWT)
	if err != nil {
		return "", "", rhizome.Errorf(opStep, rhizome.KindOf(err), "the new pod's recommended DID credentials: %w", err)
	}
	if m.newEndpoint, err = CheckEndpoint(creds.Services[plc.ServiceAtprotoPDS].Endpoint); err != nil {
		return "", "", err
	}
	m.newSigningKey = creds.VerificationMethods[plc.VerificationMethodAtproto]
	named, err := m.namesNew(ctx)
	if err != nil || named {
		if named {
			return already("%s names %s and its signing key %s", m.did, m.newEndpoint, m.newSigningKey)
		}
		return "", "", err
	}
	if m.in.DryRun {
		return would("point %s at %s with signing key %s, signed by %s", m.did, m.newEndpoint, m.newSigningKey, m.signerName())
	}
	if m.in.Signer != nil {
		return m.signedByUser(ctx, creds)
	}
	return m.signedByOldPod(ctx, creds)
}

func (m *migration) signerName() string {
	if m.in.Signer != nil {
		return "your rotation key " + m.in.Signer.PublicKey().DIDKey()
	}
	return "the old pod (signPlcOperation)"
}

// namesNew reports whether the DID names the new pod and its key already.
func (m *migration) namesNew(ctx context.Context) (bool, error) {
	l, err := m.t.Fetch(ctx, m.did)
	if err != nil {
		return false, err
	}
	data, err := l.Data()
	if err != nil {
		return false, err
	}
	pds, _ := data.PDS()
	return pds == m.newEndpoint && data.VerificationMethods[plc.VerificationMethodAtproto] == m.newSigningKey, nil
}

// signedByUser signs the update with the user's key, which stays the
// first rotation key, followed by the new pod's.
func (m *migration) signedByUser(ctx context.Context, creds *Credentials) (string, string, error) {
	mine := m.in.Signer.PublicKey().DIDKey()
	rot := []string{mine}
	for _, k := range creds.RotationKeys {
		if !slices.Contains(rot, k) && len(rot) < maxRotationKeys {
			rot = append(rot, k)
		}
	}
	tg := target{endpoint: m.newEndpoint, key: m.newSigningKey, rotation: func([]string) []string { return rot }}
	ch, dropped, err := m.t.pointAt(ctx, m.did, m.in.Signer, tg)
	if err != nil {
		return "", "", err
	}
	if ch == nil {
		return already("%s names %s already", m.did, m.newEndpoint)
	}
	m.res.PLCOp = ch.CID.String()
	return done("%s now names %s and key %s (operation %s, signed by %s; rotation keys %v, removed %v)",
		m.did, m.newEndpoint, m.newSigningKey, ch.CID, mine, rot, dropped)
}

// signedByOldPod has the old pod sign the update (it needs the token the
// old pod emails) and hands it to the new pod, or to the directory if the
// new pod does not take operations.
func (m *migration) signedByOldPod(ctx context.Context, creds *Credentials) (string, string, error) {
	if m.in.PLCToken == "" {
		err := m.in.From.RequestPLCSignature(ctx, m.old.AccessJWT)
		if notImplemented(err) {
			return "", "", rhizome.Errorf(opStep, rhizome.Invalid,
				"the old pod cannot sign the identity update: it does not implement com.atproto.identity.requestPlcOperationSignature "+
					"and signPlcOperation. Sign it with your own rotation key: --phrase-file FILE or --key NAME: %w", err)
		}
		if err != nil {
			return "", "", err
		}
		return "", "", rhizome.E(opStep, rhizome.Invalid,
			"the old pod has sent the account a confirmation token (a reference PDS by email, a Rhizome pod in its log); "+
				"run the same command again with --plc-token TOKEN to continue, or sign with your own rotation key: --phrase-file FILE or --key NAME").Named("PlcTokenRequired")
	}
	op, err := m.in.From.SignPLCOperation(ctx, m.old.AccessJWT, m.in.PLCToken, creds)
	if notImplemented(err) {
		return "", "", rhizome.Errorf(opStep, rhizome.Invalid,
			"the old pod does not implement com.atproto.identity.signPlcOperation; sign with --phrase-file or --key: %w", err)
	}
	if err != nil {
		return "", "", err
	}
	id, err := op.CID()
	if err != nil {
		return "", "", err
	}
	via := "the new pod"
	if err := m.in.To.SubmitPLCOperation(ctx, m.cur.AccessJWT, op); notImplemented(err) {
		via = "the directory"
		if err := m.t.Dir.Submit(ctx, m.did, op); err != nil {
			return "", "", rhizome.Errorf(opStep, rhizome.KindOf(err), "the directory refused the operation: %w", err)
		}
	} else if err != nil {
		return "", "", err
	}
	if _, err := m.t.verifyApplied(ctx, m.did, id, nil); err != nil {
		return "", "", err
	}
	m.res.PLCOp = id.String()
	return done("%s now names %s (operation %s, signed by the old pod, sent to %s)", m.did, m.newEndpoint, id, via)
}
