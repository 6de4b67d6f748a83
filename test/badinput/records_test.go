package badinput

import (
	"encoding/json"
	"fmt"
	"strings"
)

func (w *world) recordCases() []badCase {
	tok := w.alice.AccessJwt
	rec := func(name string, r any, status int, errName string) badCase {
		in := w.write(map[string]any{"record": r})
		if m, ok := r.(map[string]any); ok && m["$type"] == file {
			in["collection"] = file
		}
		return badCase{name: name, req: jsonReq(createRecord, tok, in), status: status, errName: errName}
	}
	postIn := func(r map[string]any, rkey string) map[string]any {
		in := map[string]any{"repo": w.alice.DID, "collection": post, "record": r, "validate": true}
		if rkey != "" {
			in["rkey"] = rkey
		}
		return in
	}
	okPost := func() map[string]any {
		return map[string]any{"$type": post, "text": "hi", "createdAt": "2026-01-02T03:04:05.000Z"}
	}
	long := okPost()
	long["text"] = strings.Repeat("é", 301)
	badBlob := map[string]any{"$type": "blob", "ref": w.blob["ref"], "mimeType": "image/png", "size": 999999}
	return []badCase{
		rec("float in a record", map[string]any{"$type": note, "n": 1.5}, 400, "InvalidRecord"),
		rec("integer beyond 64 bits", json.RawMessage(`{"$type":"`+note+`","n":100000000000000000000000}`), 400, "InvalidRecord"),
		rec("$type not matching the collection", map[string]any{"$type": post, "text": "x"}, 400, "InvalidRecord"),
		rec("$type not a string", map[string]any{"$type": 5}, 400, "InvalidRecord"),
		rec("$link that is not a CID", map[string]any{"$type": note, "l": map[string]any{"$link": "nope"}}, 400, "InvalidRecord"),
		rec("$bytes that is not base64", map[string]any{"$type": note, "b": map[string]any{"$bytes": "!!!"}}, 400, "InvalidRecord"),
		rec("record that is a string", "just a string", 400, "InvalidRecord"),
		rec("record nested 200 deep", json.RawMessage(strings.Repeat(`{"a":`, 200)+"1"+strings.Repeat("}", 200)), 400, "InvalidRecord"),
		rec("record with invalid UTF-8", json.RawMessage("{\"$type\":\""+note+"\",\"text\":\"\xff\xfe\"}"), 400, "InvalidRecord"),
		rec("record of 1.1 MiB", map[string]any{"$type": note, "text": strings.Repeat("b", 1<<20+100<<10)}, 413, "PayloadTooLarge"),
		rec("blob that was never uploaded", map[string]any{"$type": file, "file": map[string]any{"$type": "blob",
			"ref": map[string]any{"$link": "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"}, "mimeType": "image/png", "size": 3}}, 400, "BlobNotFound"),
		rec("blob with the wrong size", map[string]any{"$type": file, "file": badBlob}, 400, "InvalidBlob"),
		{name: "record missing", req: jsonReq(createRecord, tok, map[string]any{"repo": w.alice.DID, "collection": note}), status: 400, errName: "InvalidRequest"},
		{name: "post without createdAt, validate true", req: jsonReq(createRecord, tok, postIn(map[string]any{"$type": post, "text": "hi"}, "")), status: 400, errName: "InvalidRecord"},
		{name: "post text over 300 graphemes, validate true", req: jsonReq(createRecord, tok, postIn(long, "")), status: 400, errName: "InvalidRecord"},
		{name: "post under a non-TID rkey, validate true", req: jsonReq(createRecord, tok, postIn(okPost(), "notatid")), status: 400, errName: "InvalidRecord"},
		{name: "unknown lexicon with validate true", req: jsonReq(createRecord, tok, w.write(map[string]any{"validate": true})), status: 400, errName: "InvalidRecord"},
		{name: "profile under rkey other than self", req: jsonReq(putRecord, tok, map[string]any{"repo": w.alice.DID, "collection": "app.bsky.actor.profile", "rkey": "other",
			"record": map[string]any{"$type": "app.bsky.actor.profile", "displayName": "x"}, "validate": true}), status: 400, errName: "InvalidRecord"},
	}
}

// aw is an applyWrites write in the lexicon's shape (the record is "value").
func aw(action, rkey string, value map[string]any) map[string]any {
	m := map[string]any{"$type": "com.atproto.repo.applyWrites#" + action, "collection": note, "rkey": rkey}
	if value != nil {
		m["value"] = value
	}
	return m
}

func noteVal(text string) map[string]any { return map[string]any{"$type": note, "text": text} }

func (w *world) batchCases() []badCase {
	tok := w.alice.AccessJwt
	batch := func(writes ...map[string]any) request {
		return jsonReq(applyWrites, tok, map[string]any{"repo": w.alice.DID, "writes": writes})
	}
	good := []map[string]any{aw("create", "new1", noteVal("a")), aw("update", "n1", noteVal("b")), aw("delete", "n3", nil)}
	var many []map[string]any
	for i := range 201 {
		many = append(many, aw("create", fmt.Sprintf("m%d", i), noteVal("m")))
	}
	const valueField = "the applyWrites lexicon names the record of #create and #update \"value\""
	return []badCase{
		{name: "applyWrites with 201 writes", req: batch(many...), status: 400, errName: "InvalidRequest",
			spec: "writes has maxLength 200 in the lexicon: a schema violation is 400 InvalidRequest; 413 is for bodies over the byte limit"},
		{name: "applyWrites last write has a float", req: batch(append(good, aw("create", "new2", map[string]any{"$type": note, "f": 0.5}))...), status: 400, errName: "InvalidRecord", spec: valueField},
		{name: "applyWrites last write creates an existing record", req: batch(append(good, aw("create", "n2", noteVal("dup")))...), status: 400, errName: "AlreadyExists", spec: valueField},
		{name: "applyWrites last write updates a missing record", req: batch(append(good, aw("update", "absent", noteVal("u")))...), status: 400, errName: "NotFound", spec: valueField},
		{name: "applyWrites last write deletes a missing record", req: batch(append(good, aw("delete", "absent", nil))...), status: 400, errName: "NotFound", spec: valueField},
		{name: "applyWrites last write has an unknown type", req: batch(append(good, map[string]any{"$type": "com.atproto.repo.applyWrites#upsert", "collection": note, "rkey": "x"})...), status: 400, errName: "InvalidRequest"},
		{name: "applyWrites writes one key twice", req: batch(aw("create", "twice", noteVal("1")), aw("create", "twice", noteVal("2"))), status: 400, errName: "InvalidRequest", spec: valueField},
		{name: "applyWrites last write has a bad rkey", req: batch(append(good, aw("create", "a/b", noteVal("x")))...), status: 400, errName: "InvalidRequest"},
	}
}
