package data

import "testing"

// postRecord is shaped like an app.bsky.feed.post with a reply, a facet
// and an image embed.
func postRecord() map[string]any {
	ref := map[string]any{
		"uri": "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kznmn7xqxl22",
		"cid": testCID.String(),
	}
	return map[string]any{
		"$type":     "app.bsky.feed.post",
		"text":      "Looking at the new lexicon docs over coffee ☕ — https://atproto.com/specs/lexicon is worth a read",
		"createdAt": "2024-05-06T17:24:41.564Z",
		"langs":     []any{"en"},
		"reply":     map[string]any{"root": ref, "parent": ref},
		"facets": []any{map[string]any{
			"index":    map[string]any{"byteStart": int64(52), "byteEnd": int64(88)},
			"features": []any{map[string]any{"$type": "app.bsky.richtext.facet#link", "uri": "https://atproto.com/specs/lexicon"}},
		}},
		"embed": map[string]any{
			"$type": "app.bsky.embed.images",
			"images": []any{map[string]any{
				"alt":         "a cup of coffee next to a laptop",
				"image":       Blob{Ref: testRawCID, MimeType: "image/jpeg", Size: 421766}.Map(),
				"aspectRatio": map[string]any{"width": int64(1836), "height": int64(530)},
			}},
		},
	}
}

func BenchmarkMarshalCBOR(b *testing.B) {
	v := postRecord()
	buf := mustCBOR(b, v)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendCBOR(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalCBOR(b *testing.B) {
	buf := mustCBOR(b, postRecord())
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalCBOR(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalJSON(b *testing.B) {
	v := postRecord()
	out, err := MarshalJSON(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalJSON(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalJSON(b *testing.B) {
	in, err := MarshalJSON(postRecord())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCBORToJSON compares the read path's direct transcoder with
// decoding to a value and encoding that.
func BenchmarkCBORToJSON(b *testing.B) {
	in := mustCBOR(b, postRecord())
	b.Run("transcode", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		var out []byte
		for b.Loop() {
			var err error
			if out, err = AppendJSONFromCBOR(out[:0], in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode+encode", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			v, err := UnmarshalCBOR(in)
			if err == nil {
				_, err = MarshalJSON(v)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCBORToJSONText transcodes a text-only post (what most posts
// are, and what the load tool lists).
func BenchmarkCBORToJSONText(b *testing.B) {
	in := mustCBOR(b, map[string]any{"$type": "app.bsky.feed.post", "createdAt": "2024-05-06T17:24:41.564Z",
		"text": "Looking at the new lexicon docs over coffee, which is worth a read: the record types, their fields and the rules a pod checks before it stores anything"})
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var out []byte
	for b.Loop() {
		var err error
		if out, err = AppendJSONFromCBOR(out[:0], in); err != nil {
			b.Fatal(err)
		}
	}
}
