// Package backup makes encrypted, content-addressed, incremental backups
// of one account and verifies and restores them.
//
// # Archive format (version 1)
//
// An archive is a set of files on a [Target] — a folder ([Dir]) or an
// S3-compatible bucket under a prefix ([S3]); a Target only puts whole
// files, gets, tests and lists them:
//
//	rhizome-backup.json        in clear: {"format":"rhizome-backup","version":1}
//	key.age                    the archive's secrets, age-encrypted to the user
//	objects/xx/<64 hex>        encrypted objects: packs, blobs, preferences
//	snapshots/<64 hex>         encrypted manifests, one per snapshot
//
// key.age is an age file encrypted either to the user's age recipients
// (--recipient age1…, --recipients-file) or to a passphrase (age's
// scrypt recipient; the passphrase comes from a file, $RHIZOME_PASSPHRASE
// or the terminal, as for key files). It holds JSON: the format version,
// an age X25519 identity of the archive's own, and a 32-byte name key.
// Every object and manifest is an age file encrypted to the archive's own
// identity's recipient, so one unlock (one scrypt run for a passphrase)
// opens everything, and any object can be read by hand with age -d once
// key.age is opened. age authenticates the header and each 64 KiB chunk,
// the last one marked as last, so a changed, cut or extended object fails
// to decrypt.
//
// An object's name is HMAC-SHA256(name key, plaintext) in hex, fanned
// out by its first two digits. Objects are therefore content-addressed
// (the same pack, blob or preferences is stored once, and a second
// backup skips what is there) and every read is checked twice: age's
// authentication and the name recomputed from the plaintext.
//
// A pack is a CAR v1 with no roots holding repository blocks — commits
// and records — closed at about [PackSize] bytes. MST nodes are not
// stored: a snapshot's index lists every record key with its record CID,
// and the tree is rebuilt from it ([mst.Build]); the rebuilt root must
// equal the signed commit's data CID, so the commit's signature covers
// the index as well as it covers the nodes it replaces. An index object
// is either full or a delta (keys created, changed or deleted since the
// previous snapshot); a snapshot names its chain, a full index and the
// deltas after it (see index.go for the encoding). A blob is one object
// holding its bytes. Preferences (the array app.bsky.actor.getPreferences
// answers) are one object.
//
// A manifest ([Manifest], JSON) names the account (DID, handle, pod), the
// time, the DID's signing key and verified PLC state at that time, the
// commit CID, MST root, rev and record and block counts, the index chain,
// the packs that together hold the commit and every record, every blob
// with its CID, media type, size and object, the preferences object, and
// the snapshot it was made over. The manifest's object names are the
// keyed hashes of their contents and the blobs' CIDs the hashes of
// theirs, so the manifest is the list of every item and its hash. No
// private key of anyone is ever in an archive: not the user's rotation
// key, not the pod's signing key.
//
// # Incremental
//
// A backup downloads the whole repository (sync.getRepo) and verifies it
// (signature against the DID's current key, every block hashed, the MST
// complete) before writing anything. It then reads the packs of the
// archive's latest snapshot of the DID to learn which blocks the archive
// holds, writes the commit and the records it lacks into new packs, lists
// in the new manifest the new packs and the old packs still holding
// records it needs, and writes a delta index (a new full index when the
// chain would pass [MaxDeltas] deltas or its deltas a quarter of the
// records). Blobs the previous snapshot holds are neither downloaded nor
// written again. Downloading the whole repository rather than
// getRepo?since= costs the pod a full export each time but makes every
// snapshot provably complete on its own terms; old packs keep records
// later snapshots no longer reach (there is no pruning yet). A backup
// reads (and so checks) the previous snapshot's packs and index, but
// takes an existing blob object on its name alone: [Archive.Verify] is
// what finds one damaged since.
//
// Why no MST nodes: a record changed at a random place rewrites about
// four nodes of the tree (its path below the shared top), ~1.4 KB against
// the record's ~200 bytes, so storing nodes made a backup after 1% of a
// 10,000-record repository changed 5.2% of the first one's size; without
// them it is 1.1% (test/backup measures it).
//
// # Names: keyed hash, not plaintext hash
//
// Naming objects by the hash of their plaintext (a blob's CID, say) would
// let anyone who can list the archive test whether it holds a file they
// have (confirmation of a file), and so learn whose archive it is from
// one public image or post. Naming by a keyed HMAC, with the key inside
// key.age, reveals nothing about content to someone without the key,
// while keeping deduplication within the archive. The costs: archives
// do not deduplicate against each other, and a backup must open key.age
// to know the names, so an archive made for recipients needs the
// matching identity (--identity) for every later, incremental backup:
// this version cannot take write-only backups with a public key alone.
// What the names and files do reveal: the number of objects and their
// sizes (within age's small overhead; nothing is padded), so a blob's
// approximate size and the number of snapshots are visible.
//
// # Verify and restore
//
// [Archive.Verify] decrypts every object a snapshot needs and checks its
// name, every block's CID, the commit against the manifest and against
// the signing key the manifest recorded, that the index rebuilds the
// signed tree and every record it names is in a pack, and each blob's CID
// and size; the first failure is an error naming the object.
// [Archive.Restore] verifies first and touches neither the pod nor the
// PLC directory if that fails; it then reassembles a plain repository CAR
// and runs custody's restore ([custody.Tool.Restore]) with the snapshot
// as its [custody.Source], and puts the preferences back.
package backup
