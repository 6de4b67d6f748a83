package syntax

import rhizome "github.com/rhizome-pds/rhizome"

// maxQuoted bounds how much of a rejected input an error message repeats, so
// a hostile 8 KB string does not end up whole in every log line.
const maxQuoted = 64

// invalid builds the error every parser returns: kind Invalid, the operation
// named after the parser, and the offending input (clipped) with the reason.
func invalid(op, input, reason string) error {
	return rhizome.Errorf(op, rhizome.Invalid, "%q: %s", clip(input), reason)
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	return s[:maxQuoted] + "..."
}
