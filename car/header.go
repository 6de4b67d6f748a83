package car

import (
	"errors"
	"fmt"

	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

// MaxHeaderSize bounds the DAG-CBOR header a Reader accepts. A header is
// 17 bytes plus 41 per root; 64 KiB leaves room for over 1,500 roots where
// AT Protocol CARs carry at most one.
const MaxHeaderSize = 64 << 10

// appendHeader appends the length-prefixed header for roots. Keys go in
// DRISL's canonical order: "roots" (5 bytes) before "version" (7).
func appendHeader(b []byte, roots []cid.CID) []byte {
	body := make([]byte, 0, 17+linkLen*len(roots))
	body = cbor.AppendMapHeader(body, 2)
	body = cbor.AppendText(body, "roots")
	body = cbor.AppendArrayHeader(body, len(roots))
	for _, c := range roots {
		body = cbor.AppendLink(body, c)
	}
	body = cbor.AppendText(body, "version")
	body = cbor.AppendInt(body, 1)
	b = appendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

// linkLen is the encoded size of a blessed CID link: tag 42, a byte
// string header, the identity multibase prefix and the CID.
const linkLen = 5 + cid.Len

var errNoRoots = errors.New(`header lacks "roots"`)

// parseHeader decodes a header body strictly: a canonical DRISL map with
// exactly the keys "roots" (a list of links) and "version" (1).
func parseHeader(p []byte) ([]cid.CID, error) {
	r := cbor.NewReader(p)
	n, err := r.ReadMapHeader()
	if err != nil {
		return nil, err
	}
	var (
		roots      []cid.CID
		hasRoots   bool
		hasVersion bool
		key        string
	)
	for i := range n {
		if key, err = r.ReadKey(key, i == 0); err != nil {
			return nil, err
		}
		switch key {
		case "roots":
			hasRoots = true
			roots, err = readRoots(r)
		case "version":
			hasVersion = true
			err = readVersion(r)
		default:
			err = fmt.Errorf("unknown header key %q", key)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !hasVersion:
		return nil, errors.New(`header lacks "version"`)
	case !hasRoots:
		return nil, errNoRoots
	}
	return roots, r.Done()
}

func readVersion(r *cbor.Reader) error {
	v, err := r.ReadInt()
	switch {
	case err != nil:
		return err
	case v == 2:
		return errors.New("CAR version 2 is not supported")
	case v != 1:
		return fmt.Errorf("CAR version %d, want 1", v)
	}
	return nil
}

func readRoots(r *cbor.Reader) ([]cid.CID, error) {
	n, err := r.ReadArrayHeader()
	if err != nil {
		return nil, err
	}
	if n > r.Remaining()/linkLen {
		return nil, fmt.Errorf("%d roots exceed the header", n)
	}
	roots := make([]cid.CID, n)
	for i := range roots {
		if roots[i], err = r.ReadLink(); err != nil {
			return nil, fmt.Errorf("read root %d: %w", i, err)
		}
	}
	return roots, nil
}
