// Package keystore keeps the keys a user holds (their rotation key above
// all) in files encrypted at rest with a passphrase, and reads that
// passphrase from a terminal, a file or the environment.
//
// # Files
//
// A keystore is a directory (mode 0700 when the package creates it; see
// [DefaultDir]) of key files named NAME.key, each mode 0600, written
// atomically (a temporary file, fsync, a hard link to the final name,
// fsync of the directory) and never overwritten. A key file is text:
//
//	rhizome-keystore-v1
//	{"didKey":"did:key:zQ3s...","curve":"secp256k1","label":"rotation","created":"2025-01-02T03:04:05Z"}
//	-----BEGIN AGE ENCRYPTED FILE-----
//	...
//	-----END AGE ENCRYPTED FILE-----
//
// The second line is the public header, in the clear so that [List] and
// [Read] can show which key a file holds without the passphrase. The rest
// is an age file (https://age-encryption.org/v1), ASCII-armored, encrypted
// to an scrypt passphrase recipient: scrypt is memory-hard, and age seals
// the payload with ChaCha20-Poly1305. Its plaintext is a JSON object
// holding a copy of the header and the private key in multibase form
// (keys.ExportPrivateMultibase). [Unlock] checks that the decrypted copy
// of the header equals the clear one and that the private key's public
// half is the header's did:key, so a header edited in place is caught.
//
// The scrypt work factor is age's default (2^18, about 256 MiB and a
// second or so) unless [WorkFactor] says otherwise; tests lower it.
// [MaxWorkFactor] caps what Unlock will attempt, so a doctored file
// cannot ask for unbounded memory.
//
// # Errors
//
// Every error is a *rhizome.Error. A wrong passphrase is of kind
// rhizome.Unauthorized (so is a file whose passphrase block was altered:
// age cannot tell the two apart); any other damage is rhizome.Corrupt; an
// existing key name is rhizome.Exists; a missing file is rhizome.NotFound;
// bad arguments are rhizome.Invalid. Errors never contain key material or
// passphrases.
//
// # Passphrases
//
// [Source] gathers a passphrase for the command line: from a file
// (--passphrase-file), else from the RHIZOME_PASSPHRASE environment
// variable, else from the terminal without echo, asking twice when a new
// key is being made. Passphrases are []byte so callers can clear them;
// age itself takes a string copy, which Go cannot wipe.
package keystore
