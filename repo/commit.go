package repo

import (
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Version is the repository format this package writes.
const Version = 3

// Commit is a signed repository commit (format v3).
type Commit struct {
	DID     syntax.DID
	Version int64
	Data    cid.CID // root of the MST
	Rev     syntax.TID
	Prev    *cid.CID // always nil in v3 commits we write; tolerated when read
	Sig     []byte
}

// appendFields encodes the commit; with sig false, the unsigned form that
// the signature covers. Keys are in canonical order: did, rev, sig, data,
// prev, version.
func (c *Commit) appendFields(b []byte, sig bool) []byte {
	n := 5
	if sig {
		n = 6
	}
	b = cbor.AppendMapHeader(b, n)
	b = cbor.AppendText(cbor.AppendText(b, "did"), string(c.DID))
	b = cbor.AppendText(cbor.AppendText(b, "rev"), string(c.Rev))
	if sig {
		b = cbor.AppendBytes(cbor.AppendText(b, "sig"), c.Sig)
	}
	b = cbor.AppendLink(cbor.AppendText(b, "data"), c.Data)
	b = cbor.AppendText(b, "prev")
	if c.Prev == nil {
		b = cbor.AppendNull(b)
	} else {
		b = cbor.AppendLink(b, *c.Prev)
	}
	return cbor.AppendInt(cbor.AppendText(b, "version"), c.Version)
}

// Unsigned returns the bytes the signature covers.
func (c *Commit) Unsigned() []byte { return c.appendFields(nil, false) }

// Bytes returns the signed commit block.
func (c *Commit) Bytes() []byte { return c.appendFields(nil, true) }

// Block returns the signed commit as a block with its CID.
func (c *Commit) Block() rhizome.Block {
	data := c.Bytes()
	return rhizome.Block{CID: cid.Sum(cid.DagCBOR, data), Data: data}
}

// Sign sets the commit's signature.
func (c *Commit) Sign(s keys.Signer) error {
	sig, err := s.Sign(c.Unsigned())
	if err != nil {
		return rhizome.E("sign commit", rhizome.Other, err)
	}
	c.Sig = sig
	return nil
}

// Verify checks the signature against the repository's signing key.
func (c *Commit) Verify(pub keys.PublicKey) error {
	if err := pub.Verify(c.Unsigned(), c.Sig); err != nil {
		return rhizome.Errorf("verify commit", rhizome.Invalid, "commit by %s at rev %s: %w", c.DID, c.Rev, err)
	}
	return nil
}

// DecodeCommit parses a signed commit block strictly: canonical DRISL,
// exactly the v3 fields, a valid DID and TID rev.
func DecodeCommit(data []byte) (*Commit, error) {
	c := &Commit{}
	if err := c.decode(cbor.NewReader(data)); err != nil {
		return nil, rhizome.E("decode commit", rhizome.Invalid, err)
	}
	return c, nil
}

func (c *Commit) decode(r *cbor.Reader) error {
	n, err := r.ReadMapHeader()
	if err != nil {
		return err
	}
	if n != 6 {
		return rhizome.Errorf("", rhizome.Invalid, "commit has %d fields, want 6", n)
	}
	for _, f := range commitFields {
		if err := expectKey(r, f.name); err != nil {
			return err
		}
		if err := f.read(c, r); err != nil {
			return rhizome.Errorf("", rhizome.Invalid, "field %s: %w", f.name, err)
		}
	}
	if c.Version != Version {
		return rhizome.Errorf("", rhizome.Invalid, "commit version %d, want %d", c.Version, Version)
	}
	return r.Done()
}

var commitFields = []struct {
	name string
	read func(*Commit, *cbor.Reader) error
}{
	{"did", func(c *Commit, r *cbor.Reader) (err error) {
		s, err := r.ReadText()
		if err == nil {
			c.DID, err = syntax.ParseDID(s)
		}
		return err
	}},
	{"rev", func(c *Commit, r *cbor.Reader) (err error) {
		s, err := r.ReadText()
		if err == nil {
			c.Rev, err = syntax.ParseTID(s)
		}
		return err
	}},
	{"sig", func(c *Commit, r *cbor.Reader) (err error) {
		sig, err := r.ReadBytes()
		c.Sig = append([]byte(nil), sig...)
		return err
	}},
	{"data", func(c *Commit, r *cbor.Reader) (err error) {
		c.Data, err = r.ReadLink()
		return err
	}},
	{"prev", func(c *Commit, r *cbor.Reader) error {
		if r.ReadNull() {
			return nil
		}
		p, err := r.ReadLink()
		c.Prev = &p
		return err
	}},
	{"version", func(c *Commit, r *cbor.Reader) (err error) {
		c.Version, err = r.ReadInt()
		return err
	}},
}

func expectKey(r *cbor.Reader, want string) error {
	k, err := r.ReadKeyBytes(nil, true)
	if err != nil {
		return err
	}
	if string(k) != want {
		return rhizome.Errorf("", rhizome.Invalid, "field %q where %q belongs", k, want)
	}
	return nil
}
