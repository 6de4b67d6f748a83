package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// copyAppPasswords copies the account's app passwords; one of the same
// name must have the same hash.
func (c *copier) copyAppPasswords(ctx context.Context, did syntax.DID) error {
	src, err := c.from.AppPasswords(ctx, did)
	if err != nil {
		return fmt.Errorf("list app passwords: %w", err)
	}
	have, err := c.to.AppPasswords(ctx, did)
	if err != nil {
		return fmt.Errorf("list target app passwords: %w", err)
	}
	for _, p := range src {
		i := slices.IndexFunc(have, func(h store.AppPassword) bool { return h.Name == p.Name })
		switch {
		case i >= 0 && (have[i].PasswordHash != p.PasswordHash || have[i].Privileged != p.Privileged):
			return differs("app password %q of %s differs on the target", p.Name, did)
		case i >= 0:
			c.prog.update(false, func(n *copyCounts) { n.Skipped++ })
			continue
		}
		if err := c.to.CreateAppPassword(ctx, p); err != nil {
			return fmt.Errorf("create app password %q: %w", p.Name, err)
		}
	}
	return nil
}

// copySessions copies the account's live refresh tokens; tokens already
// on the target are left as they are (a token rotated on the source
// since an earlier copy keeps its old state there until it expires).
func (c *copier) copySessions(ctx context.Context, did syntax.DID) error {
	cursor := ""
	for {
		page, err := c.from.ListRefreshTokens(ctx, did, store.Page{Cursor: cursor, Limit: 500})
		if err != nil {
			return fmt.Errorf("list sessions: %w", err)
		}
		for _, t := range page {
			err := c.to.PutRefreshToken(ctx, t)
			switch {
			case rhizome.Is(err, rhizome.Exists):
				c.prog.update(false, func(n *copyCounts) { n.Skipped++ })
			case err != nil:
				return fmt.Errorf("store session: %w", err)
			default:
				c.prog.update(false, func(n *copyCounts) { n.Sessions++ })
			}
		}
		if len(page) < 500 {
			return nil
		}
		cursor = page[len(page)-1].ID
	}
}

// copyInvites copies invite codes with their uses; a code already on the
// target must be the same.
func (c *copier) copyInvites(ctx context.Context) error {
	cursor := ""
	for {
		page, err := c.from.ListInvites(ctx, store.Page{Cursor: cursor, Limit: 500})
		if err != nil {
			return fmt.Errorf("list invites: %w", err)
		}
		for _, inv := range page {
			if err := c.copyInvite(ctx, inv); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
		cursor = page[len(page)-1].Code
	}
}

func (c *copier) copyInvite(ctx context.Context, inv store.Invite) error {
	have, err := c.to.Invite(ctx, inv.Code)
	switch {
	case err == nil && (have.Available != inv.Available || have.Disabled != inv.Disabled || !slices.Equal(have.UsedBy, inv.UsedBy)):
		return differs("invite %q differs on the target", inv.Code)
	case err == nil:
		c.prog.update(false, func(n *copyCounts) { n.Skipped++ })
		return nil
	case !rhizome.Is(err, rhizome.NotFound):
		return fmt.Errorf("read target invite: %w", err)
	}
	if err := c.to.CreateInvite(ctx, inv); err != nil {
		return fmt.Errorf("create invite %q: %w", inv.Code, err)
	}
	c.prog.update(false, func(n *copyCounts) { n.Invites++ })
	return nil
}

// copyPLC copies the embedded PLC directory's operations in export
// order. Each DID's log on the target must be a prefix of the source's;
// the rest is appended with nullified flags as the source has them.
func (c *copier) copyPLC(ctx context.Context) error {
	logs := map[syntax.DID]*plcLog{}
	var after int64
	for {
		page, err := c.from.PLCExport(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("export plc operations: %w", err)
		}
		for _, e := range page {
			if err := c.copyPLCEntry(ctx, logs, e); err != nil {
				return fmt.Errorf("copy plc operation %s of %s: %w", e.CID, e.DID, err)
			}
			after = e.Seq
		}
		if len(page) < 1000 {
			return nil
		}
	}
}

// plcLog is a DID's log on the target and how much of it was matched.
type plcLog struct {
	entries []store.PLCEntry
	matched int
}

func (c *copier) copyPLCEntry(ctx context.Context, logs map[syntax.DID]*plcLog, e store.PLCEntry) error {
	l := logs[e.DID]
	if l == nil {
		entries, err := c.to.PLCLog(ctx, e.DID)
		if err != nil && !rhizome.Is(err, rhizome.NotFound) {
			return err
		}
		l = &plcLog{entries: entries}
		logs[e.DID] = l
	}
	if l.matched < len(l.entries) {
		t := l.entries[l.matched]
		if t.CID != e.CID || t.Nullified != e.Nullified || !bytes.Equal(t.Op, e.Op) {
			return differs("the target's log of %s differs at operation %d", e.DID, l.matched)
		}
		l.matched++
		c.prog.update(false, func(n *copyCounts) { n.Skipped++ })
		return nil
	}
	var last cid.CID
	if len(l.entries) > 0 {
		last = l.entries[len(l.entries)-1].CID
	}
	e.Seq = 0
	if err := c.to.AppendPLC(ctx, store.PLCAppend{Entry: e, Last: last}); err != nil {
		return err
	}
	l.entries, l.matched = append(l.entries, e), l.matched+1
	c.prog.update(false, func(n *copyCounts) { n.PLCOps++ })
	return nil
}

// copyPreferences makes the target's preferences of the account the
// source's, whole: they are the account's current state, like its
// handle, so a source that changed them since an earlier copy wins.
func (c *copier) copyPreferences(ctx context.Context, did syntax.DID) error {
	src, err := c.from.Preferences(ctx, did)
	if err != nil {
		return fmt.Errorf("read preferences: %w", err)
	}
	have, err := c.to.Preferences(ctx, did)
	if err != nil {
		return fmt.Errorf("read target preferences: %w", err)
	}
	same := slices.EqualFunc(src, have, func(a, b store.Preference) bool {
		return a.Type == b.Type && bytes.Equal(a.Value, b.Value)
	})
	if same {
		return nil
	}
	if err := c.to.PutPreferences(ctx, did, src); err != nil {
		return fmt.Errorf("put preferences: %w", err)
	}
	return nil
}
