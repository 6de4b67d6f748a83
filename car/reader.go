package car

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// DefaultMaxBlockSize is the largest block a Reader accepts unless told
// otherwise. The protocol caps records at 1 MB and a firehose event's
// whole CAR slice at 2 MB; MST nodes and commits are far smaller. 2 MiB
// therefore admits every legal block with headroom, while bounding what a
// hostile length prefix can make a Reader allocate.
const DefaultMaxBlockSize = 2 << 20

// readBufferSize is the Reader's bufio buffer: large enough that small
// blocks cost no read call each, small next to the block size limit.
const readBufferSize = 64 << 10

// Option configures a Reader.
type Option func(*options)

type options struct {
	maxBlock int
	reuse    bool
}

// MaxBlockSize sets the largest block (not counting its CID) the Reader
// accepts; a longer section fails with kind TooLarge before anything is
// allocated for it. n ≤ 0 restores DefaultMaxBlockSize; n is capped at
// 1 GiB.
func MaxBlockSize(n int) Option {
	return func(o *options) {
		switch {
		case n <= 0:
			n = DefaultMaxBlockSize
		case n > maxMaxBlock:
			n = maxMaxBlock
		}
		o.maxBlock = n
	}
}

const maxMaxBlock = 1 << 30

// ReuseBuffer makes Next (and ReadAll) return every block in one buffer
// that the Reader owns and reuses: a block is valid only until the next
// call to Next, and must be copied to be kept. Memory then stays bounded
// by the largest block rather than by the garbage collector's pace.
func ReuseBuffer() Option { return func(o *options) { o.reuse = true } }

// Reader reads a CAR v1 stream one block at a time. It is not safe for
// concurrent use. After an error every later call returns the same error.
type Reader struct {
	br         *bufio.Reader
	roots      []cid.CID
	maxSection uint64
	reuse      bool
	buf        []byte // the reused block buffer, under ReuseBuffer
	off        int64  // bytes consumed from the stream
	blocks     int64  // sections read successfully
	err        error
}

// NewReader reads and validates the header of the CAR that r holds. It
// reads ahead from r through a buffer.
func NewReader(r io.Reader, opts ...Option) (*Reader, error) {
	o := options{maxBlock: DefaultMaxBlockSize}
	for _, opt := range opts {
		opt(&o)
	}
	cr := &Reader{
		br:         bufio.NewReaderSize(r, bufferSize(r)),
		maxSection: uint64(o.maxBlock) + cid.Len,
		reuse:      o.reuse,
	}
	if err := cr.readHeader(); err != nil {
		return nil, err
	}
	return cr, nil
}

// bufferSize picks the read buffer: readBufferSize, or less when r says
// how much it holds, so that reading many small CARs (firehose events)
// does not allocate 64 KiB each. It is never below a section's CID, which
// the Reader inspects in place in the buffer.
func bufferSize(r io.Reader) int {
	if l, ok := r.(interface{ Len() int }); ok {
		return min(readBufferSize, max(l.Len(), 2*cid.Len))
	}
	return readBufferSize
}

func (r *Reader) readHeader() error {
	n, k, err := readUvarint(r.br)
	r.off += int64(k)
	switch {
	case err == io.EOF:
		return rhizome.E(opRead, rhizome.Invalid, "read header: empty input")
	case err != nil:
		return rhizome.Errorf(opRead, ioKind(err), "read header length: %w", err)
	case n == 0:
		return rhizome.E(opRead, rhizome.Invalid, "read header: zero length")
	case n > MaxHeaderSize:
		return rhizome.Errorf(opRead, rhizome.TooLarge,
			"read header: %d bytes exceed the limit of %d", n, MaxHeaderSize)
	}
	p := make([]byte, n)
	if err := r.readFull(p); err != nil {
		return rhizome.Errorf(opRead, ioKind(err), "read header: %w", err)
	}
	if r.roots, err = parseHeader(p); err != nil {
		return rhizome.Errorf(opRead, rhizome.Invalid, "parse header: %w", err)
	}
	return nil
}

// Roots returns the roots the header names (a fresh slice).
func (r *Reader) Roots() []cid.CID { return slices.Clone(r.roots) }

// Offset reports how many bytes of the stream have been consumed.
func (r *Reader) Offset() int64 { return r.off }

// Blocks reports how many blocks have been read and verified.
func (r *Reader) Blocks() int64 { return r.blocks }

// Next returns the next block and its CID, having checked that the block
// hashes to the CID. At the clean end of the stream it returns io.EOF; a
// stream that ends inside a section is an error wrapping
// io.ErrUnexpectedEOF. Errors about a section wrap a *SectionError.
//
// The block is a fresh slice the caller owns, unless the Reader was made
// with ReuseBuffer.
func (r *Reader) Next() (cid.CID, []byte, error) {
	if !r.reuse {
		return r.NextInto(nil)
	}
	c, data, err := r.NextInto(r.buf)
	if cap(data) > cap(r.buf) {
		r.buf = data[:0]
	}
	return c, data, err
}

// NextInto is Next reading the block into buf's backing array when its
// capacity suffices (buf's length is ignored), and into a new slice when
// it does not. The returned block therefore may alias buf: the caller must
// not reuse buf while it needs the block. Passing the previous block back
// in reads a whole CAR with one allocation per new largest block.
func (r *Reader) NextInto(buf []byte) (cid.CID, []byte, error) {
	if r.err != nil {
		return cid.CID{}, nil, r.err
	}
	c, data, err := r.next(buf)
	if err != nil {
		r.err = err
		return cid.CID{}, nil, err
	}
	r.blocks++
	return c, data, nil
}

func (r *Reader) next(buf []byte) (cid.CID, []byte, error) {
	start := r.off
	fail := func(c cid.CID, kind rhizome.Kind, err error) (cid.CID, []byte, error) {
		return cid.CID{}, nil, rhizome.E(opRead, kind,
			&SectionError{Index: r.blocks, Offset: start, CID: c, Err: err})
	}
	n, k, err := readUvarint(r.br)
	r.off += int64(k)
	switch {
	case err == io.EOF:
		return cid.CID{}, nil, io.EOF
	case err != nil:
		return fail(cid.CID{}, ioKind(err), fmt.Errorf("read length: %w", err))
	case n == 0:
		return fail(cid.CID{}, rhizome.Invalid, errors.New("zero-length section"))
	case n < cid.Len:
		return fail(cid.CID{}, rhizome.Invalid,
			fmt.Errorf("%d bytes cannot hold a CIDv1 with sha2-256", n))
	case n > r.maxSection:
		return fail(cid.CID{}, rhizome.TooLarge,
			fmt.Errorf("%d bytes exceed the limit of %d", n, r.maxSection))
	}
	c, err := r.readCID()
	if err != nil {
		return fail(cid.CID{}, ioKind(err), fmt.Errorf("read CID: %w", err))
	}
	data := sized(buf, int(n)-cid.Len)
	if err := r.readFull(data); err != nil {
		return fail(c, ioKind(err), fmt.Errorf("read block: %w", err))
	}
	if !c.Matches(data) {
		return fail(c, rhizome.Corrupt, ErrMismatch)
	}
	return c, data, nil
}

// readCID parses the CID at the head of a section in place in the read
// buffer, without copying it.
func (r *Reader) readCID() (cid.CID, error) {
	p, err := r.br.Peek(cid.Len)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return cid.CID{}, err
	}
	c, err := cid.FromBytes(p)
	if err != nil {
		return cid.CID{}, err
	}
	r.br.Discard(cid.Len) // cannot fail: Peek saw the bytes
	r.off += cid.Len
	return c, nil
}

func (r *Reader) readFull(p []byte) error {
	n, err := io.ReadFull(r.br, p)
	r.off += int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// sized returns a slice of length n, in buf's backing array if it fits.
func sized(buf []byte, n int) []byte {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]byte, n)
}

// ioKind classifies a failure to read: malformed or truncated input is
// Invalid; an error from the underlying reader is passed through as Other.
func ioKind(err error) rhizome.Kind {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, errVarintLong),
		errors.Is(err, errVarintNonMinimal), errors.Is(err, cid.ErrInvalid):
		return rhizome.Invalid
	}
	return rhizome.Other
}

// ReadAll reads a whole CAR from r, verifying every block, and calls put
// for each block in stream order. It returns the header's roots (also
// when a later section fails) and the first error; an error from put
// stops reading and is returned unchanged. Under ReuseBuffer the block
// passed to put is valid only during the call.
func ReadAll(r io.Reader, put func(cid.CID, []byte) error, opts ...Option) ([]cid.CID, error) {
	cr, err := NewReader(r, opts...)
	if err != nil {
		return nil, err
	}
	for {
		c, data, err := cr.Next()
		if err == io.EOF {
			return cr.roots, nil
		}
		if err != nil {
			return cr.roots, err
		}
		if err := put(c, data); err != nil {
			return cr.roots, err
		}
	}
}
