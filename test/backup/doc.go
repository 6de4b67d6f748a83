// Package backup is the end-to-end suite of encrypted backups: real pods
// (rhizome serve on loopback, SQLite) and a PLC directory on loopback;
// an account is backed up into an archive, the archive is searched for
// plaintext, tampered with, and restored onto another pod; and the bytes
// an incremental backup writes are measured.
package backup
