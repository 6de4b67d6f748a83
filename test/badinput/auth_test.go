package badinput

import (
	"time"
)

func (w *world) authCases() []badCase {
	rec := w.write(nil)
	with := func(name, header string, status int, errName string) badCase {
		r := jsonReq(createRecord, "", rec)
		if header != "" {
			r.Header = map[string]string{"Authorization": header}
		}
		return badCase{name: name, req: r, status: status, errName: errName}
	}
	hdr := map[string]any{"alg": "HS256", "typ": "at+jwt"}
	expired := jwt(hdr, w.accessClaims(w.alice.DID, time.Now().Add(-time.Hour)), randomBytes(32))
	forged := jwt(hdr, w.accessClaims(w.alice.DID, time.Now().Add(time.Hour)), randomBytes(32))
	none := jwt(map[string]any{"alg": "none", "typ": "at+jwt"}, w.accessClaims(w.alice.DID, time.Now().Add(time.Hour)), nil)
	asBob := resigned(w.alice.AccessJwt, w.accessClaims(w.bob.DID, time.Now().Add(time.Hour)))
	other := func(name, nsid string, in map[string]any) badCase {
		return badCase{name: name, req: jsonReq(nsid, w.alice.AccessJwt, in), status: 403, errName: "Forbidden",
			alts: []answer{{401, "AuthenticationRequired"}},
			spec: "403's XRPC error name is Forbidden, not InvalidRequest (the reference PDS answers 401 AuthenticationRequired, also accepted)"}
	}
	unknownRepo := other("createRecord in an unknown repo", createRecord, map[string]any{"repo": "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa", "collection": note, "record": noteVal("x")})
	unknownRepo.alts = append(unknownRepo.alts, answer{400, "InvalidRequest"})
	bobNote := map[string]any{"repo": w.bob.DID, "collection": note, "rkey": "b1", "record": noteVal("mine now")}
	return []badCase{
		with("no Authorization header", "", 401, "AuthenticationRequired"),
		with("Basic instead of Bearer", "Basic YWxpY2U6cGFzc3dvcmQ=", 401, "AuthenticationRequired"),
		with("empty bearer token", "Bearer ", 401, "AuthenticationRequired"),
		with("garbage bearer token", "Bearer garbage.garbage.garbage", 400, "InvalidToken"),
		with("expired token signed by another key", "Bearer "+expired, 400, "InvalidToken"),
		with("token signed by another key", "Bearer "+forged, 400, "InvalidToken"),
		with("alg none token", "Bearer "+none, 400, "InvalidToken"),
		with("token payload swapped to bob", "Bearer "+asBob, 400, "InvalidToken"),
		with("refresh token as access token", "Bearer "+w.alice.RefreshJwt, 400, "InvalidToken"),
		other("createRecord in bob's repo", createRecord, map[string]any{"repo": w.bob.DID, "collection": note, "record": noteVal("x")}),
		other("putRecord over bob's record", putRecord, bobNote),
		other("deleteRecord of bob's record", deleteRecord, map[string]any{"repo": w.bob.DID, "collection": note, "rkey": "b1"}),
		other("applyWrites on bob's repo", applyWrites, map[string]any{"repo": w.bob.DID, "writes": []any{aw("delete", "b1", nil)}}),
		other("createRecord in bob's repo by handle", createRecord, map[string]any{"repo": w.bob.Handle, "collection": note, "record": noteVal("x")}),
		unknownRepo,
	}
}

func (w *world) swapCases() []badCase {
	tok := w.alice.AccessJwt
	swap := func(name, nsid string, in map[string]any) badCase {
		return badCase{name: name, req: jsonReq(nsid, tok, in), status: 400, errName: "InvalidSwap"}
	}
	n1 := func(extra map[string]any) map[string]any {
		in := map[string]any{"repo": w.alice.DID, "collection": note, "rkey": "n1", "record": noteVal("swapped")}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	del := func(rkey string, extra map[string]any) map[string]any {
		in := map[string]any{"repo": w.alice.DID, "collection": note, "rkey": rkey}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	stale := w.n2 // a valid CID that is not the head
	return []badCase{
		swap("createRecord swapCommit not the head", createRecord, w.write(map[string]any{"swapCommit": stale})),
		swap("putRecord swapCommit not the head", putRecord, n1(map[string]any{"swapCommit": stale})),
		swap("putRecord swapRecord of another record", putRecord, n1(map[string]any{"swapRecord": w.n2})),
		{name: "putRecord swapRecord null over an existing record", req: jsonReq(putRecord, tok, n1(map[string]any{"swapRecord": nil})), status: 400, errName: "InvalidSwap",
			spec: "swapRecord null asks for the record to be absent; a failed compare-and-swap is InvalidSwap (the putRecord lexicon's error)"},
		swap("deleteRecord swapRecord of another record", deleteRecord, del("n1", map[string]any{"swapRecord": w.n2})),
		swap("deleteRecord swapCommit not the head", deleteRecord, del("n1", map[string]any{"swapCommit": stale})),
		{name: "deleteRecord swapRecord on a missing record", req: jsonReq(deleteRecord, tok, del("absent", map[string]any{"swapRecord": w.n1})), status: 400, errName: "InvalidSwap",
			alts: []answer{{200, ""}},
			spec: "the record is not at the CID swapRecord names: a failed compare-and-swap is InvalidSwap, the deleteRecord lexicon's one error (the reference PDS makes a delete of an absent record a no-op 200, also accepted)"},
		swap("applyWrites swapCommit not the head", applyWrites, map[string]any{"repo": w.alice.DID, "swapCommit": stale, "writes": []any{aw("delete", "n1", nil)}}),
	}
}
