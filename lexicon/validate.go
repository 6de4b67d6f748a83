package lexicon

import (
	"fmt"
	"strings"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// schema is a parsed schema definition that can check a data value.
// depth counts the containers and references entered so far.
type schema interface {
	validate(v any, c *Catalog, depth int) error
}

// maxDepth bounds how deeply validation descends through containers and
// references: data nests at most data.MaxDepth deep, and each level may
// pass through a reference as well as a container.
const maxDepth = 512

// enter checks depth before a container or reference is entered.
func enter(depth int) error {
	if depth >= maxDepth {
		return invalidf("value nests more than %d deep", maxDepth)
	}
	return nil
}

// ValidateRecord checks record against the record schema of collection.
// A collection with no schema in c gives an error of kind rhizome.NotFound
// wrapping ErrUnknownSchema; an invalid record, an error of kind
// rhizome.Invalid naming the failing place ("record/text: ...").
func (c *Catalog) ValidateRecord(collection syntax.NSID, record map[string]any) error {
	const op = "validate record"
	c.mu.RLock()
	defer c.mu.RUnlock()
	rec, err := c.recordSchema(op, collection)
	if err != nil {
		return err
	}
	if err := rec.validate(record, c, 0); err != nil {
		return rhizome.E(op, rhizome.Invalid, rooted("record", err))
	}
	return nil
}

// ValidateRecordKey checks rkey against the key type of collection's
// record schema: a TID, an NSID, the one literal key, or any record key.
// Errors are as for ValidateRecord.
func (c *Catalog) ValidateRecordKey(collection syntax.NSID, rkey syntax.RecordKey) error {
	const op = "validate record key"
	c.mu.RLock()
	defer c.mu.RUnlock()
	rec, err := c.recordSchema(op, collection)
	if err != nil {
		return err
	}
	if err := checkRecordKey(rec.key, string(rkey)); err != nil {
		return rhizome.Errorf(op, rhizome.Invalid, "%s: %w", collection, err)
	}
	return nil
}

// recordSchema finds the record schema of collection. The caller holds
// c.mu.
func (c *Catalog) recordSchema(op string, collection syntax.NSID) (*recordSchema, error) {
	_, rec := c.recordDef(collection)
	switch {
	case c.docs[collection] == nil:
		return nil, &rhizome.Error{Op: op, Kind: rhizome.NotFound,
			Err: fmt.Errorf("%s: %w", collection, ErrUnknownSchema)}
	case rec == nil:
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s is not a record type", collection)
	}
	return rec, nil
}

// checkRecordKey checks a record key against a key type of a record
// schema.
func checkRecordKey(keyType, rkey string) error {
	var err error
	switch keyType {
	case "tid":
		_, err = syntax.ParseTID(rkey)
	case "nsid":
		_, err = syntax.ParseNSID(rkey)
	case "any":
		_, err = syntax.ParseRecordKey(rkey)
	default:
		if lit := strings.TrimPrefix(keyType, "literal:"); rkey != lit {
			return fmt.Errorf("record key must be %q, not %q", lit, rkey)
		}
	}
	if err != nil {
		return fmt.Errorf("record key must be a valid %s: %s", keyType, syntaxReason(err))
	}
	return nil
}
