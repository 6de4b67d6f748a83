package data

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// Blob is a reference to a blob, as a record holds it:
//
//	{"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/jpeg", "size": 10000}
//
// Size is -1 for a legacy blob ({"cid": "...", "mimeType": "..."}), whose
// size was never recorded; such blobs are read but never written.
type Blob struct {
	Ref      cid.CID
	MimeType string
	Size     int64
}

// Map returns b in its value form, a blob map.
func (b Blob) Map() map[string]any {
	return map[string]any{keyType: typeBlob, "ref": b.Ref, "mimeType": b.MimeType, "size": b.Size}
}

// check reports whether b can be written.
func (b Blob) check() error {
	switch {
	case !b.Ref.Defined():
		return errors.New("blob ref is not a defined CID")
	case b.Size < 0:
		return fmt.Errorf("blob size %d is negative (legacy blobs are not written)", b.Size)
	}
	return nil
}

// ParseBlob extracts the blob a map holds: a blob map as the data model
// defines it, or a legacy blob (exactly the string keys "cid" and
// "mimeType"), returned with Size -1.
func ParseBlob(m map[string]any) (Blob, error) {
	var b Blob
	var err error
	if _, ok := m[keyType]; ok {
		b, err = blobFromMap(m)
	} else {
		b, err = legacyBlob(m)
	}
	if err != nil {
		return Blob{}, rhizome.E("parse blob", rhizome.Invalid, err)
	}
	return b, nil
}

// blobFromMap reads a map whose $type is "blob".
func blobFromMap(m map[string]any) (Blob, error) {
	if t, _ := m[keyType].(string); t != typeBlob {
		return Blob{}, errors.New(`blob $type must be "blob"`)
	}
	ref, ok := linkValue(m["ref"])
	if !ok {
		return Blob{}, errors.New("blob ref must be a link")
	}
	mime, ok := m["mimeType"].(string)
	if !ok {
		return Blob{}, errors.New("blob mimeType must be a string")
	}
	size, ok := intValue(m["size"])
	if !ok || size < 0 {
		return Blob{}, errors.New("blob size must be a non-negative integer")
	}
	if len(m) != 4 {
		return Blob{}, errors.New("blob has keys other than $type, ref, mimeType and size")
	}
	return Blob{Ref: ref, MimeType: mime, Size: size}, nil
}

func legacyBlob(m map[string]any) (Blob, error) {
	s, ok1 := m["cid"].(string)
	mime, ok2 := m["mimeType"].(string)
	if !ok1 || !ok2 || len(m) != 2 {
		return Blob{}, errors.New("not a blob: want $type \"blob\" or exactly the string keys cid and mimeType")
	}
	c, err := cid.Parse(s)
	if err != nil {
		return Blob{}, fmt.Errorf("legacy blob cid: %w", err)
	}
	return Blob{Ref: c, MimeType: mime, Size: -1}, nil
}

// Blobs returns every blob a value refers to, legacy blobs included, in a
// deterministic order (map keys visited in sorted order). It does not
// deduplicate.
func Blobs(v any) []Blob {
	var out []Blob
	collectBlobs(v, &out, 0)
	return out
}

func collectBlobs(v any, out *[]Blob, depth int) {
	if depth > MaxDepth {
		return
	}
	switch x := v.(type) {
	case Blob:
		*out = append(*out, x)
	case []any:
		for _, e := range x {
			collectBlobs(e, out, depth+1)
		}
	case map[string]any:
		if b, ok := asBlob(x); ok {
			*out = append(*out, b)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			collectBlobs(x[k], out, depth+1)
		}
	}
}

// asBlob is ParseBlob for walking: it reports whether m is a blob without
// building errors for the maps that are plainly not blobs.
func asBlob(m map[string]any) (Blob, bool) {
	var b Blob
	var err error
	switch t, ok := m[keyType]; {
	case ok && t == typeBlob:
		b, err = blobFromMap(m)
	case !ok && len(m) == 2:
		b, err = legacyBlob(m)
	default:
		return Blob{}, false
	}
	return b, err == nil
}
