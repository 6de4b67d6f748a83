package recovery

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cosmos/go-bip39"

	"github.com/rhizome-pds/rhizome"
)

const hamster = "hamster diagram private dutch cause delay private meat slide toddler razor book happy fancy gospel tennis maple dilemma loan word shrug inflict delay length"

func TestNew(t *testing.T) {
	a, b := mustNew(t), mustNew(t)
	if a.Mnemonic() == b.Mnemonic() {
		t.Fatal("two fresh phrases are equal")
	}
	words := a.Words()
	if len(words) != WordCount {
		t.Fatalf("%d words, want %d", len(words), WordCount)
	}
	for i, w := range words {
		if _, ok := bip39.ReverseWordMap[w]; !ok {
			t.Fatalf("word %d %q not in the word list", i+1, w)
		}
	}
	if p := mustParse(t, a.Mnemonic()); p.entropy != a.entropy {
		t.Fatal("Parse(Mnemonic()) does not round-trip")
	}
	if !bip39.IsMnemonicValid(a.Mnemonic()) {
		t.Fatal("go-bip39 rejects the phrase")
	}
}

func TestParse(t *testing.T) {
	want := mustParse(t, hamster)
	words := strings.Fields(hamster)
	abbrev := make([]string, len(words))
	for i, w := range words {
		abbrev[i] = w[:min(len(w), 4)]
	}
	ok := map[string]string{
		"upper case":       strings.ToUpper(hamster),
		"mixed spacing":    "  " + strings.Join(words[:12], "\t") + "\n\n" + strings.Join(words[12:], "   ") + "\r\n",
		"abbreviations":    strings.Join(abbrev, " "),
		"some abbreviated": strings.Join(append(abbrev[:5:5], words[5:]...), " "),
	}
	for name, in := range ok {
		t.Run(name, func(t *testing.T) {
			if got := mustParse(t, in); got.entropy != want.entropy {
				t.Fatalf("Parse(%q) gives a different phrase", in)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	words := strings.Fields(hamster)
	with := func(i int, w string) string {
		c := append([]string(nil), words...)
		c[i] = w
		return strings.Join(c, " ")
	}
	cases := []struct{ name, in, want string }{
		{"empty", "", "has 0 words"},
		{"23 words", strings.Join(words[:23], " "), "has 23 words, want 24"},
		{"25 words", hamster + " zoo", "has 25 words, want 24"},
		{"12 words", strings.Join(words[:12], " "), "has 12 words"},
		{"unknown word", with(6, "meet"), `word 7 "meet" is not in the BIP-39 English word list`},
		{"misspelt word", with(2, "privat"), `word 3 "privat" is not in the BIP-39 English word list (did you mean "private"?)`},
		{"not ascii", with(0, "hamstér"), `word 1 "hamstér"`},
		{"short unknown", with(23, "zz"), `word 24 "zz"`},
		{"swapped words", swap(words, 0, 1), "checksum does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.in)
			wantParseError(t, err, c.want)
		})
	}
}

// TestParse_Checksum changes each word in turn to its neighbour in the word
// list: every change must break the checksum.
func TestParse_Checksum(t *testing.T) {
	words := strings.Fields(hamster)
	for i, w := range words {
		t.Run(fmt.Sprint("word ", i+1), func(t *testing.T) {
			c := append([]string(nil), words...)
			c[i] = bip39.WordList[(bip39.ReverseWordMap[w]+1)%len(bip39.WordList)]
			_, err := Parse(strings.Join(c, " "))
			wantParseError(t, err, "checksum does not match")
		})
	}
}

func TestPhrase_String(t *testing.T) {
	p := mustParse(t, hamster)
	const hidden = "recovery.Phrase(24 words, hidden)"
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{p, &p, []Phrase{p}} {
			out := fmt.Sprintf(f, v)
			if strings.Contains(out, "hamster") || !strings.Contains(out, hidden) {
				t.Fatalf("Sprintf(%s) = %q, want only %q", f, out, hidden)
			}
		}
	}
	if got := (Phrase{}).String(); got != "recovery.Phrase(none)" {
		t.Fatalf("zero String() = %q", got)
	}
}

func TestPhrase_Wipe(t *testing.T) {
	p := mustParse(t, hamster)
	p.Wipe()
	if !p.IsZero() || p.Mnemonic() != "" || p.Words() != nil || p.entropy != [EntropyBytes]byte{} {
		t.Fatalf("after Wipe: zero=%v mnemonic=%q", p.IsZero(), p.Mnemonic())
	}
}

// TestAbbreviations checks the word-list property the abbreviations rely
// on: the first four letters of a word of four or more letters name it
// alone, and no such prefix is itself a different word.
func TestAbbreviations(t *testing.T) {
	long := 0
	for _, w := range bip39.WordList {
		if len(w) >= abbrevLen {
			long++
			if n, ok := bip39.ReverseWordMap[w[:abbrevLen]]; ok && bip39.WordList[n] != w {
				t.Fatalf("prefix %q of %q is another word", w[:abbrevLen], w)
			}
		}
	}
	if len(abbreviations()) != long || long < 1000 {
		t.Fatalf("%d distinct prefixes for %d words of 4+ letters", len(abbreviations()), long)
	}
}

func swap(words []string, i, j int) string {
	c := append([]string(nil), words...)
	c[i], c[j] = c[j], c[i]
	return strings.Join(c, " ")
}

func wantParseError(t *testing.T, err error, want string) {
	t.Helper()
	var e *rhizome.Error
	if !errors.As(err, &e) || e.Kind != rhizome.Invalid || e.Op != "parse recovery phrase" {
		t.Fatalf("err = %v, want a kind invalid parse recovery phrase error", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want it to contain %q", err, want)
	}
}

func mustParse(t *testing.T, s string) Phrase {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func mustNew(t *testing.T) Phrase {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
