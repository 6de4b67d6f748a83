package cbor

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var testCID = cid.MustParse("bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a")

func TestAppendHeader_ShortestForm(t *testing.T) {
	cases := []struct {
		m    Major
		n    uint64
		want string
	}{
		{Uint, 0, "00"}, {Uint, 23, "17"}, {Uint, 24, "1818"}, {Uint, 0xff, "18ff"},
		{Uint, 0x100, "190100"}, {Uint, 0xffff, "19ffff"}, {Uint, 0x10000, "1a00010000"},
		{Uint, 0xffffffff, "1affffffff"}, {Uint, 0x100000000, "1b0000000100000000"},
		{Uint, math.MaxUint64, "1bffffffffffffffff"},
		{Text, 5, "65"}, {Bytes, 24, "5818"}, {Array, 1000, "9903e8"}, {Map, 0, "a0"}, {Tag, 42, "d82a"},
	}
	for _, c := range cases {
		got := hex.EncodeToString(AppendHeader(nil, c.m, c.n))
		if got != c.want {
			t.Errorf("AppendHeader(%d, %d) = %s, want %s", c.m, c.n, got, c.want)
		}
		m, n, err := NewReader(h(got)).ReadHeader()
		if err != nil || m != c.m || n != c.n {
			t.Errorf("ReadHeader(%s) = %d, %d, %v", got, m, n, err)
		}
	}
}

func TestAppendInt_Boundaries(t *testing.T) {
	for _, i := range []int64{0, 1, -1, 23, 24, -24, -25, 255, -256, -257, 1 << 32, math.MaxInt64, math.MinInt64} {
		b := AppendInt(nil, i)
		r := NewReader(b)
		got, err := r.ReadInt()
		if err != nil || got != i || r.Done() != nil {
			t.Errorf("ReadInt(AppendInt(%d) = %x) = %d, %v", i, b, got, err)
		}
	}
	if got := hex.EncodeToString(AppendInt(nil, math.MinInt64)); got != "3b7fffffffffffffff" {
		t.Errorf("AppendInt(MinInt64) = %s", got)
	}
}

func TestAppend_Scalars(t *testing.T) {
	b := AppendText(nil, "hé")
	b = AppendBytes(b, []byte{9})
	b = AppendBool(AppendBool(AppendNull(b), true), false)
	if got, want := hex.EncodeToString(b), "6368c3a94109f6f5f4"; got != want {
		t.Fatalf("appended %s, want %s", got, want)
	}
	r := NewReader(b)
	s, err1 := r.ReadText()
	p, err2 := r.ReadBytes()
	null := r.ReadNull()
	t1, err3 := r.ReadBool()
	f, err4 := r.ReadBool()
	if err := errors.Join(err1, err2, err3, err4, r.Done()); err != nil {
		t.Fatal(err)
	}
	if s != "hé" || !bytes.Equal(p, []byte{9}) || !null || !t1 || f {
		t.Fatalf("read back %q %x %v %v %v", s, p, null, t1, f)
	}
}

func TestAppendLink_Layout(t *testing.T) {
	b := AppendLink(nil, testCID)
	want := append(h("d82a 5825 00"), testCID.Bytes()...)
	if !bytes.Equal(b, want) {
		t.Fatalf("AppendLink = %x, want %x", b, want)
	}
	c, err := NewReader(b).ReadLink()
	if err != nil || c != testCID {
		t.Fatalf("ReadLink = %s, %v", c, err)
	}
}

func TestKeyLess_Order(t *testing.T) {
	ordered := []string{"", "a", "b", "z", "aa", "ab", "ba", "aaa"}
	for i := range ordered {
		for j := range ordered {
			if got := KeyLess(ordered[i], ordered[j]); got != (i < j) {
				t.Errorf("KeyLess(%q, %q) = %v", ordered[i], ordered[j], got)
			}
		}
	}
}

func TestReader_Rejects(t *testing.T) {
	link := AppendLink(nil, testCID)
	cases := []struct {
		name string
		in   []byte
		read func(*Reader) error
	}{
		{"empty", nil, header},
		{"non-minimal 1 byte", h("1817"), header},
		{"non-minimal 2 bytes", h("1900ff"), header},
		{"non-minimal 4 bytes", h("1a0000ffff"), header},
		{"non-minimal 8 bytes", h("1b00000000ffffffff"), header},
		{"reserved 28", h("1c"), header},
		{"indefinite", h("9f"), header},
		{"truncated argument", h("1a0001"), header},
		{"half float", h("f93c00"), header},
		{"single float", h("fa3f800000"), header},
		{"double float", h("fb3ff0000000000000"), header},
		{"undefined", h("f7"), header},
		{"simple 0", h("e0"), header},
		{"two-byte simple", h("f814"), header},
		{"uint above int64", h("1b8000000000000000"), readInt},
		{"text as int", h("60"), readInt},
		{"null as bool", h("f6"), readBool},
		{"int as bool", h("01"), readBool},
		{"text over input", h("6561"), readText},
		{"bad UTF-8", h("62c328"), readText},
		{"bytes as text", h("4161"), readText},
		{"text as bytes", h("6161"), readBytes},
		{"other tag", append(h("d82b"), link[2:]...), readLink},
		{"link without prefix", append(h("d82a5824"), testCID.Bytes()...), readLink},
		{"link bad prefix", append(h("d82a582501"), testCID.Bytes()...), readLink},
		{"link short", h("d82a4100"), readLink},
		{"array over input", h("9b1000000000000000"), readArray},
		{"array of 2 in 1 byte", h("8200"), readArray},
		{"map of 1 in 1 byte", h("a100"), readMap},
		{"map as array", h("a0"), readArray},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.read(NewReader(c.in))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("read %x: error %v, want ErrInvalid", c.in, err)
			}
		})
	}
}

func header(r *Reader) error    { _, _, err := r.ReadHeader(); return err }
func readInt(r *Reader) error   { _, err := r.ReadInt(); return err }
func readBool(r *Reader) error  { _, err := r.ReadBool(); return err }
func readText(r *Reader) error  { _, err := r.ReadText(); return err }
func readBytes(r *Reader) error { _, err := r.ReadBytes(); return err }
func readLink(r *Reader) error  { _, err := r.ReadLink(); return err }
func readArray(r *Reader) error { _, err := r.ReadArrayHeader(); return err }
func readMap(r *Reader) error   { _, err := r.ReadMapHeader(); return err }

func TestReader_ReadKey(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		ok   bool
	}{
		{"length first", []string{"b", "aa", "aaa"}, true},
		{"bytewise within length", []string{"a", "b", "c"}, true},
		{"bytewise across lengths", []string{"aa", "b"}, false},
		{"descending", []string{"b", "a"}, false},
		{"duplicate", []string{"a", "a"}, false},
		{"empty key first", []string{"", "a"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b []byte
			for _, k := range c.keys {
				b = AppendText(b, k)
			}
			err := readKeys(NewReader(b), c.keys)
			if (err == nil) != c.ok {
				t.Fatalf("keys %q: error %v, want ok=%v", c.keys, err, c.ok)
			}
			if err = readKeyBytes(NewReader(b), c.keys); (err == nil) != c.ok {
				t.Fatalf("keys %q (bytes): error %v, want ok=%v", c.keys, err, c.ok)
			}
		})
	}
	if _, err := NewReader(h("01")).ReadKey("", true); !errors.Is(err, ErrInvalid) {
		t.Fatalf("integer key: error %v", err)
	}
}

func readKeys(r *Reader, keys []string) error {
	var prev string
	for i, want := range keys {
		k, err := r.ReadKey(prev, i == 0)
		if err != nil {
			return err
		}
		if k != want {
			return errors.New("read " + k + ", want " + want)
		}
		prev = k
	}
	return nil
}

func readKeyBytes(r *Reader, keys []string) error {
	var prev []byte
	for i := range keys {
		k, err := r.ReadKeyBytes(prev, i == 0)
		if err != nil {
			return err
		}
		prev = k
	}
	return nil
}

func TestReader_Position(t *testing.T) {
	in := h("8201 02 ff")
	r := NewReader(in)
	if m, err := r.Peek(); err != nil || m != Array {
		t.Fatalf("Peek = %d, %v", m, err)
	}
	n, err := r.ReadArrayHeader()
	if err != nil || n != 2 || r.Offset() != 1 || r.Remaining() != 3 {
		t.Fatalf("ReadArrayHeader = %d, %v at %d/%d", n, err, r.Offset(), r.Remaining())
	}
	_, _ = r.ReadInt()
	_, _ = r.ReadInt()
	if err := r.Done(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("Done with a byte left: %v", err)
	}
	r.Reset(h("00"))
	if _, err := r.ReadInt(); err != nil || r.Done() != nil {
		t.Fatalf("after Reset: %v", err)
	}
	if _, err := r.Peek(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Peek at end: %v", err)
	}
	if r.ReadNull() {
		t.Fatal("ReadNull at end reported a null")
	}
}

func TestReader_HugeClaimAllocatesNothing(t *testing.T) {
	in := h("9b 1000000000000000 00")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := NewReader(in).ReadArrayHeader(); err == nil {
			t.Fatal("huge claim accepted")
		}
	})
	if allocs > 8 { // the error message only
		t.Fatalf("rejecting a huge claim made %v allocations", allocs)
	}
}
