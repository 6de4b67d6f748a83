package car

import (
	"bufio"
	"errors"
	"io"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// writeBufferSize is the Writer's bufio buffer. Blocks at least this large
// bypass it and go straight to the underlying writer.
const writeBufferSize = 64 << 10

var errClosed = errors.New("writer is closed")

// Writer writes a CAR v1 stream. It buffers: call Flush or Close when
// done. It is not safe for concurrent use. After an error every later
// call returns the same error.
type Writer struct {
	bw      *bufio.Writer
	scratch [maxVarintLen + cid.Len]byte // a section's length and CID
	written int64
	blocks  int64
	err     error
}

// NewWriter starts a CAR on w by writing the header naming roots. AT
// Protocol CARs name one root, the commit; none is allowed, for CARs that
// are just a bag of blocks.
func NewWriter(w io.Writer, roots ...cid.CID) (*Writer, error) {
	for _, c := range roots {
		if !c.Defined() {
			return nil, rhizome.E(opWrite, rhizome.Invalid, "write header: undefined root CID")
		}
	}
	cw := &Writer{bw: bufio.NewWriterSize(w, writeBufferSize)}
	if err := cw.write(appendHeader(nil, roots)); err != nil {
		return nil, rhizome.Errorf(opWrite, rhizome.Other, "write header: %w", err)
	}
	return cw, nil
}

// Put appends the section for block under c. It does not hash block: the
// caller vouches that c is block's CID, and a Reader will reject the CAR
// if it is not; nor does it limit block's size, though a Reader rejects
// blocks over its MaxBlockSize. Put does not allocate; block may be reused
// once Put returns.
func (w *Writer) Put(c cid.CID, block []byte) error {
	if w.err != nil {
		return w.err
	}
	if !c.Defined() {
		return rhizome.E(opWrite, rhizome.Invalid, "put block: undefined CID")
	}
	head := appendUvarint(w.scratch[:0], uint64(cid.Len+len(block)))
	head, _ = c.AppendBinary(head)
	if err := w.write(head); err != nil {
		return w.fail(err)
	}
	if err := w.write(block); err != nil {
		return w.fail(err)
	}
	w.blocks++
	return nil
}

func (w *Writer) write(p []byte) error {
	n, err := w.bw.Write(p)
	w.written += int64(n)
	return err
}

func (w *Writer) fail(err error) error {
	w.err = rhizome.Errorf(opWrite, rhizome.Other, "put block: %w", err)
	return w.err
}

// Flush writes any buffered bytes to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = rhizome.Errorf(opWrite, rhizome.Other, "flush: %w", err)
	}
	return w.err
}

// Close flushes the CAR; later calls to Put fail. It does not close the
// underlying writer. Closing twice is harmless.
func (w *Writer) Close() error {
	if errors.Is(w.err, errClosed) {
		return nil
	}
	if err := w.Flush(); err != nil {
		return err
	}
	w.err = rhizome.E(opWrite, rhizome.Invalid, errClosed)
	return nil
}

// Written reports how many bytes the Writer has accepted, buffered or not,
// header included.
func (w *Writer) Written() int64 { return w.written }

// Blocks reports how many blocks have been put.
func (w *Writer) Blocks() int64 { return w.blocks }
