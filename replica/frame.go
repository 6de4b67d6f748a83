package replica

import (
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// event is one subscribeRepos frame as a follower needs it.
type event struct {
	typ    string // "#commit", "#sync", "#identity", "#account", "#info"; "error" for an error frame
	seq    int64
	did    syntax.DID // the event's repo or did
	name   string     // #info and error frames
	commit *repo.CommitEvent
	since  syntax.TID // #commit: the previous rev ("" for none)
	active bool       // #account
	status string     // #account
	time   string     // the event's time
}

const opFrame = "decode firehose frame"

// decodeFrame parses a frame: a header {op, t} then a body.
func decodeFrame(frame []byte) (event, error) {
	r := cbor.NewReader(frame)
	if err := r.Skip(); err != nil {
		return event{}, rhizome.E(opFrame, rhizome.Invalid, err)
	}
	hv, err := data.UnmarshalCBOR(frame[:r.Offset()])
	if err != nil {
		return event{}, err
	}
	bv, err := data.UnmarshalCBOR(frame[r.Offset():])
	if err != nil {
		return event{}, err
	}
	h, _ := hv.(map[string]any)
	b, _ := bv.(map[string]any)
	if h == nil || b == nil {
		return event{}, rhizome.E(opFrame, rhizome.Invalid, "header or body is not a map")
	}
	if op, _ := h["op"].(int64); op == -1 {
		name, _ := b["error"].(string)
		msg, _ := b["message"].(string)
		return event{typ: "error", name: name + ": " + msg}, nil
	}
	t, _ := h["t"].(string)
	ev := event{typ: t}
	ev.seq, _ = b["seq"].(int64)
	ev.name, _ = b["name"].(string)
	ev.time, _ = b["time"].(string)
	did, _ := b["repo"].(string)
	if did == "" {
		did, _ = b["did"].(string)
	}
	ev.did = syntax.DID(did)
	switch t {
	case "#commit":
		ev.commit, ev.since, err = commitEvent(b)
	case "#account":
		ev.active, _ = b["active"].(bool)
		ev.status, _ = b["status"].(string)
	}
	return ev, err
}

func commitEvent(b map[string]any) (*repo.CommitEvent, syntax.TID, error) {
	ce := &repo.CommitEvent{Repo: syntax.DID(str(b, "repo")), Rev: syntax.TID(str(b, "rev"))}
	var ok bool
	if ce.Commit, ok = b["commit"].(cid.CID); !ok {
		return nil, "", rhizome.E(opFrame, rhizome.Invalid, "#commit lacks commit")
	}
	if pd, ok := b["prevData"].(cid.CID); ok {
		ce.PrevData = &pd
	}
	if ce.Blocks, ok = b["blocks"].([]byte); !ok {
		return nil, "", rhizome.E(opFrame, rhizome.Invalid, "#commit lacks blocks")
	}
	ops, _ := b["ops"].([]any)
	for _, o := range ops {
		m, _ := o.(map[string]any)
		if m == nil {
			return nil, "", rhizome.E(opFrame, rhizome.Invalid, "#commit op is not a map")
		}
		op := repo.EventOp{Action: str(m, "action"), Path: str(m, "path")}
		if c, ok := m["cid"].(cid.CID); ok {
			op.CID = &c
		}
		if c, ok := m["prev"].(cid.CID); ok {
			op.Prev = &c
		}
		ce.Ops = append(ce.Ops, op)
	}
	return ce, syntax.TID(str(b, "since")), nil
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}
