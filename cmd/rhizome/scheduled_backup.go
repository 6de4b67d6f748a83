package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/backup"
	"github.com/rhizome-pds/rhizome/custody"
	"github.com/rhizome-pds/rhizome/keys/keystore"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
	"github.com/rhizome-pds/rhizome/xrpc"
)

// backupSchedule is --backup-every, --backup-to and
// --backup-passphrase-file: every interval the pod snapshots every active
// account into one encrypted archive (incremental: only what changed).
type backupSchedule struct {
	every          time.Duration
	to, passphrase string
	keep           int // snapshots kept per account after each round; 0 keeps all
}

func (b backupSchedule) enabled() bool { return b.every > 0 }

// check refuses a half-given schedule at start-up rather than at the
// first backup.
func (b backupSchedule) check() error {
	switch {
	case b.every == 0 && b.to == "" && b.passphrase == "":
		return nil
	case b.every < time.Second:
		return usageErr("--backup-every: want a duration like 6h")
	case b.to == "" || b.passphrase == "":
		return usageErr("scheduled backups need --backup-every, --backup-to and --backup-passphrase-file")
	case b.keep < 0:
		return usageErr("--backup-keep: want a number of snapshots, 0 to keep all")
	}
	return nil
}

// backupper takes the scheduled snapshots. It reads the pod through its
// own handler, in process: no network, no per-IP limit.
type backupper struct {
	sched   backupSchedule
	archive *backup.Archive
	pod     *custody.Pod
	tool    *custody.Tool
	store   store.Store
	log     *slog.Logger
	// taken is the head rev of each account's last snapshot this run:
	// an unchanged repository is not snapshotted again.
	taken map[syntax.DID]syntax.TID
}

// internalHost names the pod to its own in-process client.
const internalHost = "rhizome.internal"

func newBackupper(ctx context.Context, p *pod, dir custody.Directory) (*backupper, error) {
	pass, err := keystore.Source{File: p.cfg.backup.passphrase}.Passphrase()
	if err != nil {
		return nil, err
	}
	access, err := backup.Passphrase(pass)
	if err != nil {
		return nil, err
	}
	t, err := target(ctx, p.cfg.backup.to)
	if err != nil {
		return nil, err
	}
	a, _, err := backup.OpenOrCreate(ctx, t, access)
	if err != nil {
		return nil, rhizome.Errorf("open backup archive", rhizome.KindOf(err), "%s: %w", p.cfg.backup.to, err)
	}
	hc := &http.Client{Transport: inProcess{host: internalHost, handler: p.handler(), next: http.DefaultTransport}}
	return &backupper{sched: p.cfg.backup, archive: a, pod: &custody.Pod{URL: "http://" + internalHost, HTTP: hc},
		tool: &custody.Tool{Dir: dir}, store: p.store, log: p.log, taken: map[syntax.DID]syntax.TID{}}, nil
}

// run takes a round of snapshots every interval until ctx ends.
func (b *backupper) run(ctx context.Context) {
	t := time.NewTicker(b.sched.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.round(xrpc.Internal(ctx))
		}
	}
}

// round snapshots every active account; one failure does not stop the
// others.
func (b *backupper) round(ctx context.Context) {
	page := store.Page{Limit: 100}
	for {
		repos, err := b.store.ListRepos(ctx, page)
		if err != nil {
			b.log.Warn("scheduled backup: listing accounts", "err", err)
			return
		}
		for _, r := range repos {
			b.one(ctx, r)
		}
		if len(repos) < page.Limit {
			b.prune(ctx)
			return
		}
		page.Cursor = string(repos[len(repos)-1].Head.DID)
	}
}

// prune applies --backup-keep after a round.
func (b *backupper) prune(ctx context.Context) {
	if b.sched.keep < 1 {
		return
	}
	p, err := b.archive.Prune(ctx, b.sched.keep)
	if err != nil {
		b.log.Warn("scheduled backup: pruning", "err", err)
	} else if p.Snapshots > 0 {
		b.log.Info("scheduled backup: pruned", "snapshots", p.Snapshots, "objects", p.Objects, "kept", p.Kept)
	}
}

func (b *backupper) one(ctx context.Context, r store.RepoInfo) {
	if r.Status != store.Active || b.taken[r.Head.DID] == r.Head.Rev {
		return
	}
	start := time.Now()
	s, err := b.archive.Backup(ctx, backup.CreateInput{Pod: b.pod, DID: r.Head.DID, Tool: b.tool})
	if err != nil {
		b.log.Warn("scheduled backup failed", "did", r.Head.DID, "err", err)
		return
	}
	b.taken[r.Head.DID] = r.Head.Rev
	b.log.Info("scheduled backup", "did", r.Head.DID, "snapshot", s.ShortID(), "rev", s.Rev, "took", time.Since(start).Round(time.Millisecond),
		"bytes_written", s.WrittenBytes, "to", strings.SplitN(b.sched.to, "?", 2)[0])
}

// startBackups runs the backup schedule, if there is one. A schedule
// that cannot start (a wrong passphrase for an existing archive, an
// unreachable target) is logged loudly; the pod keeps serving.
func (p *pod) startBackups(ctx context.Context) {
	if !p.cfg.backup.enabled() {
		return
	}
	dir, ok := p.plcDir.(custody.Directory)
	if !ok {
		p.log.Error("scheduled backups: the PLC directory cannot be audited")
		return
	}
	b, err := newBackupper(ctx, p, dir)
	if err != nil {
		p.log.Error("scheduled backups cannot start", "err", err)
		return
	}
	p.log.Info("scheduled backups", "every", p.cfg.backup.every, "to", strings.SplitN(p.cfg.backup.to, "?", 2)[0])
	go b.run(ctx)
}

// envInt reads an integer environment twin; unset or malformed is 0
// (a malformed value is reported by the flag check when it matters).
func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}
