package badinput

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func (w *world) importCases(t testing.TB) []badCase {
	tok := w.alice.AccessJwt
	car := func(name string, body []byte) badCase {
		return badCase{name: name, req: rawReq(importRepo, tok, carType, body), status: 400, errName: "InvalidRequest"}
	}
	return []badCase{
		car("importRepo truncated CAR", w.aliceCAR[:len(w.aliceCAR)/2]),
		car("importRepo CAR with a tampered block", w.tampered()),
		car("importRepo CAR of another DID", w.bobCAR),
		car("importRepo CAR missing a record block", w.withoutRecord(t)),
		car("importRepo CAR whose root is not a commit", w.rootNotCommit(t)),
		car("importRepo garbage", []byte("this is not a CAR file at all")),
		car("importRepo empty body", nil),
		{name: "importRepo as JSON", req: rawReq(importRepo, tok, jsonType, w.aliceCAR), status: 400, errName: "InvalidRequest"},
		{name: "importRepo with a refresh token", req: rawReq(importRepo, w.alice.RefreshJwt, carType, w.aliceCAR), status: 400, errName: "InvalidToken"},
		{name: "importRepo without a token", req: rawReq(importRepo, "", carType, w.aliceCAR), status: 401, errName: "AuthenticationRequired"},
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func (w *world) blobCases() []badCase {
	tok := w.alice.AccessJwt
	const tooLarge = "an upload over the pod's size limit is a request body too large: 413 PayloadTooLarge (BlobTooLarge is the reference's 400 for a blob over a record schema's maxSize)"
	over := func() io.Reader { return io.LimitReader(zeros{}, maxBlob+1) }
	return []badCase{
		{name: "uploadBlob announcing 50 MiB + 1", req: request{Path: "/xrpc/" + uploadBlob, Header: bearer(tok), CType: "image/png", Stream: over(), Length: maxBlob + 1},
			status: 413, errName: "PayloadTooLarge", spec: tooLarge},
		{name: "uploadBlob streaming 50 MiB + 1 unannounced", req: request{Path: "/xrpc/" + uploadBlob, Header: bearer(tok), CType: "image/png", Stream: over()},
			status: 413, errName: "PayloadTooLarge", spec: tooLarge},
		{name: "uploadBlob with a malformed media type", req: rawReq(uploadBlob, tok, "not a media type", []byte("x")), status: 400, errName: "InvalidRequest"},
		{name: "uploadBlob with a refresh token", req: rawReq(uploadBlob, w.alice.RefreshJwt, "image/png", []byte("x")), status: 400, errName: "InvalidToken"},
		{name: "uploadBlob without a token", req: rawReq(uploadBlob, "", "image/png", []byte("x")), status: 401, errName: "AuthenticationRequired"},
	}
}

func (w *world) routeCases() []badCase {
	tok := w.alice.AccessJwt
	method := func(name, m, nsid string) badCase {
		r := jsonReq(nsid, tok, w.write(nil))
		r.Method = m
		if m == http.MethodGet {
			r.Body, r.CType = nil, ""
		}
		return badCase{name: name, req: r, status: 400, errName: "InvalidRequest"}
	}
	return []badCase{
		{name: "unknown method POST", req: jsonReq("com.example.nope.doThing", tok, map[string]any{}), status: 501, errName: "MethodNotImplemented"},
		{name: "unknown method GET", req: getReq("com.example.nope.getThing", nil), status: 501, errName: "MethodNotImplemented"},
		method("GET on createRecord", http.MethodGet, createRecord),
		method("PUT on putRecord", http.MethodPut, putRecord),
		method("DELETE on deleteRecord", http.MethodDelete, deleteRecord),
		method("POST on getRecord", http.MethodPost, "com.atproto.repo.getRecord"),
		{name: "admin method without credentials", req: jsonReq("com.atproto.admin.deleteAccount", "", map[string]any{"did": w.alice.DID}), status: 401, errName: "AuthenticationRequired"},
		{name: "admin method with a user token", req: jsonReq("com.atproto.admin.updateSubjectStatus", tok, map[string]any{}), status: 401, errName: "AuthenticationRequired"},
		{name: "createInviteCode without credentials", req: jsonReq("com.atproto.server.createInviteCode", "", map[string]any{"useCount": 1}), status: 401, errName: "AuthenticationRequired"},
	}
}

func (w *world) accountCases() []badCase {
	tok, refresh := w.alice.AccessJwt, w.alice.RefreshJwt
	acct := func(name, handle, email, pw string, errName string) badCase {
		in := map[string]any{"handle": handle, "email": email, "password": pw}
		return badCase{name: name, req: jsonReq("com.atproto.server.createAccount", "", in), status: 400, errName: errName}
	}
	post := func(name, nsid, token string, in map[string]any, status int, errName string) badCase {
		return badCase{name: name, req: jsonReq(nsid, token, in), status: status, errName: errName}
	}
	return []badCase{
		acct("createAccount with a taken handle", w.alice.Handle, "new@example.test", "password-new", "HandleNotAvailable"),
		acct("createAccount with a taken email", "newbie.test", "alice@example.test", "password-new", "AlreadyExists"),
		acct("createAccount with an invalid handle", "bad handle.test", "n2@example.test", "password-new", "InvalidHandle"),
		acct("createAccount under a foreign domain", "eve.example.com", "n3@example.test", "password-new", "UnsupportedDomain"),
		acct("createAccount with a short password", "newbie.test", "n4@example.test", "short", "InvalidRequest"),
		acct("createAccount with a bad email", "newbie.test", "not an email", "password-new", "InvalidRequest"),
		post("createSession with a wrong password", "com.atproto.server.createSession", "", map[string]any{"identifier": w.alice.Handle, "password": "wrong-password"}, 401, "AuthenticationRequired"),
		post("createSession for nobody", "com.atproto.server.createSession", "", map[string]any{"identifier": "nobody.test", "password": "password-x"}, 401, "AuthenticationRequired"),
		post("deleteAccount with a wrong password", "com.atproto.server.deleteAccount", "", map[string]any{"did": w.alice.DID, "password": "wrong-password"}, 401, "AuthenticationRequired"),
		post("deleteAccount with a bad DID", "com.atproto.server.deleteAccount", "", map[string]any{"did": "did:bad", "password": "password-alice"}, 400, "InvalidRequest"),
		post("refreshSession with an access token", "com.atproto.server.refreshSession", tok, nil, 400, "InvalidToken"),
		post("refreshSession with garbage", "com.atproto.server.refreshSession", "garbage", nil, 400, "InvalidToken"),
		post("refreshSession without a token", "com.atproto.server.refreshSession", "", nil, 401, "AuthenticationRequired"),
		post("deleteSession with an access token", "com.atproto.server.deleteSession", tok, nil, 400, "InvalidToken"),
		post("deactivateAccount with a refresh token", "com.atproto.server.deactivateAccount", refresh, map[string]any{}, 400, "InvalidToken"),
		post("createAppPassword with a refresh token", "com.atproto.server.createAppPassword", refresh, map[string]any{"name": "x"}, 400, "InvalidToken"),
		post("createAppPassword with a taken name", "com.atproto.server.createAppPassword", tok, map[string]any{"name": "main"}, 400, "DuplicateName"),
		post("createAppPassword with an empty name", "com.atproto.server.createAppPassword", tok, map[string]any{"name": "  "}, 400, "InvalidRequest"),
		post("updateHandle to a taken handle", "com.atproto.identity.updateHandle", tok, map[string]any{"handle": w.bob.Handle}, 400, "HandleNotAvailable"),
		post("updateHandle to an invalid handle", "com.atproto.identity.updateHandle", tok, map[string]any{"handle": strings.Repeat("x", 300) + ".test"}, 400, "InvalidHandle"),
	}
}
