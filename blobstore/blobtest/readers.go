package blobtest

import (
	"errors"
	"io"
	"sync/atomic"
)

// errBoom is what failingReader fails with.
var errBoom = errors.New("blobtest: reader failed on purpose")

// chunkReader yields data in small chunks of varying size (1 to 4 KiB), as
// a network body does, and counts what it handed out.
type chunkReader struct {
	data []byte
	step int
	read atomic.Int64
}

func newChunkReader(data []byte) *chunkReader { return &chunkReader{data: data} }

// chunkSizes is the cycle of read sizes, chosen to straddle any buffer size.
var chunkSizes = [...]int{1, 4096, 7, 511, 3000, 64, 1024, 4095, 13}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), chunkSizes[r.step%len(chunkSizes)])
	r.step++
	copy(p, r.data[:n])
	r.data = r.data[n:]
	r.read.Add(int64(n))
	return n, nil
}

// endlessReader yields bytes forever and counts them.
type endlessReader struct{ read int64 }

func (r *endlessReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.read + int64(i))
	}
	r.read += int64(len(p))
	return len(p), nil
}

// failingReader yields data[:at] in chunks, then fails with errBoom.
type failingReader struct {
	chunkReader
}

func newFailingReader(data []byte, at int) *failingReader {
	return &failingReader{chunkReader{data: data[:at]}}
}

func (r *failingReader) Read(p []byte) (int, error) {
	n, err := r.chunkReader.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

// cancelReader yields data in chunks and calls cancel once it has handed
// out at bytes, then carries on as if nothing happened: only the store's
// own context check can stop the Put.
type cancelReader struct {
	chunkReader
	at     int64
	cancel func()
}

func (r *cancelReader) Read(p []byte) (int, error) {
	n, err := r.chunkReader.Read(p)
	if r.read.Load() >= r.at {
		r.cancel()
	}
	return n, err
}
