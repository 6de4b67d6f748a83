package pds

import (
	"bytes"
	"context"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxEventBlocks is the most bytes a #commit event's blocks may take
// (com.atproto.sync.subscribeRepos). A commit whose blocks would not fit
// is refused before anything is written, so the stream never carries a
// commit a consumer cannot verify.
const MaxEventBlocks = 2_000_000

// commitEvent builds the #commit event of a commit (Sync 1.1): its blocks
// carry the new blocks and the proof nodes a consumer needs to invert the
// ops against prevData. The firehose adds the sequence number.
func (p *PDS) commitEvent(ctx context.Context, did syntax.DID, res *repo.Result, ps []prepared) (*store.Event, error) {
	blocks, err := p.eventCAR(ctx, did, res)
	if err != nil {
		return nil, err
	}
	if len(blocks) > MaxEventBlocks {
		return nil, rhizome.Errorf("build commit event", rhizome.TooLarge,
			"the commit's blocks take %d bytes, more than the event stream's %d: split the writes into smaller batches", len(blocks), MaxEventBlocks)
	}
	now := time.Now().UTC()
	body := map[string]any{
		"repo": string(did), "commit": res.CID, "rev": string(res.Commit.Rev),
		"since": nil, "blocks": blocks, "ops": eventOps(res), "blobs": eventBlobs(ps),
		"time": now.Format(eventTime), "rebase": false, "tooBig": false,
	}
	if res.Since != "" {
		body["since"] = string(res.Since)
	}
	if res.PrevData.Defined() {
		body["prevData"] = res.PrevData
	}
	b, err := data.MarshalCBOR(body)
	if err != nil {
		return nil, rhizome.E("build commit event", rhizome.Other, err)
	}
	return &store.Event{DID: did, Type: "commit", Time: now, Body: b}, nil
}

func (p *PDS) eventCAR(ctx context.Context, did syntax.DID, res *repo.Result) ([]byte, error) {
	blocks := res.Blocks
	if len(res.Proof) > 0 {
		got, err := p.store.RepoBlocks(did).GetBlocks(ctx, res.Proof)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks[:len(blocks):len(blocks)], make([]rhizome.Block, len(res.Proof))...)
		for i, c := range res.Proof {
			if got[i] == nil {
				return nil, rhizome.Errorf("build commit event", rhizome.Corrupt, "proof node %s is missing", c)
			}
			blocks[len(res.Blocks)+i] = rhizome.Block{CID: c, Data: got[i]}
		}
	}
	var buf bytes.Buffer
	if err := writeBlocks(&buf, blocks, res.CID); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func eventOps(res *repo.Result) []any {
	ops := make([]any, len(res.Ops))
	for i, op := range res.Ops {
		m := map[string]any{"path": op.Key, "cid": nil}
		switch {
		case op.IsCreate():
			m["action"] = "create"
		case op.IsDelete():
			m["action"] = "delete"
		default:
			m["action"] = "update"
		}
		if op.New.Defined() {
			m["cid"] = op.New
		}
		if op.Old.Defined() {
			m["prev"] = op.Old
		}
		ops[i] = m
	}
	return ops
}

func eventBlobs(ps []prepared) []any {
	out := []any{}
	seen := map[cid.CID]bool{}
	for _, pr := range ps {
		for _, b := range pr.blobs {
			if !seen[b.Ref] {
				seen[b.Ref] = true
				out = append(out, b.Ref)
			}
		}
	}
	return out
}

// eventTime is the time format of event bodies.
const eventTime = "2006-01-02T15:04:05.000Z"

// lifecycleEvent encodes a non-commit event body.
func lifecycleEvent(did syntax.DID, typ string, body map[string]any) store.Event {
	now := time.Now().UTC()
	body["did"], body["time"] = string(did), now.Format(eventTime)
	b, err := data.MarshalCBOR(body)
	if err != nil { // the bodies are built here from typed values
		panic("encode " + typ + " event: " + err.Error())
	}
	return store.Event{DID: did, Type: typ, Time: now, Body: b}
}

// identityEvent says the DID document or handle may have changed.
func identityEvent(did syntax.DID, h syntax.Handle) store.Event {
	body := map[string]any{}
	if h != "" {
		body["handle"] = string(h)
	}
	return lifecycleEvent(did, "identity", body)
}

// accountEvent reports the account's hosting status; st "" is a deletion.
func accountEvent(did syntax.DID, st store.Status) store.Event {
	body := map[string]any{"active": st == store.Active}
	switch st {
	case store.Active:
	case "":
		body["status"] = "deleted"
	default:
		body["status"] = string(st)
	}
	return lifecycleEvent(did, "account", body)
}

// syncEvent announces a repository state without its history (after an
// import): blocks is a CAR holding only the signed commit.
func syncEvent(did syntax.DID, commit rhizome.Block, rev syntax.TID) (store.Event, error) {
	var buf bytes.Buffer
	if err := writeBlocks(&buf, []rhizome.Block{commit}, commit.CID); err != nil {
		return store.Event{}, err
	}
	return lifecycleEvent(did, "sync", map[string]any{"blocks": buf.Bytes(), "rev": string(rev)}), nil
}

// notify tells the firehose that events were appended.
func (p *PDS) notify() {
	if p.onEvent != nil {
		p.onEvent()
	}
}
