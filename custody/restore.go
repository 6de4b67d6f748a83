package custody

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// RestoreInput says where and how to bring an account up again.
type RestoreInput struct {
	Pod    *Pod
	DID    syntax.DID
	Backup string // a folder Backup wrote
	// Source, if set, is read instead of the folder Backup names.
	Source Source
	// Handle defaults to the DID's current handle. Email and Password are
	// the new account's.
	Handle, Email, Password, InviteCode string
	// KeepRotationKeys keeps the DID's other rotation keys (the old
	// pod's, say); by default only the key signing the move stays.
	KeepRotationKeys bool
}

// Restored is what a restore did.
type Restored struct {
	Change   *Change // the operation naming the new pod; nil if it did already
	Session  *Session
	Manifest *Manifest
	Dropped  []string // rotation keys removed
}

const opRestore = "restore account"

// Restore brings the account in.Backup holds up on in.Pod with nothing
// from its old pod: the pod reserves a signing key for the DID; signer
// (the user's rotation key) signs an operation naming the pod and that
// key; the pod accepts createAccount for the existing DID on a service
// token signed by signer; the repository and the blobs are imported; and
// the result is verified: the pod serves the backup's tree signed by the
// key the DID names, and every blob.
func (t *Tool) Restore(ctx context.Context, in RestoreInput, signer keys.Signer) (*Restored, error) {
	m, car, err := loadBackup(ctx, in)
	if err != nil {
		return nil, err
	}
	key, err := in.Pod.ReserveSigningKey(ctx, string(in.DID))
	if err != nil {
		return nil, err
	}
	res := &Restored{Manifest: m}
	tg := target{endpoint: in.Pod.URL, key: key}
	if !in.KeepRotationKeys {
		tg.rotation = onlyKey(signer.PublicKey().DIDKey())
	}
	if res.Change, res.Dropped, err = t.pointAt(ctx, in.DID, signer, tg); err != nil {
		return nil, err
	}
	if in.Handle == "" {
		if in.Handle, err = t.currentHandle(ctx, in.DID); err != nil {
			return nil, err
		}
	}
	if res.Session, err = adopt(ctx, in, signer); err != nil {
		return res, err
	}
	if err := fill(ctx, in, res.Session, car, m); err != nil {
		return res, err
	}
	return res, verifyRestored(ctx, in, key, m)
}

// loadBackup reads and checks the backup.
func loadBackup(ctx context.Context, in RestoreInput) (*Manifest, []byte, error) {
	src := in.source()
	m, err := src.Manifest(ctx)
	if err != nil {
		return nil, nil, err
	}
	if m.DID != in.DID {
		return nil, nil, rhizome.Errorf(opRestore, rhizome.Invalid, "the backup in %s is of %s, not %s", src, m.DID, in.DID)
	}
	car, err := src.CAR(ctx)
	if err != nil {
		return nil, nil, err
	}
	got, err := checkCAR(ctx, in.DID, car, nil)
	if err != nil {
		return nil, nil, err
	}
	if got.Data != m.Data || got.Commit != m.Commit {
		return nil, nil, rhizome.Errorf(opRestore, rhizome.Corrupt, "the repository in %s is not the one its manifest describes", src)
	}
	return m, car, nil
}

// target is what a DID is to name: a PDS endpoint, its signing key, and
// the rotation keys that follow the current ones.
type target struct {
	endpoint, key string
	rotation      func(current []string) []string
}

// onlyKey keeps only mine among the rotation keys.
func onlyKey(mine string) func([]string) []string {
	return func(cur []string) []string {
		return slices.DeleteFunc(slices.Clone(cur), func(k string) bool { return k != mine })
	}
}

// pointAt makes the DID name tg, signed by signer, and returns the
// rotation keys it removed. It does nothing if the DID names tg already.
func (t *Tool) pointAt(ctx context.Context, did syntax.DID, signer keys.Signer, tg target) (*Change, []string, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, nil, err
	}
	data, err := l.Data()
	if err != nil {
		return nil, nil, err
	}
	ep, err := CheckEndpoint(tg.endpoint)
	if err != nil {
		return nil, nil, err
	}
	next := data.RotationKeys
	if tg.rotation != nil {
		next = tg.rotation(slices.Clone(data.RotationKeys))
	}
	drop := slices.DeleteFunc(slices.Clone(data.RotationKeys), func(k string) bool { return slices.Contains(next, k) })
	if pds, _ := data.PDS(); pds == ep && data.VerificationMethods[plc.VerificationMethodAtproto] == tg.key && slices.Equal(next, data.RotationKeys) {
		return nil, nil, nil
	}
	ch, err := t.Update(ctx, did, signer, func(op *plc.Operation) error {
		op.Services[plc.ServiceAtprotoPDS] = plc.Service{Type: plc.ServiceTypePDS, Endpoint: ep}
		op.VerificationMethods[plc.VerificationMethodAtproto] = tg.key
		op.RotationKeys = next
		return nil
	})
	return ch, drop, err
}

func (t *Tool) currentHandle(ctx context.Context, did syntax.DID) (string, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return "", err
	}
	data, err := l.Data()
	if err != nil {
		return "", err
	}
	h, ok := data.Handle()
	if !ok {
		return "", rhizome.Errorf(opRestore, rhizome.Invalid, "%s has no handle; give one", did)
	}
	return string(h), nil
}

// adopt creates the account for the existing DID with a service token
// signed by the rotation key.
func adopt(ctx context.Context, in RestoreInput, signer keys.Signer) (*Session, error) {
	aud, err := in.Pod.ServiceDID(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := auth.SignService(signer, in.DID, aud, "com.atproto.server.createAccount", time.Now(), 5*time.Minute)
	if err != nil {
		return nil, err
	}
	return in.Pod.CreateAccount(ctx, Account{Handle: in.Handle, Email: in.Email, Password: in.Password,
		InviteCode: in.InviteCode, DID: string(in.DID), ServiceToken: tok})
}

// fill imports the repository and uploads the blobs, then activates the
// account if the pod left it deactivated.
func fill(ctx context.Context, in RestoreInput, s *Session, car []byte, m *Manifest) error {
	if err := in.Pod.upload(ctx, "com.atproto.repo.importRepo", s.AccessJWT, "application/vnd.ipld.car", car, nil); err != nil {
		return err
	}
	for _, b := range m.Blobs {
		if err := uploadBlob(ctx, in, s, b); err != nil {
			return err
		}
	}
	if s.Active != nil && !*s.Active {
		return in.Pod.ActivateAccount(ctx, s.AccessJWT)
	}
	return nil
}

func uploadBlob(ctx context.Context, in RestoreInput, s *Session, b BlobEntry) error {
	c, err := cid.Parse(b.CID)
	if err != nil {
		return rhizome.Errorf(opRestore, rhizome.Corrupt, "manifest: %w", err)
	}
	data, err := in.source().Blob(ctx, c)
	if err != nil {
		return err
	}
	if !c.Matches(data) {
		return rhizome.Errorf(opRestore, rhizome.Corrupt, "blob %s in the backup does not hash to its name", b.CID)
	}
	return in.Pod.UploadBlob(ctx, s.AccessJWT, b.MimeType, c, data)
}

// upload posts raw bytes.
func (p *Pod) upload(ctx context.Context, nsid, token, ctype string, body []byte, out any) error {
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	resp, err := p.call(ctx, http.MethodPost, nsid, nil, token, ctype, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(nsid, resp.Body, out)
}

// verifyRestored fetches the repository back: same tree as the backup,
// signed by the key the DID names; and every blob listed.
func verifyRestored(ctx context.Context, in RestoreInput, key string, m *Manifest) error {
	pub, err := keys.ParsePublicDIDKey(key)
	if err != nil {
		return rhizome.E(opRestore, rhizome.Invalid, err)
	}
	car, err := in.Pod.download(ctx, "com.atproto.sync.getRepo", url.Values{"did": {string(in.DID)}})
	if err != nil {
		return err
	}
	got, err := checkCAR(ctx, in.DID, car.data, pub)
	if err != nil {
		return rhizome.Errorf(opRestore, rhizome.KindOf(err), "the restored repository: %w", err)
	}
	if got.Data != m.Data {
		return rhizome.Errorf(opRestore, rhizome.Corrupt, "the restored repository's tree is %s, the backup's %s", got.Data, m.Data)
	}
	have, err := in.Pod.listBlobs(ctx, in.DID)
	if err != nil {
		return err
	}
	for _, b := range m.Blobs {
		if !slices.ContainsFunc(have, func(c cid.CID) bool { return c.String() == b.CID }) {
			return rhizome.Errorf(opRestore, rhizome.Corrupt, "the pod does not list blob %s after the restore", b.CID)
		}
	}
	return nil
}
