package custody

import (
	"context"
	"fmt"
	"net/url"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
)

// verify reads the new pod back: the DID names it, the repository
// verifies and holds the old tree, and no blob is missing.
func (m *migration) verify(ctx context.Context) (string, string, error) {
	if m.in.DryRun {
		return would("verify the new pod's repository, blobs and the DID")
	}
	l, err := m.t.Fetch(ctx, m.did)
	if err != nil {
		return "", "", err
	}
	data, err := l.Data()
	if err != nil {
		return "", "", err
	}
	if pds, _ := data.PDS(); pds != m.newEndpoint {
		return "", "", rhizome.Errorf(opStep, rhizome.Conflict, "%s names %s as its PDS, not %s", m.did, pds, m.newEndpoint)
	}
	key, err := data.SigningKey()
	if err != nil {
		return "", "", err
	}
	return m.verifyRepo(ctx, key, pastKeys(l))
}

// pastKeys are the #atproto keys the DID's log has named, newest first.
func pastKeys(l *Log) []keys.PublicKey {
	var out []keys.PublicKey
	for i := len(l.Entries) - 1; i >= 0; i-- {
		e := l.Entries[i]
		if e.Nullified || e.Operation == nil {
			continue
		}
		if k, err := keys.ParsePublicDIDKey(e.Operation.VerificationMethods[plc.VerificationMethodAtproto]); err == nil {
			out = append(out, k)
		}
	}
	return out
}

// verifyRepo checks the new pod's repository and blobs. The head commit
// should be signed by the key the DID names; a pod that keeps the
// imported commit (the reference PDS does, until the account's next
// write) serves one signed by a key the DID named before, which is
// accepted and said.
func (m *migration) verifyRepo(ctx context.Context, key keys.PublicKey, past []keys.PublicKey) (string, string, error) {
	car, err := m.in.To.download(ctx, "com.atproto.sync.getRepo", url.Values{"did": {string(m.did)}})
	if err != nil {
		return "", "", err
	}
	signed := "signed by the key the DID names"
	got, err := checkCAR(ctx, m.did, car.data, key)
	for _, k := range past {
		if err == nil || k.Equal(key) {
			continue
		}
		if got, err = checkCAR(ctx, m.did, car.data, k); err == nil {
			signed = "its head still signed by the key the DID named before, " + k.DIDKey() + "; the new pod re-signs at the next write"
		}
	}
	if err != nil {
		return "", "", rhizome.Errorf(opStep, rhizome.KindOf(err), "the new pod's repository: %w", err)
	}
	if m.oldData != "" && got.Data != m.oldData {
		return "", "", rhizome.Errorf(opStep, rhizome.Corrupt, "the new pod's tree is %s, the old pod's %s", got.Data, m.oldData)
	}
	missing, err := m.in.To.MissingBlobs(ctx, m.cur.AccessJWT, 10)
	if err != nil {
		return "", "", err
	}
	if len(missing) > 0 {
		return "", "", rhizome.Errorf(opStep, rhizome.Corrupt, "the new pod still lacks %d or more blobs, %s first", len(missing), missing[0])
	}
	have, err := m.in.To.listBlobs(ctx, m.did)
	if err != nil {
		return "", "", err
	}
	return StepChecked, fmt.Sprintf("the new pod serves %d records (tree %s, %s) and %d blobs, none missing",
		got.Records, got.Data, signed, len(have)), nil
}
