package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/blobstore"
	"github.com/rhizome-pds/rhizome/blobstore/disk"
	"github.com/rhizome-pds/rhizome/blobstore/s3"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/postgres"
	"github.com/rhizome-pds/rhizome/store/sqlite"
)

// Where a pod keeps its data: --db names the record store, --blobs the
// blob store. Both are URLs, parsed here into typed values; main is the
// only place that knows the concrete stores.

// dbKind is the engine a --db URL names.
type dbKind int

const (
	dbSQLite dbKind = iota + 1
	dbPostgres
)

// dbURL is a parsed --db value.
type dbURL struct {
	kind dbKind
	path string // sqlite: the database file, absolute
	raw  string // postgres: the URL, for postgres.Open
}

// blobsKind is the engine a --blobs URL names.
type blobsKind int

const (
	blobsDisk blobsKind = iota + 1
	blobsS3
)

// blobsURL is a parsed --blobs value.
type blobsURL struct {
	kind blobsKind
	path string    // disk: the folder, absolute
	s3   s3.Config // s3: the checked bucket settings
	raw  string    // s3: the URL, for s3.Open
}

// The forms the flags take, for error messages and help.
const (
	dbForms    = "sqlite:///ABSOLUTE/PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
	blobsForms = "file:///ABSOLUTE/PATH or s3://BUCKET?endpoint=HOST:PORT&region=REGION"
)

// parseDB parses a --db URL; empty means the data folder's rhizome.db.
func parseDB(raw, dataDir string) (dbURL, error) {
	if raw == "" {
		p, err := filepath.Abs(filepath.Join(dataDir, "rhizome.db"))
		return dbURL{kind: dbSQLite, path: p}, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return dbURL{}, fmt.Errorf("--db: not a URL (want %s)", dbForms)
	}
	switch u.Scheme {
	case "sqlite":
		p, err := filePath(u, "--db")
		return dbURL{kind: dbSQLite, path: p}, err
	case "postgres", "postgresql":
		if u.Host == "" && !u.Query().Has("host") {
			return dbURL{}, fmt.Errorf("--db %s: no host", u.Redacted())
		}
		return dbURL{kind: dbPostgres, raw: raw}, nil
	}
	return dbURL{}, fmt.Errorf("--db: scheme %q is not supported (want %s)", u.Scheme, dbForms)
}

// parseBlobs parses a --blobs URL; empty means the data folder's blobs.
func parseBlobs(raw, dataDir string) (blobsURL, error) {
	if raw == "" {
		p, err := filepath.Abs(filepath.Join(dataDir, "blobs"))
		return blobsURL{kind: blobsDisk, path: p}, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return blobsURL{}, fmt.Errorf("--blobs: not a URL (want %s)", blobsForms)
	}
	switch u.Scheme {
	case "file":
		p, err := filePath(u, "--blobs")
		return blobsURL{kind: blobsDisk, path: p}, err
	case "s3":
		cfg, err := s3.ParseURL(raw)
		if err != nil {
			return blobsURL{}, fmt.Errorf("--blobs: %w", err)
		}
		return blobsURL{kind: blobsS3, s3: cfg, raw: raw}, nil
	}
	return blobsURL{}, fmt.Errorf("--blobs: scheme %q is not supported (want %s)", u.Scheme, blobsForms)
}

// filePath is the absolute path of a sqlite:/// or file:/// URL, which
// names no host and carries no query.
func filePath(u *url.URL, flag string) (string, error) {
	switch {
	case u.Opaque != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/"):
		return "", fmt.Errorf("%s %s: want %s:///ABSOLUTE/PATH (three slashes)", flag, u, u.Scheme)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%s %s: a %s URL takes no parameters", flag, u, u.Scheme)
	case u.Path == "/":
		return "", fmt.Errorf("%s %s: no path", flag, u)
	}
	return filepath.Clean(u.Path), nil
}

// String describes the store without secrets, for logs.
func (d dbURL) String() string {
	switch d.kind {
	case dbSQLite:
		return "sqlite://" + d.path
	case dbPostgres:
		if u, err := url.Parse(d.raw); err == nil {
			return u.Redacted()
		}
		return "postgres://(unparsable)"
	}
	return "(none)"
}

// String describes the blob store, for logs.
func (b blobsURL) String() string {
	switch b.kind {
	case blobsDisk:
		return "file://" + b.path
	case blobsS3:
		return "s3://" + b.s3.Bucket + " at " + b.s3.Endpoint
	}
	return "(none)"
}

// openStore opens the record store d names.
func openStore(ctx context.Context, d dbURL) (store.Store, error) {
	switch d.kind {
	case dbSQLite:
		return sqlite.Open(d.path)
	case dbPostgres:
		return postgres.Open(ctx, d.raw)
	}
	return nil, rhizome.E("open store", rhizome.Invalid, "no database given")
}

// openBlobs opens the blob store b names.
func openBlobs(ctx context.Context, b blobsURL) (blobstore.Store, error) {
	switch b.kind {
	case blobsDisk:
		return disk.Open(b.path)
	case blobsS3:
		return s3.Open(ctx, b.raw)
	}
	return nil, rhizome.E("open blob store", rhizome.Invalid, "no blob store given")
}
