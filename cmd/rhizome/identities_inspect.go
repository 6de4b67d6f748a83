package main

import (
	"context"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// plcAuditLog is the audit log reader both plc.Directory and plc.Client
// provide.
type plcAuditLog interface {
	AuditLog(ctx context.Context, did syntax.DID) ([]plc.LogEntry, error)
}

// InspectDID implements pds.DIDInspector: a did:plc's state comes from its
// directory's audit log, verified against the did:plc rules; a did:web's
// from its document, fetched afresh.
func (ids *identities) InspectDID(ctx context.Context, did syntax.DID) (pds.DIDState, error) {
	if strings.HasPrefix(string(did), "did:plc:") {
		return ids.inspectPLC(ctx, did)
	}
	ids.resolver.Purge(syntax.AtIdentifier(did))
	doc, err := ids.resolver.ResolveDID(ctx, did)
	if err != nil {
		return pds.DIDState{}, err
	}
	return pds.DIDState{SigningKey: doc.SigningKey, PDS: doc.PDS}, nil
}

func (ids *identities) inspectPLC(ctx context.Context, did syntax.DID) (pds.DIDState, error) {
	const op = "inspect did"
	al, ok := ids.dir.(plcAuditLog)
	if !ok {
		return pds.DIDState{}, rhizome.E(op, rhizome.Invalid, "the PLC directory cannot serve audit logs")
	}
	entries, err := al.AuditLog(ctx, did)
	if err != nil {
		return pds.DIDState{}, err
	}
	head, err := plc.VerifyLog(did, entries)
	if err != nil {
		return pds.DIDState{}, rhizome.Errorf(op, rhizome.Corrupt, "the directory's log of %s breaks the rules: %w", did, err)
	}
	data, err := plc.DataFor(did, head)
	if err != nil {
		return pds.DIDState{}, err
	}
	st := pds.DIDState{PastSigningKeys: pastSigningKeys(entries)}
	st.SigningKey, _ = data.SigningKey()
	st.PDS, _ = data.PDS()
	st.PDS = strings.TrimSuffix(st.PDS, "/")
	for _, k := range data.RotationKeys {
		if pub, err := keys.ParsePublicDIDKey(k); err == nil {
			st.RotationKeys = append(st.RotationKeys, pub)
		}
	}
	// The state changed under the resolver's cache, perhaps.
	ids.resolver.Purge(syntax.AtIdentifier(did))
	return st, nil
}

// pastSigningKeys lists the #atproto keys of a log's operations that are
// not nullified, newest first, each once.
func pastSigningKeys(entries []plc.LogEntry) []keys.PublicKey {
	var out []keys.PublicKey
	seen := map[string]bool{}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Nullified {
			continue
		}
		d, err := plc.DataFor(e.DID, e.Operation)
		if err != nil {
			continue
		}
		if k, err := d.SigningKey(); err == nil && !seen[k.DIDKey()] {
			seen[k.DIDKey()] = true
			out = append(out, k)
		}
	}
	return out
}
