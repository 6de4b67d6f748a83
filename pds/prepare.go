package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// prepare checks and encodes writes before the repository is locked, so
// the lock is held only for the commit itself.
func (p *PDS) prepare(ctx context.Context, did syntax.DID, writes []Write, v Validate) ([]prepared, error) {
	out := make([]prepared, len(writes))
	for i, w := range writes {
		pr, err := p.prepareOne(ctx, did, w, v)
		if err != nil {
			return nil, err
		}
		out[i] = pr
	}
	return out, nil
}

func (p *PDS) prepareOne(ctx context.Context, did syntax.DID, w Write, v Validate) (prepared, error) {
	pr := prepared{w: repo.Write{Action: w.Action, Collection: w.Collection, RKey: w.RKey, Swap: w.Swap}, upsert: w.Upsert}
	if pr.w.RKey == "" {
		if w.Action != repo.Create {
			return pr, rhizome.E("prepare write", rhizome.Invalid, "rkey is required")
		}
		pr.w.RKey = syntax.RecordKey(p.clock.Next())
	}
	if w.SwapAbsent {
		pr.w.Action, pr.swapAbsent = repo.Create, true
	}
	if w.Action == repo.Delete {
		return pr, nil
	}
	if w.Value == nil {
		return pr, rhizome.E("prepare write", rhizome.Invalid, "record is required")
	}
	return p.prepareRecord(ctx, did, pr, w.Value, v)
}

func (p *PDS) prepareRecord(ctx context.Context, did syntax.DID, pr prepared, rec map[string]any, v Validate) (prepared, error) {
	coll := pr.w.Collection
	switch t, ok := rec["$type"]; {
	case !ok:
		rec["$type"] = string(coll)
	case t != string(coll):
		return pr, rhizome.Errorf("prepare write", rhizome.Invalid, "record $type %v does not match collection %s", t, coll).Named("InvalidRecord")
	}
	status, err := p.validate(coll, rec, v)
	if err != nil {
		return pr, err
	}
	if err := p.checkRecordKey(coll, pr.w.RKey, status); err != nil {
		return pr, err
	}
	b, err := data.MarshalCBOR(rec)
	if err != nil {
		return pr, rhizome.E("prepare write", rhizome.Invalid, err).Named("InvalidRecord")
	}
	if len(b) > repo.MaxRecordSize {
		return pr, rhizome.Errorf("prepare write", rhizome.TooLarge, "record of %d bytes exceeds %d", len(b), repo.MaxRecordSize)
	}
	pr.w.Record, pr.cid, pr.status = b, cid.Sum(cid.DagCBOR, b), status
	pr.blobs = data.Blobs(rec)
	return pr, p.checkBlobs(ctx, did, pr.blobs)
}

// validate applies the validate flag's semantics and returns the
// validationStatus to report.
func (p *PDS) validate(coll syntax.NSID, rec map[string]any, v Validate) (string, error) {
	if v == ValidateOff || p.schemas == nil {
		return "", nil
	}
	err := p.schemas.ValidateRecord(coll, rec)
	switch {
	case err == nil:
		return "valid", nil
	case rhizome.Is(err, rhizome.NotFound) && v == ValidateAuto:
		return "unknown", nil
	case rhizome.Is(err, rhizome.NotFound):
		return "", rhizome.Errorf("validate record", rhizome.Invalid, "no lexicon for %s", coll).Named("InvalidRecord")
	}
	return "", rhizome.E("validate record", rhizome.Invalid, err).Named("InvalidRecord")
}

// checkRecordKey applies the record key syntax every record obeys and, for
// a record its schema validated, the schema's key type.
func (p *PDS) checkRecordKey(coll syntax.NSID, rkey syntax.RecordKey, status string) error {
	if _, err := syntax.ParseRecordKey(string(rkey)); err != nil {
		return rhizome.E("prepare write", rhizome.Invalid, err)
	}
	if status != "valid" {
		return nil
	}
	if err := p.schemas.ValidateRecordKey(coll, rkey); err != nil {
		return rhizome.E("prepare write", rhizome.Invalid, err).Named("InvalidRecord")
	}
	return nil
}

// checkBlobs requires every blob a record references to have been uploaded
// by the account, with the MIME type and size the record claims.
func (p *PDS) checkBlobs(ctx context.Context, did syntax.DID, blobs []data.Blob) error {
	for _, b := range blobs {
		got, err := p.store.Blob(ctx, did, b.Ref)
		if rhizome.Is(err, rhizome.NotFound) {
			return rhizome.Errorf("prepare write", rhizome.Invalid, "blob %s was not uploaded", b.Ref).Named("BlobNotFound")
		}
		if err != nil {
			return err
		}
		if b.Size >= 0 && (got.Size != b.Size || got.MimeType != b.MimeType) {
			return rhizome.Errorf("prepare write", rhizome.Invalid, "blob %s is %s of %d bytes, not %s of %d", b.Ref, got.MimeType, got.Size, b.MimeType, b.Size).Named("InvalidBlob")
		}
	}
	return nil
}
