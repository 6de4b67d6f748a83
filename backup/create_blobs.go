package backup

import (
	"context"
	"encoding/json"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
)

// blobs stores every blob the pod lists, each as one object; a blob the
// previous snapshot holds is taken over without downloading it again.
func (c *creator) blobs(ctx context.Context) error {
	c.phase("blobs")
	cids, err := c.in.Pod.ListBlobs(ctx, c.in.DID)
	if err != nil {
		return err
	}
	had := map[string]Blob{}
	if c.prev != nil {
		for _, b := range c.prev.Blobs {
			had[b.CID] = b
		}
	}
	c.p.BlobsTotal = int64(len(cids))
	for _, k := range cids {
		if !c.refs[k] {
			c.m.UnreferencedBlobs++ // stored by the pod, used by no record: not restorable
			c.p.BlobsTotal--
			continue
		}
		b, ok := had[k.String()]
		if ok {
			if ok, err = c.a.t.Has(ctx, b.Object); err != nil {
				return err
			}
		}
		if !ok {
			data, mime, err := c.in.Pod.GetBlob(ctx, c.in.DID, k)
			if err != nil {
				return err
			}
			c.p.BytesRead += int64(len(data))
			b = Blob{CID: k.String(), MimeType: mime, Size: int64(len(data))}
			if b.Object, _, err = c.a.put(ctx, objectsDir, data); err != nil {
				return err
			}
			_, c.p.BytesWritten = c.a.Written()
		}
		c.m.Blobs = append(c.m.Blobs, b)
		c.p.Blobs++
		c.prog(c.p)
	}
	return nil
}

// blobRefs collects the blobs records refer to.
func blobRefs(records []rhizome.Block) map[cid.CID]bool {
	out := map[cid.CID]bool{}
	for _, r := range records {
		v, err := data.UnmarshalCBOR(r.Data)
		if err != nil {
			continue // not a record the data model reads: it refers to no blob we can name
		}
		for _, b := range data.Blobs(v) {
			out[b.Ref] = true
		}
	}
	return out
}

// preferences saves app.bsky.actor.getPreferences' answer when the input
// has credentials and the pod serves the method.
func (c *creator) preferences(ctx context.Context) error {
	if c.in.Login == "" {
		c.m.PreferencesNote = "not saved: no credentials given"
		return nil
	}
	c.phase("preferences")
	s, err := c.in.Pod.CreateSession(ctx, c.in.Login, c.in.Password)
	if err != nil {
		return rhizome.Errorf(opCreate, rhizome.KindOf(err), "sign in to save preferences: %w", err)
	}
	if s.DID != string(c.in.DID) {
		return rhizome.Errorf(opCreate, rhizome.Invalid, "%s signs in as %s, not %s", c.in.Login, s.DID, c.in.DID)
	}
	prefs, err := c.in.Pod.Preferences(ctx, s.AccessJWT)
	if notImplemented(err) {
		c.m.PreferencesNote = "not saved: the pod does not serve app.bsky.actor.getPreferences"
		return nil
	}
	if err != nil {
		return err
	}
	if !json.Valid(prefs) {
		return rhizome.E(opCreate, rhizome.Invalid, "getPreferences answered invalid JSON")
	}
	c.m.Preferences, _, err = c.a.put(ctx, objectsDir, prefs)
	return err
}

// notImplemented reports an XRPC method the pod does not serve.
func notImplemented(err error) bool {
	return err != nil && rhizome.NameOf(err) == "MethodNotImplemented"
}

func parseKey(didKey string) (keys.PublicKey, error) {
	k, err := keys.ParsePublicDIDKey(didKey)
	if err != nil {
		return nil, rhizome.Errorf("read signing key", rhizome.Corrupt, "%q: %w", didKey, err)
	}
	return k, nil
}
