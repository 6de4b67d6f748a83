package firehose

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Filter selects the record operations an app follows: those of the
// listed repositories (all when empty) in collections matching one of
// the patterns, each an NSID or a prefix ending in ".*" ("app.bsky.*").
// A grant narrows a filter with Narrow.
type Filter struct {
	Repos       []syntax.DID
	Collections []string
}

// ParseCollectionPattern checks a collection pattern.
func ParseCollectionPattern(s string) (string, error) {
	if s == "*" {
		return s, nil
	}
	if base, ok := strings.CutSuffix(s, ".*"); ok {
		if _, err := syntax.ParseNSID(base + ".x"); err != nil {
			return "", fmt.Errorf("collection pattern %q: %w", s, err)
		}
		return s, nil
	}
	if _, err := syntax.ParseNSID(s); err != nil {
		return "", fmt.Errorf("collection pattern %q: %w", s, err)
	}
	return s, nil
}

// Match reports whether the filter selects collection coll of repo.
func (f Filter) Match(repo syntax.DID, coll string) bool {
	if len(f.Repos) > 0 && !containsDID(f.Repos, repo) {
		return false
	}
	for _, p := range f.Collections {
		if matchPattern(p, coll) {
			return true
		}
	}
	return false
}

// Narrow returns the filter restricted to what allowed selects: a
// collection pattern stays only if allowed matches everything it matches.
func (f Filter) Narrow(allowed Filter) Filter {
	out := Filter{Repos: f.Repos}
	if len(allowed.Repos) > 0 {
		out.Repos = nil
		for _, d := range allowed.Repos {
			if len(f.Repos) == 0 || containsDID(f.Repos, d) {
				out.Repos = append(out.Repos, d)
			}
		}
		if len(out.Repos) == 0 {
			return Filter{} // nothing left
		}
	}
	for _, p := range f.Collections {
		for _, a := range allowed.Collections {
			if covers(a, p) {
				out.Collections = append(out.Collections, p)
				break
			} else if covers(p, a) {
				out.Collections = append(out.Collections, a)
			}
		}
	}
	return out
}

func containsDID(ds []syntax.DID, d syntax.DID) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func matchPattern(p, coll string) bool {
	if p == "*" {
		return true
	}
	if base, ok := strings.CutSuffix(p, "*"); ok {
		return strings.HasPrefix(coll, base)
	}
	return p == coll
}

// covers reports whether pattern a matches everything pattern b matches.
func covers(a, b string) bool {
	if a == "*" {
		return true
	}
	if base, ok := strings.CutSuffix(b, "*"); ok {
		return strings.HasSuffix(a, "*") && strings.HasPrefix(base, strings.TrimSuffix(a, "*"))
	}
	return matchPattern(a, b)
}

// commitBody is the part of a #commit event RecordsJSON reads.
type commitBody struct {
	seq             int64
	repo, rev, time string
	ops             []any
	blocks          map[cid.CID][]byte
}

// RecordsJSON turns an event frame into the JSON message an app following
// f receives: the commit's record operations that f selects, with record
// values. ok is false when the frame is not a commit or f selects none of
// its operations.
func RecordsJSON(frame []byte, f Filter) (msg []byte, ok bool, err error) {
	body, isCommit, err := decodeCommit(frame)
	if err != nil || !isCommit || (len(f.Repos) > 0 && !containsDID(f.Repos, syntax.DID(body.repo))) {
		return nil, false, err
	}
	var b bytes.Buffer
	b.WriteString(`{"seq":` + strconv.FormatInt(body.seq, 10) + `,"repo":` + strconv.Quote(body.repo) +
		`,"rev":` + strconv.Quote(body.rev) + `,"time":` + strconv.Quote(body.time) + `,"ops":[`)
	n := 0
	for _, o := range body.ops {
		op, _ := o.(map[string]any)
		path, _ := op["path"].(string)
		coll, rkey, _ := strings.Cut(path, "/")
		if !f.Match(syntax.DID(body.repo), coll) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		if err := appendOpJSON(&b, op, coll, rkey, body.blocks); err != nil {
			return nil, false, err
		}
	}
	b.WriteString("]}")
	return b.Bytes(), n > 0, nil
}

func appendOpJSON(b *bytes.Buffer, op map[string]any, coll, rkey string, blocks map[cid.CID][]byte) error {
	action, _ := op["action"].(string)
	b.WriteString(`{"action":` + strconv.Quote(action) + `,"collection":` + strconv.Quote(coll) + `,"rkey":` + strconv.Quote(rkey))
	if c, ok := op["cid"].(cid.CID); ok {
		b.WriteString(`,"cid":"` + c.String() + `"`)
		if rec := blocks[c]; rec != nil {
			js, err := data.AppendJSONFromCBOR(nil, rec)
			if err != nil {
				return fmt.Errorf("record %s/%s: %w", coll, rkey, err)
			}
			b.WriteString(`,"record":`)
			b.Write(js)
		}
	}
	b.WriteByte('}')
	return nil
}

// decodeCommit splits a frame and decodes a #commit body.
func decodeCommit(frame []byte) (commitBody, bool, error) {
	r := cbor.NewReader(frame)
	if err := r.Skip(); err != nil {
		return commitBody{}, false, err
	}
	h, err := data.UnmarshalCBOR(frame[:r.Offset()])
	if err != nil {
		return commitBody{}, false, err
	}
	if hm, _ := h.(map[string]any); hm["t"] != "#commit" {
		return commitBody{}, false, nil
	}
	v, err := data.UnmarshalCBOR(frame[r.Offset():])
	if err != nil {
		return commitBody{}, false, err
	}
	m, _ := v.(map[string]any)
	body := commitBody{blocks: map[cid.CID][]byte{}}
	body.seq, _ = m["seq"].(int64)
	body.repo, _ = m["repo"].(string)
	body.rev, _ = m["rev"].(string)
	body.time, _ = m["time"].(string)
	body.ops, _ = m["ops"].([]any)
	raw, _ := m["blocks"].([]byte)
	_, err = car.ReadAll(bytes.NewReader(raw), func(c cid.CID, d []byte) error {
		body.blocks[c] = d
		return nil
	})
	return body, true, err
}
