package syntax

import "strings"

// ATURI is an AT-URI in the restricted form Lexicon allows:
// "at://" authority ["/" collection ["/" record-key]], where the authority
// is a DID or handle, the collection an NSID and the record key a RecordKey.
// There is no query, no fragment and no trailing slash, and the whole URI is
// at most 8 KB.
type ATURI string

// MaxATURILen is the longest AT-URI accepted, in bytes.
const MaxATURILen = 8192

const atURIPrefix = "at://"

// ParseATURI validates s as an AT-URI.
func ParseATURI(s string) (ATURI, error) {
	if reason := checkATURI(s); reason != "" {
		return "", invalid("parse at-uri", s, reason)
	}
	return ATURI(s), nil
}

// checkATURI returns why s is not a valid AT-URI, or "" if it is.
func checkATURI(s string) string {
	if len(s) > MaxATURILen {
		return "longer than 8192 bytes"
	}
	if !strings.HasPrefix(s, atURIPrefix) {
		return `does not start with "at://"`
	}
	authority, path, hasPath := strings.Cut(s[len(atURIPrefix):], "/")
	if reason := checkAtIdentifier(authority); reason != "" {
		return "authority: " + reason
	}
	if !hasPath {
		return ""
	}
	collection, rkey, hasRKey := strings.Cut(path, "/")
	if reason := checkNSID(collection); reason != "" {
		return "collection: " + reason
	}
	if !hasRKey {
		return ""
	}
	if strings.IndexByte(rkey, '/') >= 0 {
		return "path has more than two segments"
	}
	if reason := checkRecordKey(rkey); reason != "" {
		return "record key: " + reason
	}
	return ""
}

// NewATURI builds the AT-URI of an account (collection and rkey empty), a
// collection (rkey empty) or a record. An rkey without a collection is
// ignored. The parts are assumed valid; parsed values are.
func NewATURI(authority AtIdentifier, collection NSID, rkey RecordKey) ATURI {
	if collection == "" {
		return ATURI(atURIPrefix + string(authority))
	}
	if rkey == "" {
		return ATURI(atURIPrefix + string(authority) + "/" + string(collection))
	}
	return ATURI(atURIPrefix + string(authority) + "/" + string(collection) + "/" + string(rkey))
}

// parts splits u into its authority and up to two path segments.
func (u ATURI) parts() (authority, collection, rkey string) {
	s, ok := strings.CutPrefix(string(u), atURIPrefix)
	if !ok {
		return "", "", ""
	}
	authority, path, _ := strings.Cut(s, "/")
	collection, rkey, _ = strings.Cut(path, "/")
	return authority, collection, rkey
}

// Authority returns the DID or handle that u names or lives under.
func (u ATURI) Authority() AtIdentifier {
	a, _, _ := u.parts()
	return AtIdentifier(a)
}

// Collection returns the collection of u, or "" if u names an account.
func (u ATURI) Collection() NSID {
	_, c, _ := u.parts()
	return NSID(c)
}

// RecordKey returns the record key of u, or "" if u names no record.
func (u ATURI) RecordKey() RecordKey {
	_, _, r := u.parts()
	return RecordKey(r)
}

// Path returns everything after the authority, without the leading slash:
// "", a collection, or collection "/" rkey.
func (u ATURI) Path() string {
	s, ok := strings.CutPrefix(string(u), atURIPrefix)
	if !ok {
		return ""
	}
	_, path, _ := strings.Cut(s, "/")
	return path
}

// Normalize returns u with a handle authority and the collection's authority
// lower-cased, the form to store and compare.
func (u ATURI) Normalize() ATURI {
	a, c, r := u.parts()
	na, nc := AtIdentifier(a).Normalize(), NSID(c).Normalize()
	if string(na) == a && string(nc) == c {
		return u
	}
	return NewATURI(na, nc, RecordKey(r))
}

func (u ATURI) String() string { return string(u) }

// MarshalText implements encoding.TextMarshaler.
func (u ATURI) MarshalText() ([]byte, error) { return []byte(u), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (u *ATURI) UnmarshalText(text []byte) error {
	v, err := ParseATURI(string(text))
	if err != nil {
		return err
	}
	*u = v
	return nil
}
