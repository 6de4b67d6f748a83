package badinput

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// badCase is one bad request and the exact answer it must get.
type badCase struct {
	name    string
	req     request
	status  int
	errName string
	// alts are other answers the specs or the reference PDS also allow.
	alts []answer
	// spec, when set, says why the expectation is what the atproto specs
	// ask for rather than what the pod answered when this was written.
	spec string
}

// answer is a status and XRPC error name; a 2xx answer has no name.
type answer struct {
	status  int
	errName string
}

func (bc badCase) accepts(status int, errName string) bool {
	if status == bc.status && errName == bc.errName {
		return true
	}
	for _, a := range bc.alts {
		if status == a.status && (errName == a.errName || a.status < 300) {
			return true
		}
	}
	return false
}

const (
	createRecord = "com.atproto.repo.createRecord"
	putRecord    = "com.atproto.repo.putRecord"
	deleteRecord = "com.atproto.repo.deleteRecord"
	applyWrites  = "com.atproto.repo.applyWrites"
	importRepo   = "com.atproto.repo.importRepo"
	uploadBlob   = "com.atproto.repo.uploadBlob"
	jsonType     = "application/json"
	carType      = "application/vnd.ipld.car"
	maxBlob      = 50 << 20
)

func jsonReq(nsid, token string, in any) request {
	b, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	return rawReq(nsid, token, jsonType, b)
}

func rawReq(nsid, token, ctype string, body []byte) request {
	if body == nil {
		body = []byte{}
	}
	return request{Path: "/xrpc/" + nsid, Header: bearer(token), CType: ctype, Body: body}
}

func getReq(nsid string, q url.Values) request {
	return request{Path: "/xrpc/" + nsid, Query: q}
}

// cases is the whole barrage.
func (w *world) cases(t testing.TB) []badCase {
	var all []badCase
	for _, group := range [][]badCase{w.bodyCases(), w.identifierCases(), w.paramCases(), w.recordCases(),
		w.batchCases(), w.authCases(), w.swapCases(), w.importCases(t), w.blobCases(), w.routeCases(), w.accountCases()} {
		all = append(all, group...)
	}
	return all
}

// write is a createRecord input for alice with a record value.
func (w *world) write(extra map[string]any) map[string]any {
	in := map[string]any{"repo": w.alice.DID, "collection": note, "record": map[string]any{"$type": note, "text": "x"}}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

func (w *world) bodyCases() []badCase {
	tok := w.alice.AccessJwt
	valid, _ := json.Marshal(w.write(nil))
	huge := w.write(map[string]any{"record": map[string]any{"$type": note, "text": strings.Repeat("a", 2<<20+1000)}})
	return []badCase{
		{name: "malformed JSON", req: rawReq(createRecord, tok, jsonType, []byte(`{"repo": "`+w.alice.DID+`", "collection":`)), status: 400, errName: "InvalidRequest"},
		{name: "JSON array body", req: rawReq(createRecord, tok, jsonType, []byte(`[1,2,3]`)), status: 400, errName: "InvalidRequest"},
		{name: "trailing data after the body", req: rawReq(createRecord, tok, jsonType, append(bytes.Clone(valid), valid...)), status: 400, errName: "InvalidRequest"},
		{name: "empty body", req: rawReq(createRecord, tok, jsonType, nil), status: 400, errName: "InvalidRequest"},
		{name: "body over 2 MiB", req: jsonReq(createRecord, tok, huge), status: 413, errName: "PayloadTooLarge"},
		{name: "Content-Type text/plain", req: rawReq(createRecord, tok, "text/plain", valid), status: 400, errName: "InvalidRequest"},
		{name: "no Content-Type", req: rawReq(createRecord, tok, "", valid), status: 400, errName: "InvalidRequest"},
		{name: "field of the wrong JSON type", req: jsonReq(createRecord, tok, w.write(map[string]any{"validate": "yes"})), status: 400, errName: "InvalidRequest"},
		{name: "collection as a number", req: jsonReq(createRecord, tok, w.write(map[string]any{"collection": 5})), status: 400, errName: "InvalidRequest"},
	}
}

func (w *world) identifierCases() []badCase {
	tok := w.alice.AccessJwt
	bad := func(name, field string, v any) badCase {
		return badCase{name: name, req: jsonReq(createRecord, tok, w.write(map[string]any{field: v})), status: 400, errName: "InvalidRequest"}
	}
	put := func(name string, extra map[string]any) badCase {
		in := w.write(map[string]any{"rkey": "n1"})
		for k, v := range extra {
			in[k] = v
		}
		return badCase{name: name, req: jsonReq(putRecord, tok, in), status: 400, errName: "InvalidRequest"}
	}
	return []badCase{
		bad("NSID with spaces", "collection", "not an nsid"),
		bad("NSID of two segments", "collection", "com.example"),
		bad("NSID with an empty segment", "collection", "com..example.note"),
		bad("rkey with a slash", "rkey", "a/b"),
		bad("rkey ..", "rkey", ".."),
		bad("rkey with a space", "rkey", "a b"),
		bad("rkey of 513 characters", "rkey", strings.Repeat("k", 513)),
		bad("repo that is not a DID or handle", "repo", "not_a_did!"),
		bad("repo DID without an identifier", "repo", "did:plc:"),
		bad("swapCommit that is not a CID", "swapCommit", "not-a-cid"),
		put("swapRecord that is not a CID", map[string]any{"swapRecord": "bafygarbage"}),
		put("swapRecord that is a number", map[string]any{"swapRecord": 42}),
		put("putRecord without rkey", map[string]any{"rkey": ""}),
		{name: "deleteRecord with a bad rkey", req: jsonReq(deleteRecord, tok, map[string]any{"repo": w.alice.DID, "collection": note, "rkey": "a/b"}), status: 400, errName: "InvalidRequest"},
	}
}

func (w *world) paramCases() []badCase {
	did := w.alice.DID
	get := func(name, nsid string, q url.Values, errName string) badCase {
		return badCase{name: name, req: getReq(nsid, q), status: 400, errName: errName}
	}
	rec := func(k, v string) url.Values {
		q := url.Values{"repo": {did}, "collection": {note}, "rkey": {"n1"}}
		q.Set(k, v)
		return q
	}
	return []badCase{
		get("getRecord repo not a DID", "com.atproto.repo.getRecord", rec("repo", "did:nope"), "InvalidRequest"),
		get("getRecord bad NSID", "com.atproto.repo.getRecord", rec("collection", "bad..nsid"), "InvalidRequest"),
		get("getRecord bad rkey", "com.atproto.repo.getRecord", rec("rkey", "a b"), "InvalidRequest"),
		get("getRecord bad CID", "com.atproto.repo.getRecord", rec("cid", "bafynot"), "InvalidRequest"),
		get("getRecord missing record", "com.atproto.repo.getRecord", rec("rkey", "absent"), "RecordNotFound"),
		get("listRecords limit 0", "com.atproto.repo.listRecords", url.Values{"repo": {did}, "collection": {note}, "limit": {"0"}}, "InvalidRequest"),
		get("listRecords limit 101", "com.atproto.repo.listRecords", url.Values{"repo": {did}, "collection": {note}, "limit": {"101"}}, "InvalidRequest"),
		get("getRepo bad DID", "com.atproto.sync.getRepo", url.Values{"did": {"did:example"}}, "InvalidRequest"),
		get("getRepo bad since", "com.atproto.sync.getRepo", url.Values{"did": {did}, "since": {"notatid"}}, "InvalidRequest"),
		get("getRepo unknown DID", "com.atproto.sync.getRepo", url.Values{"did": {"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}}, "RepoNotFound"),
		get("getLatestCommit unknown DID", "com.atproto.sync.getLatestCommit", url.Values{"did": {"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}}, "RepoNotFound"),
		get("getBlob bad CID", "com.atproto.sync.getBlob", url.Values{"did": {did}, "cid": {"bafynot"}}, "InvalidRequest"),
		get("getBlob without CID", "com.atproto.sync.getBlob", url.Values{"did": {did}}, "InvalidRequest"),
		get("getBlocks bad CID", "com.atproto.sync.getBlocks", url.Values{"did": {did}, "cids": {"bafynot"}}, "InvalidRequest"),
	}
}
