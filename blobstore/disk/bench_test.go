package disk

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

const benchSize = 1 << 20

func BenchmarkBlobStore_Put(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	did := mustDID(b, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	data := bytes.Repeat([]byte{0xa5}, benchSize)
	b.SetBytes(benchSize)
	var i uint64
	for b.Loop() {
		i++
		binary.BigEndian.PutUint64(data, i) // new content every time
		if _, _, err := s.Put(b.Context(), did, bytes.NewReader(data), benchSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBlobStore_Get(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	did := mustDID(b, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	c, _, err := s.Put(b.Context(), did, bytes.NewReader(bytes.Repeat([]byte{0x5a}, benchSize)), benchSize)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	for b.Loop() {
		rc, _, err := s.Get(b.Context(), did, c, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != benchSize {
			b.Fatalf("read %d bytes: %v", n, err)
		}
		rc.Close()
	}
}
