package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// repoWrite is how an account's repository reaches the target.
type repoWrite int

const (
	repoThere   repoWrite = iota // the target's head is the source's: verify it
	repoCreate                   // no account on the target: create it
	repoReplace                  // the target's repository is behind: replace it
	repoRefill                   // the head is there but not all of it: write again
)

// copyRepo brings the account and its repository to the target and
// verifies it there.
func (c *copier) copyRepo(ctx context.Context, a store.Account) error {
	h, err := c.from.Head(ctx, a.DID)
	if err != nil {
		return fmt.Errorf("read source head: %w", err)
	}
	mode, prev, err := c.targetRepo(ctx, a, h)
	if err != nil {
		return err
	}
	if mode != repoThere {
		if err := c.writeRepo(ctx, a, h, mode, prev); err != nil {
			return err
		}
	}
	err = c.verifyRepo(ctx, a, h)
	if err != nil && mode == repoThere && !rhizome.Is(err, rhizome.Unavailable) {
		// an interrupted copy left the head but not all blocks or records
		if err = c.writeRepo(ctx, a, h, repoRefill, h.Commit); err == nil {
			err = c.verifyRepo(ctx, a, h)
		}
	}
	if err != nil {
		return fmt.Errorf("verify repository on the target: %w", err)
	}
	c.prog.update(false, func(n *copyCounts) {
		n.VerifiedRepos++
		if mode == repoThere {
			n.Skipped++
		}
	})
	return nil
}

// targetRepo decides how the repository reaches the target, refusing a
// target that holds another account under the DID or a repository the
// source's is not ahead of. It brings the account's changeable fields
// (handle, email, password, status) up to date.
func (c *copier) targetRepo(ctx context.Context, a store.Account, h store.Head) (repoWrite, cid.CID, error) {
	t, err := c.to.Account(ctx, a.DID)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
		if _, err := c.to.Head(ctx, a.DID); !rhizome.Is(err, rhizome.NotFound) {
			return 0, cid.CID{}, differs("the target has a repository for %s but no account", a.DID)
		}
		return repoCreate, cid.CID{}, nil
	case err != nil:
		return 0, cid.CID{}, fmt.Errorf("read target account: %w", err)
	case !bytes.Equal(t.SigningKey, a.SigningKey) || !t.CreatedAt.Equal(a.CreatedAt):
		return 0, cid.CID{}, differs("the target holds another account %s (other signing key or creation time)", a.DID)
	}
	if err := c.updateAccount(ctx, t, a); err != nil {
		return 0, cid.CID{}, err
	}
	th, err := c.to.Head(ctx, a.DID)
	switch {
	case err != nil:
		return 0, cid.CID{}, fmt.Errorf("read target head: %w", err)
	case th == h:
		return repoThere, cid.CID{}, nil
	case th.Rev < h.Rev:
		return repoReplace, th.Commit, nil
	}
	return 0, cid.CID{}, differs("the target's repository of %s is at rev %s, not behind the source's %s", a.DID, th.Rev, h.Rev)
}

// differs is the refusal to write over different data.
func differs(format string, args ...any) error {
	return rhizome.Errorf("store copy", rhizome.Conflict, format, args...)
}

// updateAccount sets the target account's changeable fields to the
// source's where they differ.
func (c *copier) updateAccount(ctx context.Context, t, a store.Account) error {
	var u store.AccountUpdate
	if t.Handle != a.Handle {
		u.Handle = &a.Handle
	}
	if t.Email != a.Email {
		u.Email = &a.Email
	}
	if t.PasswordHash != a.PasswordHash {
		u.PasswordHash = &a.PasswordHash
	}
	if t.Status != a.Status {
		u.Status = &a.Status
	}
	if u.Handle == nil && u.Email == nil && u.PasswordHash == nil && u.Status == nil {
		return nil
	}
	if err := c.to.UpdateAccount(ctx, a.DID, u); err != nil {
		return fmt.Errorf("update target account: %w", err)
	}
	return nil
}

// repoWriter writes a repository to the target in chunks, each one
// commit that leaves the head at the source's: the first creates the
// account, replaces the repository or finds it at the head, the others
// compare the head with itself.
type repoWriter struct {
	c      *copier
	a      store.Account
	h      store.Head
	mode   repoWrite
	prev   cid.CID
	blocks []rhizome.Block
	size   int
	first  bool
}

// writeRepo writes every block of the source's repository, then its
// record index with blob references.
func (c *copier) writeRepo(ctx context.Context, a store.Account, h store.Head, mode repoWrite, prev cid.CID) error {
	w := &repoWriter{c: c, a: a, h: h, mode: mode, prev: prev, first: true}
	err := c.from.BlocksSince(ctx, a.DID, "", func(b rhizome.Block) error {
		w.blocks, w.size = append(w.blocks, b), w.size+len(b.Data)
		if len(w.blocks) < c.chunkBlocks && w.size < c.chunkBytes {
			return nil
		}
		return w.flush(ctx, nil)
	})
	if err != nil {
		return fmt.Errorf("copy blocks: %w", err)
	}
	if len(w.blocks) > 0 || w.first {
		if err := w.flush(ctx, nil); err != nil {
			return fmt.Errorf("copy blocks: %w", err)
		}
	}
	return w.writeIndex(ctx)
}

// flush writes the pending blocks and ops as one commit.
func (w *repoWriter) flush(ctx context.Context, ops []store.RecordOp) error {
	cm := store.Commit{Prev: w.h.Commit, Head: w.h, Blocks: w.blocks, Ops: ops}
	var err error
	switch {
	case w.first && w.mode == repoCreate:
		cm.Prev = cid.CID{}
		_, err = w.c.to.CreateAccount(ctx, store.NewAccount{Account: w.a, Genesis: cm})
	case w.first && w.mode == repoReplace:
		cm.Prev, cm.Replace = w.prev, true
		_, err = w.c.to.ApplyCommit(ctx, cm)
	default:
		_, err = w.c.to.ApplyCommit(ctx, cm)
	}
	if err != nil {
		return err
	}
	n := int64(len(w.blocks))
	w.c.prog.update(false, func(c *copyCounts) { c.Blocks += n; c.Records += int64(len(ops)) })
	w.blocks, w.size, w.first = nil, 0, false
	return nil
}

// writeIndex writes the record index, collection by collection, with the
// blobs each record references.
func (w *repoWriter) writeIndex(ctx context.Context) error {
	colls, err := w.c.from.Collections(ctx, w.a.DID)
	if err != nil {
		return fmt.Errorf("list collections: %w", err)
	}
	for _, coll := range colls {
		err := eachRecord(ctx, w.c.from, w.a.DID, coll, func(page []store.Record) error {
			ops, err := recordOps(page)
			if err == nil {
				err = w.flush(ctx, ops)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("copy record index of %s: %w", coll, err)
		}
	}
	return nil
}

// eachRecord calls fn with each page of a collection's records.
func eachRecord(ctx context.Context, st store.Store, did syntax.DID, coll syntax.NSID, fn func([]store.Record) error) error {
	const pageSize = 1000
	cursor := ""
	for {
		page, err := st.ListRecords(ctx, did, coll, store.Page{Cursor: cursor, Limit: pageSize})
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		cursor = string(page[len(page)-1].RKey)
	}
}

// recordOps are the index entries of records, with the blobs they
// reference.
func recordOps(recs []store.Record) ([]store.RecordOp, error) {
	ops := make([]store.RecordOp, len(recs))
	for i, r := range recs {
		ops[i] = store.RecordOp{Collection: r.Collection, RKey: r.RKey, CID: r.CID}
		v, err := data.DecodeRecord(r.Value)
		if err != nil {
			return nil, fmt.Errorf("decode record %s/%s: %w", r.Collection, r.RKey, err)
		}
		for _, b := range data.Blobs(v) {
			ops[i].Blobs = append(ops[i].Blobs, b.Ref)
		}
	}
	return ops, nil
}

// verifyRepo checks the repository on the target: its head is the
// source's, the commit is signed by the account's key, the tree is well
// formed with every record block present and matching its CID, and the
// record index holds exactly the tree's records.
func (c *copier) verifyRepo(ctx context.Context, a store.Account, want store.Head) error {
	h, err := c.to.Head(ctx, a.DID)
	if err != nil {
		return err
	}
	if h != want {
		return rhizome.Errorf("verify repo", rhizome.Corrupt, "target head %s (rev %s), want %s (rev %s)", h.Commit, h.Rev, want.Commit, want.Rev)
	}
	r, err := repo.Open(ctx, c.to.RepoBlocks(a.DID), h.Commit)
	if err != nil {
		return err
	}
	if err := c.checkCommit(r, a, h); err != nil {
		return err
	}
	if _, _, err := r.Verify(ctx); err != nil {
		return err
	}
	return c.checkIndex(ctx, r, a.DID)
}

// checkCommit checks the head commit's fields and signature.
func (c *copier) checkCommit(r *repo.Repo, a store.Account, h store.Head) error {
	commit, _ := r.Head()
	if commit.DID != a.DID || commit.Rev != h.Rev || commit.Data != h.Data {
		return rhizome.Errorf("verify repo", rhizome.Corrupt, "commit %s does not match the head it is filed under", h.Commit)
	}
	s, err := c.keyring.Open(a.SigningKey, string(a.DID))
	if err != nil {
		return rhizome.Errorf("verify repo", rhizome.Invalid,
			"open the signing key of %s with the keyring of %s (is --data the pod's data folder?): %w", a.DID, c.keyringPath, err)
	}
	if err := commit.Verify(s.PublicKey()); err != nil {
		return rhizome.Errorf("verify repo", rhizome.Corrupt, "commit %s: %w", h.Commit, err)
	}
	return nil
}

// checkIndex compares the target's record index with the tree.
func (c *copier) checkIndex(ctx context.Context, r *repo.Repo, did syntax.DID) error {
	tree := map[string]cid.CID{}
	err := r.Tree().Walk(ctx, "", func(key string, val cid.CID) error {
		tree[key] = val
		return nil
	})
	if err != nil {
		return err
	}
	colls, err := c.to.Collections(ctx, did)
	if err != nil {
		return err
	}
	indexed := 0
	for _, coll := range colls {
		err := eachRecord(ctx, c.to, did, coll, func(page []store.Record) error {
			for _, rec := range page {
				if tree[repo.Path(rec.Collection, rec.RKey)] != rec.CID || !rec.CID.Matches(rec.Value) {
					return rhizome.Errorf("verify repo", rhizome.Corrupt, "index entry %s/%s does not match the tree", rec.Collection, rec.RKey)
				}
			}
			indexed += len(page)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if indexed != len(tree) {
		return rhizome.Errorf("verify repo", rhizome.Corrupt, "the record index holds %d records, the tree %d", indexed, len(tree))
	}
	return nil
}
