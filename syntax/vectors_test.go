package syntax

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

// vectorDir holds the atproto interop syntax vectors. RHIZOME_INTEROP_SYNTAX
// overrides it; a missing directory or file fails the tests, never skips.
func vectorDir() string {
	if d := os.Getenv("RHIZOME_INTEROP_SYNTAX"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "testdata", "atproto-interop", "syntax")
}

// vectorLines returns the test lines of a vector file: every line that is
// neither empty nor a "#" comment, exactly as written (only the newline is
// removed: leading and trailing spaces are part of the vector).
func vectorLines(tb testing.TB, name string) []string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(vectorDir(), name))
	if err != nil {
		tb.Fatalf("vector file missing: %v", err)
	}
	var lines []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		tb.Fatalf("vector file %s has no test lines", name)
	}
	return lines
}

// parser adapts each ParseX to one shape; on success it returns the parsed
// value's String().
type parser func(string) (string, error)

func adapt[T ~string](parse func(string) (T, error)) parser {
	return func(s string) (string, error) {
		v, err := parse(s)
		return string(v), err
	}
}

var (
	parseAtIdentifier = adapt(ParseAtIdentifier)
	parseATURI        = adapt(ParseATURI)
	parseCIDString    = adapt(ParseCIDString)
	parseDatetime_    = adapt(ParseDatetime)
	parseDID          = adapt(ParseDID)
	parseHandle       = adapt(ParseHandle)
	parseLanguage     = adapt(ParseLanguage)
	parseNSID         = adapt(ParseNSID)
	parseRecordKey    = adapt(ParseRecordKey)
	parseTID          = adapt(ParseTID)
	parseURI          = adapt(ParseURI)
)

// vectorFiles maps every vector file to its parser and to whether its lines
// must parse. "*_parse_invalid" files hold inputs that are well-formed on the
// surface but invalid on closer reading; the strict parsers reject them too.
var vectorFiles = map[string]struct {
	parse parser
	valid bool
}{
	"atidentifier_syntax_valid.txt":   {parseAtIdentifier, true},
	"atidentifier_syntax_invalid.txt": {parseAtIdentifier, false},
	"aturi_syntax_valid.txt":          {parseATURI, true},
	"aturi_syntax_invalid.txt":        {parseATURI, false},
	"cid_syntax_valid.txt":            {parseCIDString, true},
	"cid_syntax_invalid.txt":          {parseCIDString, false},
	"datetime_syntax_valid.txt":       {parseDatetime_, true},
	"datetime_syntax_invalid.txt":     {parseDatetime_, false},
	"datetime_parse_invalid.txt":      {parseDatetime_, false},
	"did_syntax_valid.txt":            {parseDID, true},
	"did_syntax_invalid.txt":          {parseDID, false},
	"handle_syntax_valid.txt":         {parseHandle, true},
	"handle_syntax_invalid.txt":       {parseHandle, false},
	"language_syntax_valid.txt":       {parseLanguage, true},
	"language_syntax_invalid.txt":     {parseLanguage, false},
	"language_parse_invalid.txt":      {parseLanguage, false},
	"nsid_syntax_valid.txt":           {parseNSID, true},
	"nsid_syntax_invalid.txt":         {parseNSID, false},
	"recordkey_syntax_valid.txt":      {parseRecordKey, true},
	"recordkey_syntax_invalid.txt":    {parseRecordKey, false},
	"tid_syntax_valid.txt":            {parseTID, true},
	"tid_syntax_invalid.txt":          {parseTID, false},
	"uri_syntax_valid.txt":            {parseURI, true},
	"uri_syntax_invalid.txt":          {parseURI, false},
}

func TestInteropVectors_AllFilesMapped(t *testing.T) {
	entries, err := os.ReadDir(vectorDir())
	if err != nil {
		t.Fatalf("vector directory missing: %v", err)
	}
	var seen []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".txt") {
			t.Errorf("unexpected non-vector file %s", name)
			continue
		}
		seen = append(seen, name)
		if _, ok := vectorFiles[name]; !ok {
			t.Errorf("vector file %s is not mapped to a parser", name)
		}
	}
	for name := range vectorFiles {
		if !slices.Contains(seen, name) {
			t.Errorf("mapped vector file %s is missing", name)
		}
	}
}

func TestInteropVectors_Parse(t *testing.T) {
	names := make([]string, 0, len(vectorFiles))
	for name := range vectorFiles {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		vf := vectorFiles[name]
		t.Run(strings.TrimSuffix(name, ".txt"), func(t *testing.T) {
			for _, line := range vectorLines(t, name) {
				checkVector(t, vf.parse, line, vf.valid)
			}
		})
	}
}

// checkVector asserts that line parses (and round-trips) or is rejected
// with an Invalid error.
func checkVector(t *testing.T, parse parser, line string, valid bool) {
	t.Helper()
	got, err := parse(line)
	switch {
	case valid && err != nil:
		t.Errorf("%q: want valid, got %v", clip(line), err)
	case valid && got != line:
		t.Errorf("%q: String() = %q", clip(line), clip(got))
	case !valid && err == nil:
		t.Errorf("%q: want rejected, got accepted", clip(line))
	case !valid && !rhizome.Is(err, rhizome.Invalid):
		t.Errorf("%q: error %v has kind %v, want invalid", clip(line), err, rhizome.KindOf(err))
	}
}
