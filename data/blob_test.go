package data

import (
	"reflect"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

func TestBlob_Parse(t *testing.T) {
	modern := Blob{Ref: testRawCID, MimeType: "image/jpeg", Size: 10000}
	cases := []struct {
		name string
		in   map[string]any
		want Blob
		ok   bool
	}{
		{"modern", modern.Map(), modern, true},
		{"int size", map[string]any{"$type": "blob", "ref": testRawCID, "mimeType": "image/jpeg", "size": 10000}, modern, true},
		{"legacy", map[string]any{"cid": testCID.String(), "mimeType": "text/plain"},
			Blob{Ref: testCID, MimeType: "text/plain", Size: -1}, true},
		{"legacy bad cid", map[string]any{"cid": "nope", "mimeType": "text/plain"}, Blob{}, false},
		{"legacy extra key", map[string]any{"cid": testCID.String(), "mimeType": "a/b", "x": 1}, Blob{}, false},
		{"other $type", map[string]any{"$type": "app.bsky.embed.images"}, Blob{}, false},
		{"no ref", map[string]any{"$type": "blob", "mimeType": "a/b", "size": 1}, Blob{}, false},
		{"mimeType not string", map[string]any{"$type": "blob", "ref": testCID, "mimeType": false, "size": 1}, Blob{}, false},
		{"negative size", map[string]any{"$type": "blob", "ref": testCID, "mimeType": "a/b", "size": -5}, Blob{}, false},
		{"plain map", map[string]any{"a": 1}, Blob{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseBlob(c.in)
			if !c.ok {
				if err == nil || !rhizome.Is(err, rhizome.Invalid) {
					t.Fatalf("ParseBlob = %+v, %v; want an invalid error", got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseBlob = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
}

func TestBlob_MapRoundTrip(t *testing.T) {
	b := Blob{Ref: testRawCID, MimeType: "video/mp4", Size: 1 << 40}
	enc, err := MarshalCBOR(b)
	if err != nil {
		t.Fatal(err)
	}
	v, err := UnmarshalCBOR(enc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseBlob(v.(map[string]any))
	if err != nil || got != b {
		t.Fatalf("blob round trip = %+v, %v; want %+v", got, err, b)
	}
}

func TestBlobs_Collect(t *testing.T) {
	img := Blob{Ref: testRawCID, MimeType: "image/png", Size: 3}
	thumb := Blob{Ref: testCID, MimeType: "image/webp", Size: 4}
	legacy := Blob{Ref: testCID, MimeType: "text/plain", Size: -1}
	record := map[string]any{
		"$type": "app.bsky.feed.post",
		"embed": map[string]any{
			"images": []any{
				map[string]any{"alt": "a", "image": img.Map()},
				map[string]any{"alt": "b", "image": thumb},
			},
		},
		"avatar": map[string]any{"cid": testCID.String(), "mimeType": "text/plain"},
		"text":   "no blobs here",
	}
	got := Blobs(record)
	want := []Blob{legacy, img, thumb} // "avatar" sorts before "embed"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Blobs = %+v\nwant %+v", got, want)
	}
	if got := Blobs(map[string]any{"a": []any{int64(1), "x"}}); len(got) != 0 {
		t.Fatalf("Blobs of a blob-free value = %+v", got)
	}
}
