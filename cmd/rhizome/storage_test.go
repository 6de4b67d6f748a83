package main

import (
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/time/rate"
)

func TestParseDB(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		name, raw string
		kind      dbKind
		path      string
		err       string // part of the error; "" for none
	}{
		{"default is the data folder's", "", dbSQLite, filepath.Join(data, "rhizome.db"), ""},
		{"sqlite absolute", "sqlite:///var/lib/rhizome/pod.db", dbSQLite, "/var/lib/rhizome/pod.db", ""},
		{"sqlite cleaned", "sqlite:///var/lib//rhizome/../pod.db", dbSQLite, "/var/lib/pod.db", ""},
		{"postgres", "postgres://rhizome:secret@127.0.0.1:5432/pods?sslmode=disable", dbPostgres, "", ""},
		{"postgresql", "postgresql://127.0.0.1/pods", dbPostgres, "", ""},
		{"postgres by socket", "postgres:///pods?host=/var/run/postgresql", dbPostgres, "", ""},
		{"sqlite with a host", "sqlite://pod.db", 0, "", "three slashes"},
		{"sqlite relative", "sqlite:pod.db", 0, "", "three slashes"},
		{"sqlite root", "sqlite:///", 0, "", "no path"},
		{"sqlite with parameters", "sqlite:///pod.db?mode=ro", 0, "", "no parameters"},
		{"postgres without host", "postgres:///pods", 0, "", "no host"},
		{"other scheme", "mysql://127.0.0.1/pods", 0, "", `"mysql" is not supported`},
		{"bare path", "/var/lib/pod.db", 0, "", "not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseDB(c.raw, data)
			if !errLike(t, err, c.err) {
				return
			}
			if got.kind != c.kind || got.path != c.path || (c.kind == dbPostgres && got.raw != c.raw) {
				t.Fatalf("parseDB(%q) = %+v, want kind %d path %q", c.raw, got, c.kind, c.path)
			}
		})
	}
}

// errLike checks err against want (a part of the message, or "" for no
// error) and reports whether the caller should check the value.
func errLike(t *testing.T, err error, want string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one about %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q, want one about %q", err, want)
	}
	return want == ""
}

func TestDBURL_StringHidesPassword(t *testing.T) {
	d, err := parseDB("postgres://rhizome:hunter2@127.0.0.1/pods", "")
	if err != nil {
		t.Fatal(err)
	}
	if s := d.String(); strings.Contains(s, "hunter2") || !strings.Contains(s, "127.0.0.1") {
		t.Fatalf("String() = %q", s)
	}
}

func TestParseBlobs(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		name, raw string
		kind      blobsKind
		path      string
		bucket    string
		err       string
	}{
		{"default is the data folder's", "", blobsDisk, filepath.Join(data, "blobs"), "", ""},
		{"file", "file:///srv/blobs", blobsDisk, "/srv/blobs", "", ""},
		{"s3", "s3://pod-blobs?endpoint=http://127.0.0.1:9000&region=us-east-1", blobsS3, "", "pod-blobs", ""},
		{"file relative", "file://blobs", 0, "", "", "three slashes"},
		{"file with parameters", "file:///srv/blobs?x=1", 0, "", "", "no parameters"},
		{"s3 without endpoint", "s3://pod-blobs", 0, "", "", "endpoint"},
		{"s3 bad bucket", "s3://Pod_Blobs?endpoint=127.0.0.1:9000", 0, "", "", "--blobs"},
		{"s3 credentials in the URL", "s3://key:secret@pod-blobs?endpoint=127.0.0.1:9000", 0, "", "", "AWS_ACCESS_KEY_ID"},
		{"other scheme", "gs://pod-blobs", 0, "", "", `"gs" is not supported`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseBlobs(c.raw, data)
			if !errLike(t, err, c.err) {
				return
			}
			if got.kind != c.kind || got.path != c.path || got.s3.Bucket != c.bucket {
				t.Fatalf("parseBlobs(%q) = %+v, want kind %d path %q bucket %q", c.raw, got, c.kind, c.path, c.bucket)
			}
		})
	}
}

func TestParseRates(t *testing.T) {
	for _, c := range []struct {
		name, raw          string
		ip, writes         rate.Limit
		ipBurst, wrtsBurst int
		err                string
	}{
		{"rates keep the default bursts", "10,5", 10, 5, 500, 1000, ""},
		{"bursts", "10/20,0.5/30", 10, 0.5, 20, 30, ""},
		{"zero turns a limit off", "0,1/5", 0, 1, 500, 5, ""},
		{"one value", "10", 0, 0, 0, 0, "want on, off"},
		{"negative", "-1,5", 0, 0, 0, 0, "at least 0"},
		{"bad burst", "10/0,5", 0, 0, 0, 0, "burst"},
		{"words", "fast,slow", 0, 0, 0, 0, "not a number"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseRates(c.raw)
			if !errLike(t, err, c.err) {
				return
			}
			if got.PerIP != c.ip || got.Writes != c.writes || got.PerIPBurst != c.ipBurst || got.WritesBurst != c.wrtsBurst {
				t.Fatalf("parseRates(%q) = %+v", c.raw, got)
			}
		})
	}
}

func TestCopyFlags(t *testing.T) {
	const db, pg = "sqlite:///srv/pod/rhizome.db", "postgres://127.0.0.1/pods"
	const disk, s3 = "file:///srv/pod/blobs", "s3://pod-blobs?endpoint=127.0.0.1:9000"
	for _, c := range []struct {
		name string
		args []string
		err  string
	}{
		{"records only", []string{"--from", db, "--to", pg}, ""},
		{"records and blobs", []string{"--from", db, "--to", pg, "--blobs-from", disk, "--blobs-to", s3, "--json"}, ""},
		{"no target", []string{"--from", db}, "required"},
		{"one blob store", []string{"--from", db, "--to", pg, "--blobs-from", disk}, "both"},
		{"same store", []string{"--from", pg, "--to", pg}, "the same"},
		{"same blob store", []string{"--from", db, "--to", pg, "--blobs-from", s3, "--blobs-to", s3}, "the same"},
		{"bad target", []string{"--from", db, "--to", "mysql://x/y"}, "not supported"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := copyFlags(c.args)
			if !errLike(t, err, c.err) {
				return
			}
			if cfg.from.kind != dbSQLite || cfg.to.kind != dbPostgres {
				t.Fatalf("parsed %+v", cfg)
			}
		})
	}
}
