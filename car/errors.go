package car

import (
	"errors"
	"fmt"

	"github.com/rhizome-pds/rhizome/cid"
)

const (
	opRead  = "read car"
	opWrite = "write car"
)

// ErrMismatch is wrapped when a block's bytes do not hash to its CID.
var ErrMismatch = errors.New("block does not match its CID")

// SectionError says which section of a CAR failed and where it starts.
// Reader errors about a section are a *rhizome.Error wrapping a
// *SectionError; find it with errors.As.
type SectionError struct {
	Index  int64   // 0-based number of the section in the CAR
	Offset int64   // byte offset of the section's length prefix in the CAR
	CID    cid.CID // the section's CID, if it was read before the failure
	Err    error   // what went wrong
}

func (e *SectionError) Error() string {
	if e.CID.Defined() {
		return fmt.Sprintf("read section %d (%s) at byte %d: %v", e.Index, e.CID, e.Offset, e.Err)
	}
	return fmt.Sprintf("read section %d at byte %d: %v", e.Index, e.Offset, e.Err)
}

func (e *SectionError) Unwrap() error { return e.Err }
