package identity

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxLexiconSize bounds a published lexicon record.
const MaxLexiconSize = 256 << 10

// lexiconCollection holds published lexicons, one record per NSID.
const lexiconCollection = "com.atproto.lexicon.schema"

// LexiconAuthority finds the DID that publishes the lexicons of nsid's
// authority: the TXT record _lexicon.<authority, reversed> ("did=...").
// app.example.todo.basePermissions is looked up at
// _lexicon.todo.example.app.
func (r *Resolver) LexiconAuthority(ctx context.Context, nsid syntax.NSID) (syntax.DID, error) {
	const op = "resolve lexicon authority"
	parts := strings.Split(string(nsid), ".")
	if len(parts) < 3 {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%q is not an NSID", nsid)
	}
	domain := parts[:len(parts)-1]
	slices.Reverse(domain)
	name := "_lexicon." + strings.ToLower(strings.Join(domain, ".")) + "."
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	records, err := r.lookupTXT(ctx, name)
	if err != nil {
		return "", rhizome.E(op, dnsErrorKind(err), err)
	}
	return didFromTXT(op, name, records)
}

// FetchLexicon returns the published schema document of nsid (the
// record's value, as JSON): its authority's DID, that DID's PDS, and the
// com.atproto.lexicon.schema record named by the NSID, fetched through the
// resolver's guarded client with a size limit.
func (r *Resolver) FetchLexicon(ctx context.Context, nsid syntax.NSID) ([]byte, error) {
	const op = "fetch lexicon"
	did, err := r.LexiconAuthority(ctx, nsid)
	if err != nil {
		return nil, err
	}
	doc, err := r.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	pds, ok := doc.ServiceEndpoint("#atproto_pds", "AtprotoPersonalDataServer")
	if !ok {
		return nil, rhizome.Errorf(op, rhizome.NotFound, "%s publishing %s names no PDS", did, nsid)
	}
	q := url.Values{"repo": {string(did)}, "collection": {lexiconCollection}, "rkey": {string(nsid)}}
	b, err := r.fetch(ctx, r.docClient, strings.TrimRight(pds, "/")+"/xrpc/com.atproto.repo.getRecord?"+q.Encode(), "application/json", MaxLexiconSize)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.KindOf(err), "%s: %w", nsid, err)
	}
	var rec struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || len(rec.Value) == 0 {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s: the record is not a lexicon record", nsid)
	}
	return rec.Value, nil
}
