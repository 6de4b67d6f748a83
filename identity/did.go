package identity

import (
	"context"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// plcIDLen is the length of a did:plc identifier: 24 base32 characters.
const plcIDLen = 24

// ResolveDID returns the current DID document of did, from the cache if it
// is there. did:plc documents come from the PLC directory, did:web ones
// from https://host/.well-known/did.json; no redirect is followed for
// either. Errors have these kinds: Invalid for an unsupported method, a
// malformed identifier or a malformed document; NotFound when the
// directory or host has no document; TooLarge for a document over
// MaxDocSize; Forbidden when the host's address is not public;
// Unavailable for timeouts and other failures worth retrying.
func (r *Resolver) ResolveDID(ctx context.Context, did syntax.DID) (*Doc, error) {
	if doc, err, ok := r.docs.get(did, r.now()); ok {
		return doc, err
	}
	doc, err := r.fetchDoc(ctx, did)
	remember(r, r.docs, did, doc, err)
	return doc, err
}

// fetchDoc fetches and parses did's document, bypassing the cache.
func (r *Resolver) fetchDoc(ctx context.Context, did syntax.DID) (*Doc, error) {
	const op = "resolve did"
	u, err := r.docURL(did)
	if err != nil {
		return nil, err
	}
	b, err := r.fetch(ctx, r.docClient, u, "application/did+ld+json, application/json", MaxDocSize)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.KindOf(err), "%s: %w", did, err)
	}
	doc, err := ParseDoc(did, b)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.KindOf(err), "%w", err)
	}
	return doc, nil
}

// docURL returns where did's document is fetched from.
func (r *Resolver) docURL(did syntax.DID) (string, error) {
	const op = "resolve did"
	if _, err := syntax.ParseDID(string(did)); err != nil {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%w", err)
	}
	switch did.Method() {
	case "plc":
		if !isPLCIdentifier(did.Identifier()) {
			return "", rhizome.Errorf(op, rhizome.Invalid, "%s: not 24 base32 characters", did)
		}
		return r.plcURL + "/" + string(did), nil
	case "web":
		host, err := webHost(did, r.allowLocalhost)
		if err != nil {
			return "", err
		}
		return r.hostURL(host) + "/.well-known/did.json", nil
	}
	return "", rhizome.Errorf(op, rhizome.Invalid, "%s: unsupported DID method %q", did, did.Method())
}

// isPLCIdentifier reports whether id is 24 characters of lower-case
// base32 (a-z, 2-7).
func isPLCIdentifier(id string) bool {
	if len(id) != plcIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// webHost returns the host (and, for localhost, port) a did:web names.
// Only hostname-level did:web is supported: no paths. The host must be a
// valid hostname under an allowed TLD; "localhost", with an optional
// percent-encoded port, only if allowLocalhost is set.
func webHost(did syntax.DID, allowLocalhost bool) (string, error) {
	const op = "resolve did"
	id := did.Identifier()
	if strings.Contains(id, ":") {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%s: path-based did:web is not supported", did)
	}
	host, port, hasPort := cutFold(id, "%3a")
	if host == "localhost" {
		if !allowLocalhost {
			return "", rhizome.Errorf(op, rhizome.Invalid, "%s: did:web:localhost is for development only", did)
		}
		if !hasPort {
			return host, nil
		}
		if !validPort(port) {
			return "", rhizome.Errorf(op, rhizome.Invalid, "%s: bad port %q", did, port)
		}
		return host + ":" + port, nil
	}
	if hasPort {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%s: a port is only allowed for localhost", did)
	}
	h, err := syntax.ParseHandle(host)
	if err != nil {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%s: host: %w", did, err)
	}
	if !h.AllowedTLD() {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%s: reserved top-level domain", did)
	}
	return string(h.Normalize()), nil
}

// cutFold is strings.Cut with an ASCII case-insensitive separator.
func cutFold(s, sep string) (before, after string, found bool) {
	if i := strings.Index(strings.ToLower(s), sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// validPort reports whether p is a decimal port number 1 to 65535 with no
// sign or leading zero.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '0' && p[0] != '+'
}
