package pds

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Replicas (package replica) keep read-only copies of repositories other
// pods host. Their account rows have status store.Replica: reads are
// served, writes and sign-ins refused, and no event is emitted for them
// until PromoteReplica makes the account an active one.

const opReplica = "keep replica"

// errReplica is what a write to a replica is refused with.
func errReplica(did syntax.DID) error {
	return rhizome.Errorf("check account", rhizome.Forbidden,
		"%s is a read-only replica on this pod; write to its primary pod", did).Named("RepoReadOnlyReplica")
}

// SnapshotCommit is the commit that replaces a repository's contents
// with imported (read into staging): its tree, its records and, as the
// head, imported's own signed commit (a replica serves the primary's
// commits, not its own). Prev is the head it replaces; zero for a new
// repository.
func SnapshotCommit(ctx context.Context, did syntax.DID, imported *repo.Repo, staging *mem.Blocks, prev cid.CID) (store.Commit, error) {
	commit, head := imported.Head()
	if commit.DID != did {
		return store.Commit{}, rhizome.Errorf(opReplica, rhizome.Invalid, "the repository is of %s, not %s", commit.DID, did)
	}
	ops, err := importOps(ctx, imported, staging)
	if err != nil {
		return store.Commit{}, err
	}
	blocks, err := treeBlocks(ctx, imported, staging)
	if err != nil {
		return store.Commit{}, err
	}
	return store.Commit{Prev: prev, Replace: prev.Defined(), Blocks: append(blocks, commit.Block()), Ops: ops,
		Head: store.Head{DID: did, Commit: head, Rev: commit.Rev, Data: commit.Data}}, nil
}

// CreateReplica creates the replica account of did holding genesis (a
// SnapshotCommit of the primary's repository). The account gets its own
// signing key (reserved for did, or new), unused until a promotion names
// it in the DID document, and no usable password. No event is emitted.
func (p *PDS) CreateReplica(ctx context.Context, did syntax.DID, handle syntax.Handle, genesis store.Commit) error {
	if _, err := p.store.Account(ctx, did); err == nil {
		return rhizome.Errorf(opReplica, rhizome.Exists, "%s already has an account here", did).Named("AlreadyExists")
	}
	s, err := p.adoptedSigner(ctx, did)
	if err != nil {
		return err
	}
	sealed, err := p.keyring.Seal(s, string(did))
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(randomSecret())
	if err != nil {
		return err
	}
	a := store.Account{DID: did, Handle: handle, PasswordHash: hash, SigningKey: sealed, Status: store.Replica, CreatedAt: store.Now()}
	genesis.Prev, genesis.Replace, genesis.Event = cid.CID{}, false, nil
	if _, err := p.store.CreateAccount(ctx, store.NewAccount{Account: a, Genesis: genesis}); err != nil {
		return accountError(err)
	}
	if err := p.reserved.Release(ctx, did); err != nil {
		p.log.Warn("releasing a reserved key failed", "did", did, "err", err)
	}
	return nil
}

func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ReplicaKey is the signing key a replica's promotion names as the DID's
// #atproto key.
func (p *PDS) ReplicaKey(ctx context.Context, did syntax.DID) (keys.PublicKey, error) {
	if err := p.checkReplica(ctx, did); err != nil {
		return nil, err
	}
	s, err := p.signer(ctx, did)
	if err != nil {
		return nil, err
	}
	return s.PublicKey(), nil
}

func (p *PDS) checkReplica(ctx context.Context, did syntax.DID) error {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "RepoNotFound")
	}
	if a.Status != store.Replica {
		return rhizome.Errorf(opReplica, rhizome.Invalid, "%s is not a replica here (it is %s)", did, a.Status).Named("NotAReplica")
	}
	return nil
}

// ApplyReplicated stores a commit of a replica (verified by the caller):
// the store's compare-and-swap on c.Prev keeps a racing double-apply out.
func (p *PDS) ApplyReplicated(ctx context.Context, did syntax.DID, c store.Commit) error {
	if err := p.checkReplica(ctx, did); err != nil {
		return err
	}
	c.Event = nil
	_, err := p.store.ApplyCommit(ctx, c)
	return err
}

// PutReplicaBlob stores a blob of a replica read from r, which must hash
// to want; it is kept as permanent (a verified record references it).
func (p *PDS) PutReplicaBlob(ctx context.Context, did syntax.DID, want cid.CID, mimeType string, r io.Reader) error {
	if err := p.checkReplica(ctx, did); err != nil {
		return err
	}
	mt, err := cleanMIME(mimeType)
	if err != nil {
		mt = "application/octet-stream"
	}
	unlock := p.blobLocks.lock(did)
	defer unlock()
	c, n, err := p.blobs.Put(ctx, did, r, p.cfg.MaxBlobSize)
	if err != nil {
		return err
	}
	if c != want {
		if derr := p.blobs.Delete(ctx, did, c); derr != nil {
			p.log.Warn("replica: deleting a mismatched blob failed", "did", did, "cid", c, "err", derr)
		}
		return rhizome.Errorf(opReplica, rhizome.Corrupt, "blob %s from the primary hashes to %s", want, c)
	}
	return p.store.PutBlob(ctx, store.Blob{DID: did, CID: c, MimeType: mt, Size: n, CreatedAt: store.Now()})
}

// RemoveReplica forgets a replica: its account, repository and blobs. No
// event is emitted (none was for it).
func (p *PDS) RemoveReplica(ctx context.Context, did syntax.DID) error {
	if err := p.checkReplica(ctx, did); err != nil {
		return err
	}
	if err := p.store.DeleteAccount(ctx, did); err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	return p.blobs.DeleteAll(ctx, did)
}

// PromoteReplica makes a replica an active account of this pod once its
// DID names this pod and the replica's signing key (the DID's owner
// signed that with their rotation key). The account gets password; the
// change is announced as an activation: #identity, #account active, then
// the head re-signed by the account's key at a new rev (#sync).
func (p *PDS) PromoteReplica(ctx context.Context, did syntax.DID, password string) error {
	key, err := p.ReplicaKey(ctx, did)
	if err != nil {
		return err
	}
	if len(password) < 8 {
		return rhizome.E(opReplica, rhizome.Invalid, "the password must have at least 8 characters")
	}
	st, err := p.inspect(ctx, did)
	if err != nil {
		return err
	}
	if !p.namesUs(st, key) {
		return rhizome.Errorf(opReplica, rhizome.Invalid,
			"%s does not name this pod (%s) and the replica's key %s yet; sign that change with the DID's rotation key first",
			did, p.cfg.PublicURL, key.DIDKey()).Named("IncompatibleDidDoc")
	}
	if err := p.SetPassword(ctx, did, password); err != nil {
		return err
	}
	return p.SetStatus(ctx, did, store.Active)
}
