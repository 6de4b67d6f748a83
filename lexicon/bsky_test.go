package lexicon

import (
	"testing"

	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Identifiers shared by the examples.
const (
	exDID   = `"did:plc:ewvi7nxzyoun6zhxrhs64oiz"`
	exPost  = `"at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3jui7kd54zh2y"`
	exList  = `"at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.graph.list/3jui7kd54zh2y"`
	exCID   = `"bafyreiclp443lavogvhj3d2ob2cxbfuscni2k5jk7bebjzg7khl3esabwq"`
	exRef   = `{"uri": ` + exPost + `, "cid": ` + exCID + `}`
	exWhen  = `"2024-11-05T08:30:00.000Z"`
	exPNG   = `{"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"}, "mimeType": "image/png", "size": 48213}`
	exJPEG  = `{"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"}, "mimeType": "image/jpeg", "size": 912000}`
	exMP4   = `{"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"}, "mimeType": "video/mp4", "size": 12000000}`
	exSelf  = `{"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "graphic-media"}]}`
	exFacet = `{"index": {"byteStart": 0, "byteEnd": 9}, "features": [
		{"$type": "app.bsky.richtext.facet#mention", "did": ` + exDID + `}]}`
)

// examplePost is a post with facets of every kind, a reply, languages,
// self-labels, tags and an image embed.
const examplePost = `{
	"$type": "app.bsky.feed.post",
	"text": "hello @alice.test 🇩🇪🏳️‍🌈 see https://example.com #atproto",
	"facets": [
		{"index": {"byteStart": 6, "byteEnd": 17}, "features": [{"$type": "app.bsky.richtext.facet#mention", "did": ` + exDID + `}]},
		{"index": {"byteStart": 45, "byteEnd": 64}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}]},
		{"index": {"byteStart": 65, "byteEnd": 73}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "atproto"}]}
	],
	"reply": {"root": ` + exRef + `, "parent": ` + exRef + `},
	"embed": {"$type": "app.bsky.embed.images", "images": [
		{"image": ` + exPNG + `, "alt": "a diagram of a merkle search tree", "aspectRatio": {"width": 1200, "height": 800}},
		{"image": ` + exJPEG + `, "alt": ""}
	]},
	"langs": ["en", "de-DE"],
	"labels": ` + exSelf + `,
	"tags": ["pds", "go"],
	"createdAt": ` + exWhen + `
}`

// bskyExamples holds a realistic record, and a record key, for every
// record type of the embedded catalog.
var bskyExamples = map[syntax.NSID]struct {
	rkey   syntax.RecordKey
	record string
}{
	"app.bsky.feed.post": {"3jui7kd54zh2y", examplePost},
	"app.bsky.feed.like": {"3jui7kd54zh2y", `{"$type": "app.bsky.feed.like", "subject": ` + exRef + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.feed.repost": {"3jui7kd54zh2y", `{"$type": "app.bsky.feed.repost", "subject": ` + exRef + `,
		"via": ` + exRef + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.follow": {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.follow", "subject": ` + exDID + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.block":  {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.block", "subject": ` + exDID + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.actor.profile": {"self", `{"$type": "app.bsky.actor.profile", "displayName": "Alice 🌻",
		"description": "Writes Go. Keeps bees.", "pronouns": "she/her", "website": "https://alice.example",
		"avatar": ` + exPNG + `, "banner": ` + exJPEG + `, "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": []},
		"pinnedPost": ` + exRef + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.actor.status": {"self", `{"$type": "app.bsky.actor.status", "status": "app.bsky.actor.status#live",
		"embed": {"$type": "app.bsky.embed.external", "external": {"uri": "https://stream.example/alice", "title": "Live", "description": "Coding a PDS", "thumb": ` + exPNG + `}},
		"durationMinutes": 90, "createdAt": ` + exWhen + `}`},
	"app.bsky.actor.contentVisibilityDeclaration": {"self", `{"$type": "app.bsky.actor.contentVisibilityDeclaration",
		"hideFromAlgorithmicRecommendations": true}`},
	"app.bsky.feed.generator": {"whats-hot", `{"$type": "app.bsky.feed.generator", "did": "did:web:feeds.example.com",
		"displayName": "What's Hot", "description": "Popular posts by @alice.test", "descriptionFacets": [` + exFacet + `],
		"avatar": ` + exPNG + `, "acceptsInteractions": true, "contentMode": "app.bsky.feed.defs#contentModeUnspecified", "createdAt": ` + exWhen + `}`},
	"app.bsky.feed.postgate": {"3jui7kd54zh2y", `{"$type": "app.bsky.feed.postgate", "post": ` + exPost + `,
		"detachedEmbeddingUris": [` + exPost + `], "embeddingRules": [{"$type": "app.bsky.feed.postgate#disableRule"}], "createdAt": ` + exWhen + `}`},
	"app.bsky.feed.threadgate": {"3jui7kd54zh2y", `{"$type": "app.bsky.feed.threadgate", "post": ` + exPost + `,
		"allow": [{"$type": "app.bsky.feed.threadgate#mentionRule"}, {"$type": "app.bsky.feed.threadgate#followingRule"},
			{"$type": "app.bsky.feed.threadgate#listRule", "list": ` + exList + `}],
		"hiddenReplies": [` + exPost + `], "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.list": {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.list", "purpose": "app.bsky.graph.defs#curatelist",
		"name": "Gophers", "description": "People who write Go", "descriptionFacets": [` + exFacet + `],
		"avatar": ` + exJPEG + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.listitem": {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.listitem", "subject": ` + exDID + `,
		"list": ` + exList + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.listblock": {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.listblock", "subject": ` + exList + `, "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.starterpack": {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.starterpack", "name": "Go folks",
		"description": "Start here", "list": ` + exList + `,
		"feeds": [{"uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.generator/whats-hot"}], "createdAt": ` + exWhen + `}`},
	"app.bsky.graph.verification": {"3jui7kd54zh2y", `{"$type": "app.bsky.graph.verification", "subject": ` + exDID + `,
		"handle": "alice.test", "displayName": "Alice 🌻", "createdAt": ` + exWhen + `}`},
	"app.bsky.labeler.service": {"self", `{"$type": "app.bsky.labeler.service", "policies": {"labelValues": ["porn", "spoiler"],
		"labelValueDefinitions": [{"identifier": "spoiler", "severity": "inform", "blurs": "content", "defaultSetting": "warn",
			"adultOnly": false, "locales": [{"lang": "en", "name": "Spoiler", "description": "Reveals a plot twist"}]}]},
		"labels": ` + exSelf + `, "reasonTypes": ["com.atproto.moderation.defs#reasonSpam"], "subjectTypes": ["account", "record"],
		"subjectCollections": ["app.bsky.feed.post"], "createdAt": ` + exWhen + `}`},
	"app.bsky.notification.declaration": {"self", `{"$type": "app.bsky.notification.declaration", "allowSubscriptions": "followers"}`},
	"com.atproto.lexicon.schema": {"app.bsky.feed.post", `{"$type": "com.atproto.lexicon.schema", "lexicon": 1,
		"id": "app.bsky.feed.post", "defs": {"main": {"type": "token"}}}`},
}

// bskyEmbeds are further posts, one per kind of embed.
var bskyEmbeds = map[string]string{
	"video": `{"$type": "app.bsky.embed.video", "video": ` + exMP4 + `, "alt": "a bee",
		"captions": [{"lang": "en", "file": {"$type": "blob", "ref": {"$link": ` + exCID + `}, "mimeType": "text/vtt", "size": 300}}],
		"aspectRatio": {"width": 16, "height": 9}}`,
	"external": `{"$type": "app.bsky.embed.external", "external": {"uri": "https://example.com", "title": "Example", "description": ""}}`,
	"record":   `{"$type": "app.bsky.embed.record", "record": ` + exRef + `}`,
	"recordWithMedia": `{"$type": "app.bsky.embed.recordWithMedia", "record": {"record": ` + exRef + `},
		"media": {"$type": "app.bsky.embed.images", "images": [{"image": ` + exPNG + `, "alt": "x"}]}}`,
	"gallery": `{"$type": "app.bsky.embed.gallery", "items": [{"$type": "app.bsky.embed.gallery#image",
		"image": ` + exPNG + `, "alt": "x", "aspectRatio": {"width": 1, "height": 1}}]}`,
}

func TestCatalog_ValidateRecordBsky(t *testing.T) {
	c := embeddedCatalog(t)
	for _, nsid := range c.IDs() {
		if _, ok := c.Record(nsid); !ok {
			continue
		}
		t.Run(string(nsid), func(t *testing.T) {
			ex, ok := bskyExamples[nsid]
			if !ok {
				t.Fatalf("no example for record type %s", nsid)
			}
			rec := decodeExample(t, ex.record)
			if err := c.ValidateRecord(nsid, rec); err != nil {
				t.Fatalf("ValidateRecord: %v", err)
			}
			if err := c.ValidateRecordKey(nsid, ex.rkey); err != nil {
				t.Fatalf("ValidateRecordKey: %v", err)
			}
		})
	}
}

func TestCatalog_ValidateRecordBskyEmbeds(t *testing.T) {
	c := embeddedCatalog(t)
	for name, embed := range bskyEmbeds {
		t.Run(name, func(t *testing.T) {
			rec := decodeExample(t, `{"$type": "app.bsky.feed.post", "text": "", "createdAt": `+exWhen+`, "embed": `+embed+`}`)
			if err := c.ValidateRecord("app.bsky.feed.post", rec); err != nil {
				t.Fatalf("ValidateRecord: %v", err)
			}
		})
	}
}

// decodeExample decodes a record in JSON as the pod receives one.
func decodeExample(t testing.TB, s string) map[string]any {
	t.Helper()
	rec, err := data.DecodeRecordJSON([]byte(s))
	if err != nil {
		t.Fatalf("decode example: %v", err)
	}
	return rec
}
