package syntax

import (
	"regexp"
	"testing"
)

// Reference regular expressions transcribed from the syntax sections of the
// atproto specs, used only in tests as an oracle for the hand-written
// scanners. Length limits are checked separately, as the specs state them.
var (
	didOracle    = regexp.MustCompile(`^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$`)
	handleOracle = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)
	nsidOracle   = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+\.[a-zA-Z][a-zA-Z0-9]{0,62}$`)
)

func oracleDID(s string) bool    { return len(s) <= MaxDIDLen && didOracle.MatchString(s) }
func oracleHandle(s string) bool { return len(s) <= MaxHandleLen && handleOracle.MatchString(s) }
func oracleNSID(s string) bool   { return len(s) <= MaxNSIDLen && nsidOracle.MatchString(s) }

// agree fails t if the parser and the oracle disagree about s.
func agree(t *testing.T, what, s string, parsed, oracle bool) {
	t.Helper()
	if parsed != oracle {
		t.Fatalf("%s %q: parser says %v, spec regexp says %v", what, clip(s), parsed, oracle)
	}
}

func TestParsers_AgreeWithSpecRegexps(t *testing.T) {
	files := map[string]func(*testing.T, string){
		"did": func(t *testing.T, s string) { _, err := ParseDID(s); agree(t, "did", s, err == nil, oracleDID(s)) },
		"handle": func(t *testing.T, s string) {
			_, err := ParseHandle(s)
			agree(t, "handle", s, err == nil, oracleHandle(s))
		},
		"nsid": func(t *testing.T, s string) { _, err := ParseNSID(s); agree(t, "nsid", s, err == nil, oracleNSID(s)) },
	}
	for kind, check := range files {
		t.Run(kind, func(t *testing.T) {
			for _, suffix := range []string{"_syntax_valid.txt", "_syntax_invalid.txt"} {
				for _, line := range vectorLines(t, kind+suffix) {
					check(t, line)
				}
			}
		})
	}
}
