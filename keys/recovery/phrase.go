package recovery

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"

	"github.com/cosmos/go-bip39"

	"github.com/rhizome-pds/rhizome"
)

// Sizes of a phrase.
const (
	WordCount    = 24 // words in a phrase
	EntropyBytes = 32 // 256 bits of entropy
	wordBits     = 11 // each word encodes 11 bits
	abbrevLen    = 4  // BIP-39 English words are unique in their first 4 letters
)

// Phrase is a 24-word BIP-39 recovery phrase. The zero value is no phrase:
// its methods fail or return nothing. Printing a Phrase with fmt shows no
// words; call [Phrase.Words] or [Phrase.Mnemonic] to reveal them.
type Phrase struct {
	entropy [EntropyBytes]byte
	set     bool
}

// New draws a fresh phrase from the system's secure random source.
func New() (Phrase, error) {
	var p Phrase
	if _, err := rand.Read(p.entropy[:]); err != nil {
		return Phrase{}, rhizome.E("new recovery phrase", rhizome.Other, err)
	}
	p.set = true
	return p, nil
}

// fromEntropy makes the phrase that encodes e.
func fromEntropy(e [EntropyBytes]byte) Phrase { return Phrase{entropy: e, set: true} }

// Mnemonic returns the phrase as 24 lower-case words joined by single
// spaces, the normalised form the derivation hashes. It returns "" for the
// zero Phrase.
func (p Phrase) Mnemonic() string {
	if !p.set {
		return ""
	}
	m, err := bip39.NewMnemonic(p.entropy[:])
	if err != nil { // unreachable: 256 bits is a valid BIP-39 size
		panic("recovery: encode mnemonic: " + err.Error())
	}
	return m
}

// Words returns the 24 words in order, or nil for the zero Phrase.
func (p Phrase) Words() []string {
	if !p.set {
		return nil
	}
	return strings.Fields(p.Mnemonic())
}

// IsZero reports whether p is the zero Phrase.
func (p Phrase) IsZero() bool { return !p.set }

// Wipe overwrites the entropy held by p and makes it the zero Phrase.
// Strings already returned by Mnemonic or Words are not reachable from here.
func (p *Phrase) Wipe() {
	clear(p.entropy[:])
	p.set = false
}

// String and GoString keep fmt from printing the words.
func (p Phrase) String() string {
	if !p.set {
		return "recovery.Phrase(none)"
	}
	return "recovery.Phrase(24 words, hidden)"
}

func (p Phrase) GoString() string { return p.String() }

// Parse reads a phrase as a person typed it: words separated by any
// whitespace, in any case. Each word must be in the BIP-39 English word
// list or be the 4-letter abbreviation of exactly one word in it; there
// must be 24 of them; and the checksum they carry must match.
func Parse(s string) (Phrase, error) {
	const op = "parse recovery phrase"
	fields := strings.Fields(strings.ToLower(s))
	if len(fields) != WordCount {
		return Phrase{}, rhizome.Errorf(op, rhizome.Invalid, "phrase has %d words, want %d", len(fields), WordCount)
	}
	var idx [WordCount]uint16
	for i, w := range fields {
		n, err := wordIndex(w)
		if err != nil {
			return Phrase{}, rhizome.Errorf(op, rhizome.Invalid, "word %d %w", i+1, err)
		}
		idx[i] = n
	}
	e, sum := unpack(idx)
	if sha256.Sum256(e[:])[0] != sum {
		return Phrase{}, rhizome.E(op, rhizome.Invalid,
			"checksum does not match: a word is wrong, or two words are swapped")
	}
	return fromEntropy(e), nil
}

// wordIndex returns the position of w in the word list, accepting a unique
// 4-letter abbreviation.
func wordIndex(w string) (uint16, error) {
	if n, ok := bip39.ReverseWordMap[w]; ok {
		return uint16(n), nil
	}
	if len(w) == abbrevLen {
		if n, ok := abbreviations()[w]; ok {
			return n, nil
		}
	}
	if full, ok := suggest(w); ok {
		return 0, fmt.Errorf("%q is not in the BIP-39 English word list (did you mean %q?)", clip(w), full)
	}
	return 0, fmt.Errorf("%q is not in the BIP-39 English word list", clip(w))
}

// suggest returns the word sharing w's first four letters, if w has them.
func suggest(w string) (string, bool) {
	if len(w) < abbrevLen {
		return "", false
	}
	n, ok := abbreviations()[w[:abbrevLen]]
	if !ok {
		return "", false
	}
	return bip39.WordList[n], true
}

var (
	abbrevOnce sync.Once
	abbrevMap  map[string]uint16
)

// abbreviations maps the first four letters of every word of four or more
// letters to its index. Built on first use.
func abbreviations() map[string]uint16 {
	abbrevOnce.Do(func() {
		abbrevMap = make(map[string]uint16, len(bip39.WordList))
		for i, w := range bip39.WordList {
			if len(w) >= abbrevLen {
				abbrevMap[w[:abbrevLen]] = uint16(i)
			}
		}
	})
	return abbrevMap
}

// unpack reads 24 11-bit word indexes as 264 big-endian bits: 256 bits of
// entropy followed by an 8-bit checksum.
func unpack(idx [WordCount]uint16) (e [EntropyBytes]byte, sum byte) {
	var bits [EntropyBytes + 1]byte
	for i, n := range idx {
		for b := 0; b < wordBits; b++ {
			if n>>(wordBits-1-b)&1 == 1 {
				pos := i*wordBits + b
				bits[pos/8] |= 0x80 >> (pos % 8)
			}
		}
	}
	copy(e[:], bits[:EntropyBytes])
	sum = bits[EntropyBytes]
	clear(bits[:])
	return e, sum
}

// clip shortens untrusted input quoted in an error.
func clip(s string) string {
	const n = 32
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
