package data

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome/cid"
)

// Limits on values.
const (
	// MaxDepth is how deeply lists and maps may nest; the outermost
	// container is at depth 1.
	MaxDepth = 128
	// MaxRecordSize is the largest encoded record, in bytes.
	MaxRecordSize = 1 << 20
)

// Reserved map keys.
const (
	keyType  = "$type"
	keyLink  = "$link"
	keyBytes = "$bytes"
	typeBlob = "blob"
)

var errTooDeep = fmt.Errorf("containers nest more than %d deep", MaxDepth)

// pathError records where in a value an error happened. Containers add
// their step as the error unwinds, so the success path pays nothing.
type pathError struct {
	steps []string // innermost first
	err   error
}

func (e *pathError) Error() string {
	var sb strings.Builder
	for i := len(e.steps) - 1; i >= 0; i-- {
		sb.WriteString(e.steps[i])
	}
	return "at " + strings.TrimPrefix(sb.String(), ".") + ": " + e.err.Error()
}

func (e *pathError) Unwrap() error { return e.err }

// inKey reports err as happening under map key k.
func inKey(err error, k string) error { return within(err, "."+k) }

// inIndex reports err as happening at list index i.
func inIndex(err error, i int) error { return within(err, "["+strconv.Itoa(i)+"]") }

func within(err error, step string) error {
	var pe *pathError
	if errors.As(err, &pe) {
		pe.steps = append(pe.steps, step)
		return pe
	}
	return &pathError{steps: []string{step}, err: err}
}

// checkMap applies the data-model rules that concern one map's own keys;
// its values are checked by whoever walks them.
func checkMap(m map[string]any) error {
	for _, k := range [...]string{keyLink, keyBytes} {
		if _, ok := m[k]; ok {
			return fmt.Errorf("map key %q is reserved", k)
		}
	}
	t, ok := m[keyType]
	if !ok {
		return nil
	}
	if s, ok := t.(string); !ok || s == "" {
		return errors.New("$type must be a non-empty string")
	}
	if t == typeBlob {
		_, err := blobFromMap(m)
		return err
	}
	return nil
}

// intValue returns v as an int64 if it is a Go integer that fits.
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		return int64(n), uint64(n) <= math.MaxInt64
	case uint64:
		return int64(n), n <= math.MaxInt64
	}
	return 0, false
}

// linkValue returns v as a defined CID.
func linkValue(v any) (cid.CID, bool) {
	c, ok := v.(cid.CID)
	return c, ok && c.Defined()
}
