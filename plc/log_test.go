package plc

import (
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

const auditFixtures = "../../shared/testdata/plc/audit_log"

// fixtureFiles lists the JSON files of a fixture directory, failing the
// test if there are none.
func fixtureFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(auditFixtures, dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audit log fixtures in %s/%s (err %v)", auditFixtures, dir, err)
	}
	return files
}

func loadAuditLog(t *testing.T, path string) []LogEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ParseAuditLog(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return entries
}

func TestVerifyLog_ValidFixtures(t *testing.T) {
	files := fixtureFiles(t, "valid")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			entries := loadAuditLog(t, f)
			head, err := VerifyLog(entries[0].DID, entries)
			if err != nil {
				t.Fatalf("valid log rejected: %v", err)
			}
			last := entries[len(entries)-1]
			for i := len(entries) - 1; last.Nullified; i-- {
				last = entries[i]
			}
			if id, _ := head.CID(); id != last.CID {
				t.Errorf("head %s, want %s", id, last.CID)
			}
		})
	}
	t.Logf("valid audit-log fixtures accepted: %d", len(files))
}

func TestVerifyLog_InvalidFixtures(t *testing.T) {
	files := fixtureFiles(t, "invalid")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Some invalid logs fail while parsing (a malformed signature
			// string is still a string, so most reach VerifyLog).
			entries, err := ParseAuditLog(b)
			if err == nil {
				_, err = VerifyLog(entries[0].DID, entries)
			}
			if err == nil {
				t.Fatal("invalid log accepted")
			}
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("error kind %v, want invalid: %v", rhizome.KindOf(err), err)
			}
			t.Logf("rejected: %v", err)
		})
	}
	t.Logf("invalid audit-log fixtures rejected: %d", len(files))
}

// TestVerifyLog_Tampered changes valid fixtures in ways the rules must
// catch.
func TestVerifyLog_Tampered(t *testing.T) {
	path := filepath.Join(auditFixtures, "valid", "log_nullification.json")
	cases := []struct {
		name   string
		tamper func([]LogEntry) []LogEntry
	}{
		{"flip nullified", func(e []LogEntry) []LogEntry { e[1].Nullified = false; return e }},
		{"nullify head", func(e []LogEntry) []LogEntry { e[2].Nullified = true; return e }},
		{"wrong did", func(e []LogEntry) []LogEntry { e[1].DID = "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"; return e }},
		{"wrong cid", func(e []LogEntry) []LogEntry { e[1].CID = e[2].CID; return e }},
		{"reordered", func(e []LogEntry) []LogEntry { e[1], e[2] = e[2], e[1]; return e }},
		{"genesis missing", func(e []LogEntry) []LogEntry { return e[1:] }},
		{"empty", func(e []LogEntry) []LogEntry { return nil }},
		{"duplicate", func(e []LogEntry) []LogEntry { return append(e, e[2]) }},
		{"same timestamp", func(e []LogEntry) []LogEntry { e[2].CreatedAt = e[1].CreatedAt; return e }},
		{"too late", func(e []LogEntry) []LogEntry {
			e[2].CreatedAt = e[1].CreatedAt.Add(RecoveryWindow + time.Millisecond)
			return e
		}},
		{"signature changed", func(e []LogEntry) []LogEntry {
			op := e[2].Operation.Clone()
			op.AlsoKnownAs = []string{"at://bar"}
			e[2].Operation, e[2].CID = op, mustCID(t, op)
			return e
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			entries := tc.tamper(loadAuditLog(t, path))
			did := loadAuditLog(t, path)[0].DID
			if _, err := VerifyLog(did, entries); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("tampered log: err %v, want invalid", err)
			}
		})
	}
	t.Run("exactly 72h still accepted", func(t *testing.T) {
		entries := loadAuditLog(t, path)
		entries[2].CreatedAt = entries[1].CreatedAt.Add(RecoveryWindow)
		if _, err := VerifyLog(entries[0].DID, entries); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLogEntry_JSONRoundTrip(t *testing.T) {
	for _, f := range fixtureFiles(t, "valid") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			entries := loadAuditLog(t, f)
			b, err := json.Marshal(entries)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseAuditLog(b)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyLog(again[0].DID, again); err != nil {
				t.Fatalf("re-encoded log rejected: %v", err)
			}
			for i := range entries {
				if !again[i].CreatedAt.Equal(entries[i].CreatedAt) || again[i].CID != entries[i].CID {
					t.Errorf("entry %d changed in the round trip", i)
				}
			}
		})
	}
}

// TestVerifySignature_InvalidFixtureCauses shows each malformed-signature
// fixture is refused for the reason it is named after: the repaired
// signature (low-S twin, canonical base64url) verifies.
func TestVerifySignature_InvalidFixtureCauses(t *testing.T) {
	cases := []struct {
		file   string
		repair func(string) string
	}{
		{"log_invalid_sig_b64_newline.json", func(s string) string { return strings.TrimRight(s, "\n") }},
		{"log_invalid_sig_b64_padding_chars.json", func(s string) string { return strings.TrimRight(s, "=") }},
		{"log_invalid_sig_b64_padding_bits.json", func(s string) string {
			b, err := base64.RawURLEncoding.DecodeString(s)
			if err != nil {
				t.Fatal(err)
			}
			return base64.RawURLEncoding.EncodeToString(b)
		}},
		{"log_invalid_sig_p256_high_s.json", func(s string) string { return lowS(t, s, elliptic.P256().Params().N) }},
		{"log_invalid_sig_k256_high_s.json", func(s string) string { return lowS(t, s, secp256k1N) }},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			e := loadAuditLog(t, filepath.Join(auditFixtures, "invalid", tc.file))[0]
			op := e.Operation
			if _, err := VerifySignature(op, op.RotationKeys); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("bad signature: err %v, want invalid", err)
			}
			fixed := op.Clone()
			fixed.Sig = tc.repair(op.Sig)
			if fixed.Sig == op.Sig {
				t.Fatal("repair changed nothing")
			}
			if _, err := VerifySignature(fixed, op.RotationKeys); err != nil {
				t.Fatalf("repaired signature rejected: %v", err)
			}
		})
	}
}

var secp256k1N, _ = new(big.Int).SetString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16)

// lowS returns the low-S twin of a base64url r||s signature.
func lowS(t *testing.T, sig string, n *big.Int) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(b) != 64 {
		t.Fatalf("signature %q: %v", sig, err)
	}
	s := new(big.Int).SetBytes(b[32:])
	if s.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
		t.Fatal("signature is already low-S")
	}
	s.Sub(n, s).FillBytes(b[32:])
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestParseAuditLog_Rejects(t *testing.T) {
	const op = `{"type":"plc_tombstone","prev":"bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga","sig":"x"}`
	const cidOK = `"bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga"`
	entry := func(did, c, at, o string) string {
		return `[{"did":` + did + `,"operation":` + o + `,"cid":` + c + `,"nullified":false,"createdAt":` + at + `}]`
	}
	good := entry(`"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, cidOK, `"2024-01-01T00:00:00.000Z"`, op)
	if _, err := ParseAuditLog([]byte(good)); err != nil {
		t.Fatalf("well-formed entry refused: %v", err)
	}
	cases := map[string]string{
		"not a list":   `{}`,
		"bad did":      entry(`"plc:x"`, cidOK, `"2024-01-01T00:00:00.000Z"`, op),
		"bad cid":      entry(`"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, `"Qm"`, `"2024-01-01T00:00:00.000Z"`, op),
		"bad time":     entry(`"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, cidOK, `"yesterday"`, op),
		"bad op":       entry(`"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, cidOK, `"2024-01-01T00:00:00.000Z"`, `{"type":"x"}`),
		"missing op":   entry(`"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, cidOK, `"2024-01-01T00:00:00.000Z"`, `null`),
		"time numeric": entry(`"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, cidOK, `0`, op),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseAuditLog([]byte(in)); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("err %v, want invalid", err)
			}
		})
	}
}
