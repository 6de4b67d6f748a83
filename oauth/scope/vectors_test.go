package scope

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

// vectorDir holds indigo's OAuth scope vectors. A missing directory or
// file fails the tests, never skips them.
func vectorDir() string {
	if d := os.Getenv("RHIZOME_INDIGO_AUTH"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "testdata", "indigo-auth")
}

func readVector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir(), name))
	if err != nil {
		t.Fatalf("vector file missing: %v", err)
	}
	return b
}

// vectorLines returns the lines of a vector file that are neither empty
// nor "#" comments, exactly as written.
func vectorLines(t *testing.T, name string) []string {
	t.Helper()
	var lines []string
	for line := range strings.SplitSeq(string(readVector(t, name)), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	if len(lines) < 5 {
		t.Fatalf("vector file %s has only %d test lines", name, len(lines))
	}
	return lines
}

func TestVectors_GenericValid(t *testing.T) {
	var cases []struct {
		Scope   string `json:"scope"`
		Generic struct {
			Resource   string              `json:"resource"`
			Positional string              `json:"positional"`
			Params     map[string][]string `json:"params"`
		} `json:"generic"`
	}
	if err := json.Unmarshal(readVector(t, "generic_scopes_valid.json"), &cases); err != nil {
		t.Fatalf("decode vectors: %v", err)
	}
	if len(cases) < 10 {
		t.Fatalf("only %d generic vectors", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Scope, func(t *testing.T) {
			g, err := ParseGeneric(c.Scope)
			if err != nil {
				t.Fatalf("ParseGeneric: %v", err)
			}
			want := c.Generic
			if g.Resource != want.Resource || g.Positional != want.Positional {
				t.Errorf("got %q / %q, want %q / %q", g.Resource, g.Positional, want.Resource, want.Positional)
			}
			if len(g.Params) != len(want.Params) || (len(want.Params) > 0 && !reflect.DeepEqual(map[string][]string(g.Params), want.Params)) {
				t.Errorf("params %v, want %v", g.Params, want.Params)
			}
		})
	}
}

func TestVectors_GenericInvalid(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(string(readVector(t, "generic_scopes_invalid.txt"))), "\n")
	if len(lines) < 2 {
		t.Fatalf("only %d invalid generic vectors", len(lines))
	}
	for _, line := range lines {
		t.Run(line, func(t *testing.T) {
			if _, err := ParseGeneric(line); !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("ParseGeneric(%q) = %v, want an Invalid error", line, err)
			}
			if _, err := Parse(line); err == nil {
				t.Errorf("Parse(%q) succeeded", line)
			}
		})
	}
}

func TestVectors_PermissionValid(t *testing.T) {
	for _, line := range vectorLines(t, "permission_scopes_valid.txt") {
		t.Run(line, func(t *testing.T) {
			sc, err := Parse(line)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			canon := sc.String()
			again, err := Parse(canon)
			if err != nil {
				t.Fatalf("canonical form %q does not parse: %v", canon, err)
			}
			if !reflect.DeepEqual(again, sc) || again.String() != canon {
				t.Errorf("%q → %q → %#v, want %#v", line, canon, again, sc)
			}
		})
	}
}

func TestVectors_PermissionInvalid(t *testing.T) {
	for _, line := range vectorLines(t, "permission_scopes_invalid.txt") {
		t.Run(line, func(t *testing.T) {
			sc, err := Parse(line)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", line, sc)
			}
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("error %v is not of kind Invalid", err)
			}
		})
	}
}
