package main

import (
	"strings"
	"testing"
	"time"
)

func TestServeFlags_BackupSchedule(t *testing.T) {
	t.Setenv("RHIZOME_BACKUP_EVERY", "")
	base := []string{"--data", t.TempDir()}
	for _, c := range []struct {
		name string
		args []string
		want string // "" means accepted
	}{
		{"no schedule", nil, ""},
		{"whole schedule", []string{"--backup-every", "6h", "--backup-to", "/tmp/x", "--backup-passphrase-file", "/tmp/p"}, ""},
		{"no target", []string{"--backup-every", "6h", "--backup-passphrase-file", "/tmp/p"}, "need --backup-every, --backup-to and --backup-passphrase-file"},
		{"no passphrase", []string{"--backup-every", "6h", "--backup-to", "/tmp/x"}, "need --backup-every"},
		{"target without interval", []string{"--backup-to", "/tmp/x", "--backup-passphrase-file", "/tmp/p"}, "--backup-every"},
		{"not a duration", []string{"--backup-every", "daily", "--backup-to", "/tmp/x", "--backup-passphrase-file", "/tmp/p"}, "want a duration"},
		{"too often", []string{"--backup-every", "10ms", "--backup-to", "/tmp/x", "--backup-passphrase-file", "/tmp/p"}, "want a duration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := serveFlags(append(append([]string(nil), base...), c.args...))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			case c.want == "" && len(c.args) > 0 && cfg.backup.every != 6*time.Hour:
				t.Fatalf("schedule %+v", cfg.backup)
			}
		})
	}
}
