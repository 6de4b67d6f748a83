package rhizome

import (
	"errors"
	"fmt"
)

// Kind classifies an error so the edge (XRPC, CLI) can map it to a protocol
// error name, an HTTP status or an exit code without inspecting messages.
type Kind uint8

// The kinds of error. Add kinds sparingly: each one is a promise to callers.
const (
	Other        Kind = iota // unclassified: an internal error
	Invalid                  // the input is malformed or breaks a rule
	NotFound                 // the thing does not exist, or the caller may not know it does
	Exists                   // the thing already exists
	Conflict                 // a compare-and-swap precondition failed
	Unauthorized             // the caller is not authenticated
	Forbidden                // the caller is authenticated but may not do this
	TooLarge                 // the input is larger than a limit allows
	Unavailable              // a dependency is down; retrying may help
	Corrupt                  // stored or received data fails its own integrity checks
)

var kindNames = [...]string{
	Other: "other", Invalid: "invalid", NotFound: "not found", Exists: "exists",
	Conflict: "conflict", Unauthorized: "unauthorized", Forbidden: "forbidden",
	TooLarge: "too large", Unavailable: "unavailable", Corrupt: "corrupt",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Error is the one error type of the project: an operation, a kind, and the
// underlying cause. Op names what was being done ("mst insert", "car read").
// Name, when set, is the protocol's name for this failure ("InvalidSwap",
// "ExpiredToken") for the edge to report instead of the kind's default.
type Error struct {
	Op   string
	Kind Kind
	Name string
	Err  error
}

// Named returns a copy of an *Error built by E or Errorf with Name set.
//
//	return rhizome.Errorf("apply writes", rhizome.Conflict, "record changed").Named("InvalidSwap")
func (e *Error) Named(name string) *Error {
	c := *e
	c.Name = name
	return &c
}

// E builds an *Error. Msg may be a string, an error or nil.
func E(op string, kind Kind, msg any) *Error {
	var err error
	switch m := msg.(type) {
	case nil:
	case error:
		err = m
	case string:
		err = errors.New(m)
	default:
		err = fmt.Errorf("%v", m)
	}
	return &Error{Op: op, Kind: kind, Err: err}
}

// Errorf builds an *Error whose cause is formatted like fmt.Errorf.
func Errorf(op string, kind Kind, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		return e.Op + ": " + e.Kind.String()
	case e.Op == "":
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf reports the kind of the outermost *Error in err's chain that has a
// kind other than Other, or Other if there is none.
func KindOf(err error) Kind {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Other
		}
		if e.Kind != Other {
			return e.Kind
		}
		err = e.Err
	}
	return Other
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }

// NameOf returns the outermost protocol name in err's chain, or "".
func NameOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Name != "" {
			return e.Name
		}
		err = e.Err
	}
	return ""
}
