package syntax

// Byte classes shared by the hand-written scanners. They take a byte, not a
// rune: every identifier here is ASCII, so any byte >= 0x80 is simply not a
// member of any class and rejects the input.

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func isAlpha(c byte) bool { return isLower(c) || isUpper(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// toLower lower-cases an ASCII letter and leaves every other byte alone.
func toLower(c byte) byte {
	if isUpper(c) {
		return c + ('a' - 'A')
	}
	return c
}

// hasUpper reports whether s contains an ASCII upper-case letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			return true
		}
	}
	return false
}

// lowerASCII returns s with ASCII letters lower-cased, allocating only when
// something changes.
func lowerASCII(s string) string {
	if !hasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		b[i] = toLower(c)
	}
	return string(b)
}
