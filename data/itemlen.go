package data

import "errors"

var errTruncated = errors.New("truncated CBOR item")

// ItemLen is the length in bytes of the CBOR data item at the start of b:
// it walks the item's heads and skips its payloads without decoding them,
// so concatenated items (blocks read back to back) can be split apart. It
// checks only structure (heads, lengths, nesting), not DRISL's rules.
func ItemLen(b []byte) (int, error) {
	n, err := skipItem(b, 0, 1)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// skipItem returns the offset just past the item starting at off.
// depth is that of the item, if it is a container.
func skipItem(b []byte, off, depth int) (int, error) {
	major, arg, off, err := readHead(b, off)
	for err == nil && major == 6 { // tags: the tagged item follows
		major, arg, off, err = readHead(b, off)
	}
	if err != nil {
		return 0, err
	}
	switch major {
	case 0, 1, 7: // integers, simple values and floats: the head is all
		return off, nil
	case 2, 3: // byte and text strings
		if arg > uint64(len(b)-off) {
			return 0, errTruncated
		}
		return off + int(arg), nil
	default: // 4 and 5, arrays and maps: arg items, or arg pairs
		if depth > MaxDepth {
			return 0, errTooDeep
		}
		if arg > uint64(len(b)-off) { // every item is at least one byte
			return 0, errTruncated
		}
		items := arg
		if major == 5 {
			items *= 2
		}
		for range items {
			if off, err = skipItem(b, off, depth+1); err != nil {
				return 0, err
			}
		}
		return off, nil
	}
}

// readHead reads the head at off: its major type, its argument and the
// offset after it. Indefinite lengths are refused (DRISL has none).
func readHead(b []byte, off int) (major byte, arg uint64, next int, err error) {
	if off >= len(b) {
		return 0, 0, 0, errTruncated
	}
	major, info := b[off]>>5, b[off]&0x1f
	off++
	if info < 24 {
		return major, uint64(info), off, nil
	}
	if info > 27 {
		return 0, 0, 0, errors.New("indefinite or reserved CBOR length")
	}
	size := 1 << (info - 24)
	if len(b)-off < size {
		return 0, 0, 0, errTruncated
	}
	for _, c := range b[off : off+size] {
		arg = arg<<8 | uint64(c)
	}
	return major, arg, off + size, nil
}
