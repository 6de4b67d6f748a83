// Package lexicon holds the Lexicon schemas the pod knows and validates
// records against them with the protocol's semantics.
//
// A [Catalog] is a set of Lexicon documents (atproto.com/specs/lexicon,
// version 1). [Embedded] returns the catalog of the com.atproto and
// app.bsky schemas compiled into the binary (the schemas directory, taken
// from the reference repository named in schemas/SOURCE); [NewCatalog]
// starts an empty one and [Catalog.Add] parses and checks one more
// document. Adding a document checks its shape: lexicon version 1, an NSID
// id, at least one definition, primary types (record, query, procedure,
// subscription, permission-set) only under the name main, no ref, union,
// unknown, params or permission as a named definition, known string
// formats, sane length bounds, well-formed refs. References between
// documents are resolved when data is validated, so documents may be added
// in any order.
//
// # Validating records
//
// [Catalog.ValidateRecord] checks a record, given as a generic value of
// package data (map[string]any, []any, int64, string, []byte, cid.CID,
// bool, nil; blobs as blob maps, legacy blob maps or data.Blob), against
// the record definition of its collection:
//
//   - the record's $type must equal the collection;
//   - required properties must be present; null is allowed only for
//     properties listed as nullable; properties the schema does not name
//     are ignored, as the specification asks;
//   - string maxLength and minLength count UTF-8 bytes, maxGraphemes and
//     minGraphemes count extended grapheme clusters; enum and const are
//     enforced, knownValues are not; formats use the parsers of package
//     syntax, which follow the specification's most permissive syntax;
//   - a union member must be a map with a $type; a $type the union lists
//     is validated against that definition, an unlisted one is an error
//     in a closed union and accepted as is in an open one;
//   - unknown accepts any map that is not a blob; a token is never a data
//     value; default values are not filled in (records are stored as
//     given, so their CIDs do not change).
//
// An error is a *rhizome.Error of kind rhizome.Invalid whose message names
// the place that failed, such as "record/embed/images/0/alt: ...". A
// collection the catalog has no schema for gives an error of kind
// rhizome.NotFound that wraps [ErrUnknownSchema]: a pod rejects such a
// record when validation was requested and accepts it, with validation
// status "unknown", when it was not. A collection whose document the
// catalog holds but whose main definition is not a record is Invalid.
// [Catalog.ValidateRecordKey] checks a record key against the key type of
// the collection (tid, nsid, literal:<key> or any).
//
// Blobs are accepted in the three forms package data reads: a blob map, a
// data.Blob, and a legacy blob ({"cid", "mimeType"}), whose size is
// unknown and so never exceeds maxSize. A union member's $type must name a
// main definition by its bare NSID: "nsid#main" is refused, as the
// specification says.
//
// [Graphemes] is the grapheme-cluster counter behind maxGraphemes and
// minGraphemes.
//
// A Catalog is safe for concurrent use.
package lexicon
