package s3

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/rhizome-pds/rhizome/blobstore/s3/s3test"
)

const benchSize = 1 << 20

// openBench opens a store on a fresh versitygw and bucket.
func openBench(b *testing.B) *BlobStore {
	b.Helper()
	s, err := Open(b.Context(), s3test.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkBlobStore_Put(b *testing.B) {
	s := openBench(b)
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
	s := openBench(b)
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

// BenchmarkBlobStore_PutMultipart puts blobs of three parts: a multipart
// upload to a temporary key and a server-side copy into place.
func BenchmarkBlobStore_PutMultipart(b *testing.B) {
	s := openBench(b)
	did := mustDID(b, "did:plc:ewvi7nxzyoun6zhxrhs64oiz")
	const size = 3 * PartSize
	data := bytes.Repeat([]byte{0xa5}, size)
	b.SetBytes(size)
	var i uint64
	for b.Loop() {
		i++
		binary.BigEndian.PutUint64(data, i)
		if _, _, err := s.Put(b.Context(), did, bytes.NewReader(data), size); err != nil {
			b.Fatal(err)
		}
	}
}
