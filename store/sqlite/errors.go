package sqlite

import (
	"errors"

	"github.com/rhizome-pds/rhizome"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// wrap gives err the operation op and a kind: a kinded error keeps its
// kind, a SQLite error gets the kind of its result code.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if re, ok := err.(*rhizome.Error); ok && re.Op == "" {
		return &rhizome.Error{Op: op, Kind: re.Kind, Err: re.Err}
	}
	return &rhizome.Error{Op: op, Kind: kindOf(err), Err: err}
}

// kindOf classifies an error that is not a *rhizome.Error.
func kindOf(err error) rhizome.Kind {
	if k := rhizome.KindOf(err); k != rhizome.Other {
		return k
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return rhizome.Other
	}
	return codeKind(se.Code())
}

// codeKind maps an extended SQLite result code to a kind.
func codeKind(code int) rhizome.Kind {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return rhizome.Exists
	}
	switch code & 0xff {
	case sqlite3.SQLITE_CONSTRAINT:
		return rhizome.Invalid
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
		return rhizome.Unavailable
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return rhizome.Corrupt
	}
	return rhizome.Other
}

// notFound, exists, conflict, invalid and corrupt build kinded errors
// whose op wrap fills in.
func notFound(format string, args ...any) error {
	return rhizome.Errorf("", rhizome.NotFound, format, args...)
}

func exists(format string, args ...any) error {
	return rhizome.Errorf("", rhizome.Exists, format, args...)
}

func conflict(format string, args ...any) error {
	return rhizome.Errorf("", rhizome.Conflict, format, args...)
}

func invalid(format string, args ...any) error {
	return rhizome.Errorf("", rhizome.Invalid, format, args...)
}

func corrupt(format string, args ...any) error {
	return rhizome.Errorf("", rhizome.Corrupt, format, args...)
}
