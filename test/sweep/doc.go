// Package sweep checks, end to end, that a pod upgraded from a database
// written before commits collected the blocks they replace deletes the
// blocks no repository head reaches, once, in the background, so that
// getRepo never sends them.
package sweep
