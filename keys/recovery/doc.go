// Package recovery turns a BIP-39 recovery phrase into the user's rotation
// key, the top authority over their DID.
//
// A [Phrase] is 24 words from the BIP-39 English word list: 256 bits of
// entropy and an 8-bit checksum. [New] draws a fresh one; [Parse] reads one
// a person typed back, normalising case and whitespace, accepting the
// 4-letter abbreviations that uniquely name each word, and saying which
// word is wrong when it can. The package never writes a phrase anywhere:
// show it once, let the user write it down, drop it.
//
// # Derivation (version 1, fixed forever)
//
// The rotation key is a secp256k1 key ([keys.K256]) derived as follows:
//
//  1. seed = the BIP-39 seed of the phrase: PBKDF2-HMAC-SHA512 over the
//     normalised mnemonic (the 24 lower-case words joined by single
//     spaces), salt "mnemonic" (the empty BIP-39 passphrase), 2048
//     iterations, 64 bytes;
//  2. okm = HKDF-SHA256 (RFC 5869) with input keying material seed, an
//     empty salt and info "rhizome rotation key v1";
//  3. the private scalar is the first 32-byte block of okm that, read as a
//     big-endian integer, lies in [1, n-1] where n is the secp256k1 group
//     order. (The first block fails with probability about 2^-128; the
//     scan stops after 255 blocks, the most HKDF-SHA256 can produce.)
//
// This is not BIP-32: no wallet derives the same key from the same phrase,
// and the phrase is not meant for one. The golden vectors in the tests pin
// the scheme so that it cannot change silently; a different scheme would
// need a new info string and a version of its own.
//
// Errors are *rhizome.Error; Parse and RotationKey on the zero Phrase fail
// with kind rhizome.Invalid. A Parse error about an unknown word quotes
// that word and its position so the user can fix it; the word may be a
// near miss of a secret one, so such errors are for the user's eyes, not
// for logs. Errors never quote the phrase.
package recovery
