package syntax

// RecordKey names a record within a collection of a repository: 1 to 512
// bytes of ASCII letters, digits and ".", "_", ":", "~", "-", other than "."
// and "..". Record keys are case-sensitive.
type RecordKey string

// MaxRecordKeyLen is the longest record key the protocol allows, in bytes.
const MaxRecordKeyLen = 512

// ParseRecordKey validates s as a record key.
func ParseRecordKey(s string) (RecordKey, error) {
	const op = "parse record key"
	if reason := checkRecordKey(s); reason != "" {
		return "", invalid(op, s, reason)
	}
	return RecordKey(s), nil
}

// checkRecordKey returns why s is not a valid record key, or "" if it is.
func checkRecordKey(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > MaxRecordKeyLen:
		return "longer than 512 bytes"
	case s == "." || s == "..":
		return `"." and ".." are not record keys`
	}
	for i := 0; i < len(s); i++ {
		if !isRecordKeyChar(s[i]) {
			return "disallowed character"
		}
	}
	return ""
}

func isRecordKeyChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '~' || c == '-'
}

func (r RecordKey) String() string { return string(r) }

// MarshalText implements encoding.TextMarshaler.
func (r RecordKey) MarshalText() ([]byte, error) { return []byte(r), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (r *RecordKey) UnmarshalText(text []byte) error {
	v, err := ParseRecordKey(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
