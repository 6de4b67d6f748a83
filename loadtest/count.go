package loadtest

import (
	"bytes"
	"errors"
	"fmt"
)

// countRecords counts the elements of the "records" array of a
// listRecords answer without decoding it: a load generator that decodes
// every page spends as much CPU on it as the server under test spends
// answering (0.26 ms for a page of 100 posts with encoding/json), and the
// two share the machine. It walks the JSON's nesting and strings and
// fails on an answer whose brackets, braces or strings do not close, or
// that has no records array at the top level.
func countRecords(body []byte) (int, error) {
	at := topLevelKey(body, `"records"`)
	if at < 0 {
		return 0, errors.New("answer has no records array")
	}
	rest := bytes.TrimLeft(body[at:], " \t\r\n:")
	if len(rest) == 0 || rest[0] != '[' {
		return 0, errors.New("records is not an array")
	}
	return countElements(rest)
}

// topLevelKey is the offset just past key where it is a key of the
// outermost object of body, or -1.
func topLevelKey(body []byte, key string) int {
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := skipString(body, i)
			if end < 0 {
				return -1
			}
			if depth == 1 && string(body[i:end]) == key {
				return end
			}
			i = end - 1
		}
	}
	return -1
}

// countElements counts the elements of the array at the start of b (which
// starts with '['): the commas at its own level, plus one if it is not
// empty.
func countElements(b []byte) (int, error) {
	depth, commas, empty := 1, 0, true
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '"':
			if i = skipString(b, i) - 1; i < 0 {
				return 0, errors.New("unterminated string")
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				if empty {
					return 0, nil
				}
				return commas + 1, nil
			}
		case ',':
			if depth == 1 {
				commas++
			}
		}
		empty = false
	}
	return 0, fmt.Errorf("array not closed after %d elements", commas)
}

// skipString is the offset just past the JSON string starting at b[i],
// or -1 if it does not end.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}
