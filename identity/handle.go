package identity

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxWellKnownSize is the largest /.well-known/atproto-did body, in bytes,
// the resolver reads.
const MaxWellKnownSize = 2 << 10

// dnsPrefix names the TXT record of the DNS method; txtPrefix starts its
// value.
const (
	dnsPrefix = "_atproto."
	txtPrefix = "did="
)

// ResolveHandle returns the DID handle h points to, from the cache if it
// is there. It tries the DNS TXT record _atproto.<h> and
// https://<h>/.well-known/atproto-did in parallel; a DNS answer is
// preferred (see Config.RejectHandleConflicts). The result is one
// direction only: use VerifyHandle or ResolveIdentity to check that the
// DID's document claims h back.
//
// Errors have these kinds: Invalid for a malformed handle or one under a
// reserved TLD; Conflict if DNS names more than one DID (or, with
// RejectHandleConflicts, the methods disagree); Unavailable if neither
// method answered and one failed in a way worth retrying; NotFound
// otherwise.
func (r *Resolver) ResolveHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	h, err := resolvableHandle(h)
	if err != nil {
		return "", err
	}
	if did, err, ok := r.handles.get(h, r.now()); ok {
		return did, err
	}
	did, err := r.lookupHandle(ctx, h)
	remember(r, r.handles, h, did, err)
	return did, err
}

// resolvableHandle checks h and returns it normalised.
func resolvableHandle(h syntax.Handle) (syntax.Handle, error) {
	const op = "resolve handle"
	if _, err := syntax.ParseHandle(string(h)); err != nil {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%w", err)
	}
	if !h.AllowedTLD() {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%s: reserved top-level domain", h)
	}
	return h.Normalize(), nil
}

// lookup is the outcome of one resolution method.
type lookup struct {
	did syntax.DID
	err error
}

// lookupHandle runs both methods and combines their answers.
func (r *Resolver) lookupHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dnsCh, webCh := make(chan lookup, 1), make(chan lookup, 1)
	go func() { d, err := r.lookupDNS(ctx, h); dnsCh <- lookup{d, err} }()
	go func() { d, err := r.lookupWellKnown(ctx, h); webCh <- lookup{d, err} }()
	dns := <-dnsCh
	if rhizome.Is(dns.err, rhizome.Conflict) || (dns.err == nil && !r.rejectConflicts) {
		return dns.did, dns.err
	}
	return combine(h, dns, <-webCh)
}

// combine picks the answer of a handle resolution from the DNS and HTTPS
// outcomes.
func combine(h syntax.Handle, dns, web lookup) (syntax.DID, error) {
	const op = "resolve handle"
	switch {
	case dns.err == nil && web.err == nil && dns.did != web.did:
		return "", rhizome.Errorf(op, rhizome.Conflict, "%s: DNS names %s but HTTPS names %s", h, dns.did, web.did)
	case dns.err == nil:
		return dns.did, nil
	case web.err == nil:
		return web.did, nil
	}
	kind := rhizome.NotFound
	if rhizome.Is(dns.err, rhizome.Unavailable) || rhizome.Is(web.err, rhizome.Unavailable) {
		kind = rhizome.Unavailable
	}
	return "", rhizome.Errorf(op, kind, "%s: %w", h, errors.Join(dns.err, web.err))
}

// lookupDNS reads the DID from the _atproto TXT record of h. The name is
// fully qualified (it ends in a dot) so that a failed lookup is not retried
// under the machine's DNS search domains.
func (r *Resolver) lookupDNS(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	const op = "resolve handle via dns"
	name := dnsPrefix + string(h)
	if len(name) > syntax.MaxHandleLen {
		return "", rhizome.Errorf(op, rhizome.NotFound, "%s is too long for DNS", name)
	}
	name += "."
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	records, err := r.lookupTXT(ctx, name)
	if err != nil {
		return "", rhizome.E(op, dnsErrorKind(err), err)
	}
	return didFromTXT(op, name, records)
}

// dnsErrorKind is NotFound for a name with no records, and Unavailable
// for every other failure (timeouts, server failures).
func dnsErrorKind(err error) rhizome.Kind {
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return rhizome.NotFound
	}
	return rhizome.Unavailable
}

// didFromTXT picks the DID out of TXT records: values not starting with
// "did=" are ignored, and records naming different DIDs are a Conflict.
func didFromTXT(op, name string, records []string) (syntax.DID, error) {
	var found syntax.DID
	var bad error
	for _, rec := range records {
		v, ok := strings.CutPrefix(rec, txtPrefix)
		if !ok {
			continue
		}
		did, err := syntax.ParseDID(strings.TrimSpace(v))
		switch {
		case err != nil:
			bad = err
		case found != "" && did != found:
			return "", rhizome.Errorf(op, rhizome.Conflict, "%s: records name both %s and %s", name, found, did)
		default:
			found = did
		}
	}
	if found == "" && bad != nil {
		return "", rhizome.Errorf(op, rhizome.NotFound, "%s: %w", name, bad)
	}
	if found == "" {
		return "", rhizome.Errorf(op, rhizome.NotFound, "%s: no %q record", name, txtPrefix)
	}
	return found, nil
}

// lookupWellKnown reads the DID from https://<h>/.well-known/atproto-did.
func (r *Resolver) lookupWellKnown(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	const op = "resolve handle via https"
	b, err := r.fetch(ctx, r.webClient, r.hostURL(string(h))+"/.well-known/atproto-did", "text/plain", MaxWellKnownSize)
	if err != nil {
		return "", rhizome.Errorf(op, rhizome.KindOf(err), "%s: %w", h, err)
	}
	did, err := syntax.ParseDID(strings.TrimSpace(string(b)))
	if err != nil {
		return "", rhizome.Errorf(op, rhizome.NotFound, "%s: %w", h, err)
	}
	return did, nil
}
