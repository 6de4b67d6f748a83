package xrpc

import (
	"context"

	"encoding/json"
	"github.com/rhizome-pds/rhizome/cid"
	"net/http"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (s *Server) repoRoutes() {
	s.handle("com.atproto.repo.createRecord", http.MethodPost, user, createRecord).scopes(inHandler)
	s.handle("com.atproto.repo.putRecord", http.MethodPost, user, putRecord).scopes(inHandler)
	s.handle("com.atproto.repo.deleteRecord", http.MethodPost, user, deleteRecord).scopes(inHandler)
	s.handle("com.atproto.repo.applyWrites", http.MethodPost, user, applyWrites).scopes(inHandler)
	s.handle("com.atproto.repo.getRecord", http.MethodGet, public, getRecord)
	s.handle("com.atproto.repo.listRecords", http.MethodGet, public, listRecords)
	s.handle("com.atproto.repo.describeRepo", http.MethodGet, public, describeRepo)
	s.handle("com.atproto.repo.uploadBlob", http.MethodPost, user, uploadBlob).scopes(inHandler)
	s.handle("com.atproto.repo.listMissingBlobs", http.MethodGet, user, listMissingBlobs).scopes(anyGrant)
	s.handle("com.atproto.repo.importRepo", http.MethodPost, userFull, importRepo).scopes(manageRepo)
}

// writeIn is the input common to createRecord, putRecord and deleteRecord.
type writeIn struct {
	Repo       string          `json:"repo"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	Validate   *bool           `json:"validate"`
	Record     json.RawMessage `json:"record"`
	SwapRecord json.RawMessage `json:"swapRecord"`
	SwapCommit *string         `json:"swapCommit"`
}

func validateFlag(v *bool) pds.Validate {
	switch {
	case v == nil:
		return pds.ValidateAuto
	case *v:
		return pds.ValidateOn
	}
	return pds.ValidateOff
}

// parse turns a writeIn into the caller's DID, a pds.Write and the swap.
func (c *call) parseWrite(in *writeIn, needRecord bool) (syntax.DID, pds.Write, error) {
	var w pds.Write
	did, err := c.self(in.Repo)
	if err != nil {
		return "", w, err
	}
	if w.Collection, err = syntax.ParseNSID(in.Collection); err != nil {
		return "", w, rhizome.E("read input", rhizome.Invalid, err)
	}
	if in.RKey != "" {
		if w.RKey, err = syntax.ParseRecordKey(in.RKey); err != nil {
			return "", w, rhizome.E("read input", rhizome.Invalid, err)
		}
	}
	if needRecord {
		if w.Value, err = record(in.Record); err != nil {
			return "", w, err
		}
	}
	switch string(in.SwapRecord) {
	case "":
	case "null":
		w.SwapAbsent = true
	default:
		var s string
		if err := json.Unmarshal(in.SwapRecord, &s); err != nil {
			return "", w, rhizome.E("read input", rhizome.Invalid, "swapRecord must be a CID string or null")
		}
		if w.Swap, err = parseCIDPtr(&s); err != nil {
			return "", w, err
		}
	}
	return did, w, nil
}

type commitOut struct {
	CID string `json:"cid"`
	Rev string `json:"rev"`
}

func commitJSON(m pds.CommitMeta) *commitOut {
	if !m.CID.Defined() {
		return nil
	}
	return &commitOut{CID: m.CID.String(), Rev: string(m.Rev)}
}

type writeOut struct {
	URI              string     `json:"uri"`
	CID              string     `json:"cid"`
	Commit           *commitOut `json:"commit,omitempty"`
	ValidationStatus string     `json:"validationStatus,omitempty"`
}

func createRecord(c *call) (any, error) {
	return oneWrite(c, true, scope.ActionCreate, (*pds.PDS).CreateRecord)
}

func putRecord(c *call) (any, error) {
	var in writeIn
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if in.RKey == "" {
		return nil, rhizome.E("read input", rhizome.Invalid, "rkey is required")
	}
	return doWrite(c, &in, true, scope.ActionCreate|scope.ActionUpdate, (*pds.PDS).PutRecord)
}

type writeFunc func(*pds.PDS, context.Context, syntax.DID, pds.Write, pds.Validate, *cid.CID) (pds.WriteResult, pds.CommitMeta, error)

func oneWrite(c *call, needRecord bool, action scope.RepoAction, f writeFunc) (any, error) {
	var in writeIn
	if err := c.input(&in); err != nil {
		return nil, err
	}
	return doWrite(c, &in, needRecord, action, f)
}

func doWrite(c *call, in *writeIn, needRecord bool, action scope.RepoAction, f writeFunc) (any, error) {
	did, w, err := c.parseWrite(in, needRecord)
	if err != nil {
		return nil, err
	}
	if err := c.allowRepo(w.Collection, action); err != nil {
		return nil, err
	}
	swap, err := parseCIDPtr(in.SwapCommit)
	if err != nil {
		return nil, err
	}
	res, meta, err := f(c.s.pds, c.ctx, did, w, validateFlag(in.Validate), swap)
	if err != nil {
		return nil, err
	}
	return writeOut{URI: string(res.URI), CID: res.CID.String(), Commit: commitJSON(meta), ValidationStatus: res.ValidationStatus}, nil
}

func deleteRecord(c *call) (any, error) {
	var in writeIn
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if in.RKey == "" {
		return nil, rhizome.E("read input", rhizome.Invalid, "rkey is required")
	}
	did, w, err := c.parseWrite(&in, false)
	if err != nil {
		return nil, err
	}
	if err := c.allowRepo(w.Collection, scope.ActionDelete); err != nil {
		return nil, err
	}
	swap, err := parseCIDPtr(in.SwapCommit)
	if err != nil {
		return nil, err
	}
	meta, err := c.s.pds.DeleteRecord(c.ctx, did, w, swap)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if c := commitJSON(meta); c != nil {
		out["commit"] = c
	}
	return out, nil
}

func applyWrites(c *call) (any, error) {
	var in struct {
		Repo       string            `json:"repo"`
		Validate   *bool             `json:"validate"`
		Writes     []json.RawMessage `json:"writes"`
		SwapCommit *string           `json:"swapCommit"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if len(in.Writes) > repo.MaxOps {
		return nil, rhizome.Errorf("read input", rhizome.Invalid, "%d writes exceed the limit of %d", len(in.Writes), repo.MaxOps)
	}
	did, ws, err := c.parseWrites(in.Repo, in.Writes)
	if err != nil {
		return nil, err
	}
	if err := c.allowWrites(ws); err != nil {
		return nil, err
	}
	swap, err := parseCIDPtr(in.SwapCommit)
	if err != nil {
		return nil, err
	}
	res, meta, err := c.s.pds.ApplyWrites(c.ctx, did, ws, validateFlag(in.Validate), swap)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"results": applyResults(ws, res)}
	if c := commitJSON(meta); c != nil {
		out["commit"] = c
	}
	return out, nil
}

func (c *call) parseWrites(repoID string, raw []json.RawMessage) (syntax.DID, []pds.Write, error) {
	did, err := c.self(repoID)
	if err != nil {
		return "", nil, err
	}
	ws := make([]pds.Write, len(raw))
	for i, r := range raw {
		var in struct {
			writeIn
			Type  string          `json:"$type"`
			Value json.RawMessage `json:"value"` // applyWrites names the record "value"
		}
		if err := json.Unmarshal(r, &in); err != nil {
			return "", nil, rhizome.Errorf("read input", rhizome.Invalid, "writes/%d: %v", i, err)
		}
		in.Repo, in.SwapRecord, in.Record = string(did), nil, in.Value
		if ws[i], err = c.parseApplyWrite(in.Type, &in.writeIn); err != nil {
			return "", nil, err
		}
	}
	return did, ws, nil
}

func (c *call) parseApplyWrite(typ string, in *writeIn) (pds.Write, error) {
	var action repo.Action
	switch typ {
	case "com.atproto.repo.applyWrites#create":
		action = repo.Create
	case "com.atproto.repo.applyWrites#update":
		action = repo.Update
	case "com.atproto.repo.applyWrites#delete":
		action = repo.Delete
	default:
		return pds.Write{}, rhizome.Errorf("read input", rhizome.Invalid, "unknown write type %q", typ)
	}
	if action != repo.Create && in.RKey == "" {
		return pds.Write{}, rhizome.E("read input", rhizome.Invalid, "rkey is required")
	}
	_, w, err := c.parseWrite(in, action != repo.Delete)
	w.Action = action
	return w, err
}

func applyResults(ws []pds.Write, res []pds.WriteResult) []any {
	out := make([]any, len(res))
	for i, r := range res {
		switch ws[i].Action {
		case repo.Create:
			out[i] = map[string]any{"$type": "com.atproto.repo.applyWrites#createResult", "uri": r.URI, "cid": r.CID.String(), "validationStatus": r.ValidationStatus}
		case repo.Update:
			out[i] = map[string]any{"$type": "com.atproto.repo.applyWrites#updateResult", "uri": r.URI, "cid": r.CID.String(), "validationStatus": r.ValidationStatus}
		default:
			out[i] = map[string]any{"$type": "com.atproto.repo.applyWrites#deleteResult"}
		}
	}
	return out
}

// recordJSON renders a stored record as {uri, cid, value}.
func recordJSON(did syntax.DID, r store.Record) (json.RawMessage, error) {
	return appendRecordJSON(nil, did, r)
}

// appendRecordJSON appends {"uri", "cid", "value"} for r to b, writing the
// value's JSON straight in rather than through a map.
func appendRecordJSON(b []byte, did syntax.DID, r store.Record) ([]byte, error) {
	b = append(b, `{"uri":"at://`...)
	b = append(append(append(append(append(b, did...), '/'), r.Collection...), '/'), r.RKey...) // identifiers need no escaping
	b = append(b, `","cid":"`...)
	b = r.CID.Append(b)
	b = append(b, `","value":`...)
	b, err := data.AppendJSONFromCBOR(b, r.Value)
	if err != nil {
		return nil, rhizome.E("render record", rhizome.Corrupt, err)
	}
	return append(b, '}'), nil
}
