package cid

import (
	"errors"
	"testing"
)

func TestParse_RoundTrip(t *testing.T) {
	for _, s := range []string{
		"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm", // empty MST node
		"bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity", // a raw blob
	} {
		c, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		if c.String() != s {
			t.Fatalf("String() = %q, want %q", c.String(), s)
		}
		back, err := FromBytes(c.Bytes())
		if err != nil || back != c {
			t.Fatalf("FromBytes(Bytes()) = %v, %v", back, err)
		}
	}
}

func TestParse_Rejects(t *testing.T) {
	for name, s := range map[string]string{
		"empty":        "",
		"uppercase":    "BAFYREIE5737GDXLW5I64VZICHCALBA3Z2V5N6ICIFVX5XYTVSKE7MR3HPM",
		"cidv0":        "QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR",
		"dag-pb":       "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
		"truncated":    "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hp",
		"base58":       "zdj7WWeQ43G6JJvLWQWZpyHuAMq6uYWRjkBXFad11vE2LHhQ7",
		"bad alphabet": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3h01",
	} {
		if _, err := Parse(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse(%q) err = %v", name, s, err)
		}
	}
}

func TestFromBytes_Rejects(t *testing.T) {
	good := Sum(DagCBOR, []byte("x")).Bytes()
	mutate := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	for name, b := range map[string][]byte{
		"short":       good[:10],
		"long":        append(append([]byte(nil), good...), 0),
		"version 0":   mutate(0, 0),
		"codec":       mutate(1, 0x70),
		"hash":        mutate(2, 0x13),
		"hash length": mutate(3, 0x10),
	} {
		if _, err := FromBytes(b); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestCID_Matches(t *testing.T) {
	c := Sum(Raw, []byte("hello"))
	if !c.Matches([]byte("hello")) || c.Matches([]byte("hellO")) {
		t.Fatal("Matches does not tell content apart")
	}
	if c.Codec() != Raw || !c.Defined() || (CID{}).Defined() || (CID{}).String() != "" {
		t.Fatal("accessors wrong")
	}
	if Compare(c, c) != 0 || Compare(c, Sum(Raw, []byte("x"))) == 0 {
		t.Fatal("Compare wrong")
	}
}
