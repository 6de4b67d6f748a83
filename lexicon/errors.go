package lexicon

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
)

// fieldError is an error at a place in a value or a schema document.
// Containers add their step as the error unwinds, so the success path
// builds no paths.
type fieldError struct {
	steps []string // innermost first
	msg   string
}

func (e *fieldError) Error() string { return e.at("") }

// maxPathSteps bounds how many steps of a path an error message shows;
// the middle of a longer path is elided.
const maxPathSteps = 24

// at renders the error under root: "root/a/0/b: msg".
func (e *fieldError) at(root string) string {
	var sb strings.Builder
	sb.WriteString(root)
	for i := len(e.steps) - 1; i >= 0; i-- {
		if sb.Len() > 0 {
			sb.WriteByte('/')
		}
		if n := len(e.steps); n > maxPathSteps && i == n-1-maxPathSteps/2 {
			sb.WriteString("...")
			i = maxPathSteps / 2
			continue
		}
		sb.WriteString(e.steps[i])
	}
	if sb.Len() == 0 {
		return e.msg
	}
	return sb.String() + ": " + e.msg
}

// invalidf builds a fieldError at the current place.
func invalidf(format string, args ...any) error {
	return &fieldError{msg: fmt.Sprintf(format, args...)}
}

// at reports err as happening under step.
func at(err error, step string) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		fe.steps = append(fe.steps, step)
		return fe
	}
	return &fieldError{steps: []string{step}, msg: err.Error()}
}

// atIndex reports err as happening at list index i.
func atIndex(err error, i int) error { return at(err, strconv.Itoa(i)) }

// rooted renders err, a fieldError or another error, under root.
func rooted(root string, err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.at(root)
	}
	return root + ": " + err.Error()
}

// mismatch is the error for a value of the wrong data-model type.
func mismatch(want string, v any) error {
	return invalidf("must be %s, not %s", want, kindName(v))
}

// kindName names the data-model type of v for error messages.
func kindName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case int64, int:
		return "an integer"
	case string:
		return "a string"
	case []byte:
		return "bytes"
	case cid.CID:
		return "a link"
	case []any:
		return "an array"
	case data.Blob:
		return "a blob"
	case map[string]any:
		if x["$type"] == "blob" {
			return "a blob"
		}
		return "an object"
	}
	return fmt.Sprintf("a Go %T", v)
}

// syntaxReason strips the operation from an error of package syntax,
// leaving the quoted input and the reason.
func syntaxReason(err error) string {
	var e *rhizome.Error
	if errors.As(err, &e) && e.Err != nil {
		return e.Err.Error()
	}
	return err.Error()
}
