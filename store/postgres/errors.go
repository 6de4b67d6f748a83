package postgres

import (
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rhizome-pds/rhizome"
)

// wrap gives err the operation op and a kind: a kinded error keeps its
// kind, a driver error gets the kind of its cause.
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
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return rhizome.NotFound
	case errors.As(err, &pe):
		return codeKind(pe.Code)
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return rhizome.Unavailable
	}
	return rhizome.Other
}

// codeKind maps an SQLSTATE to a kind.
func codeKind(code string) rhizome.Kind {
	switch code {
	case "23505": // unique_violation
		return rhizome.Exists
	case "40001", "40P01", "55P03", "57014": // serialization, deadlock, lock_not_available, query_canceled
		return rhizome.Unavailable
	case "XX001", "XX002": // data_corrupted, index_corrupted
		return rhizome.Corrupt
	}
	if len(code) < 2 {
		return rhizome.Other
	}
	switch code[:2] {
	case "22", "23": // data exception, integrity constraint violation
		return rhizome.Invalid
	case "08", "53", "57": // connection exception, insufficient resources, operator intervention
		return rhizome.Unavailable
	}
	return rhizome.Other
}

// isCode reports whether err is a server error with one of the codes.
func isCode(err error, codes ...string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// errClosed is returned by every call after Close.
var errClosed = rhizome.E("", rhizome.Other, "store is closed")

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
