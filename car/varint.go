package car

import (
	"errors"
	"io"
)

// maxVarintLen is the longest unsigned varint the multiformats spec allows:
// nine bytes, 63 bits of value.
const maxVarintLen = 9

var (
	errVarintLong       = errors.New("varint longer than 9 bytes")
	errVarintNonMinimal = errors.New("varint not in its shortest form")
)

// readUvarint reads one multiformats unsigned varint and returns it with
// the number of bytes it took. It returns io.EOF only if the stream ended
// before the first byte, and io.ErrUnexpectedEOF if it ended inside the
// varint. Non-minimal encodings (a trailing 0x00 group) are rejected, so a
// value has exactly one accepted spelling.
func readUvarint(br io.ByteReader) (uint64, int, error) {
	var v uint64
	for i := 0; i < maxVarintLen; i++ {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF && i > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, i, err
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if b == 0 && i > 0 {
				return 0, i + 1, errVarintNonMinimal
			}
			return v, i + 1, nil
		}
	}
	return 0, maxVarintLen, errVarintLong
}

// appendUvarint appends v as a minimal unsigned varint.
func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
