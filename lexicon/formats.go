package lexicon

import "github.com/rhizome-pds/rhizome/syntax"

// formats maps each Lexicon string format to its check. The parsers of
// package syntax accept the most expansive syntax of each identifier, as
// the specification asks of Lexicon validation: any DID method, any
// handle TLD, any URI scheme.
var formats = map[string]func(string) error{
	"at-identifier": check(syntax.ParseAtIdentifier),
	"at-uri":        check(syntax.ParseATURI),
	"cid":           check(syntax.ParseCIDString),
	"datetime":      check(syntax.ParseDatetime),
	"did":           check(syntax.ParseDID),
	"handle":        check(syntax.ParseHandle),
	"language":      check(syntax.ParseLanguage),
	"nsid":          check(syntax.ParseNSID),
	"record-key":    check(syntax.ParseRecordKey),
	"tid":           check(syntax.ParseTID),
	"uri":           check(syntax.ParseURI),
}

// check adapts a parser to a format check.
func check[T any](parse func(string) (T, error)) func(string) error {
	return func(s string) error {
		_, err := parse(s)
		return err
	}
}
