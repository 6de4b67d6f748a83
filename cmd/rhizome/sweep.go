package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store"
)

// sweepMarker, in the data folder, says this node has swept every
// repository once (see sweepRepos).
const sweepMarker = "blocks-swept"

// sweepRepos deletes, once per data folder, the stored blocks that no
// repository head reaches: a database written before commits collected
// what they replace still holds old tree nodes and deleted records'
// blocks, which getRepo would send. A repository that moves during its
// sweep, or fails, is swept again at the next start; the marker is written
// only when every repository was swept. New pods sweep nothing and write
// the marker at once.
func (p *pod) sweepRepos(ctx context.Context) {
	if p.cfg == nil || p.cfg.data == "" {
		return
	}
	marker := filepath.Join(p.cfg.data, sweepMarker)
	if _, err := os.Stat(marker); err == nil {
		return
	}
	repos, blocks, failed := 0, 0, 0
	err := p.eachRepo(ctx, func(info store.RepoInfo) {
		n, err := p.pds.SweepRepo(ctx, info.Head.DID)
		if err != nil && rhizome.KindOf(err) != rhizome.NotFound {
			failed++
			p.log.Warn("sweeping a repository failed; it is swept at the next start", "did", info.Head.DID, "err", err)
		}
		repos, blocks = repos+1, blocks+n
	})
	if err != nil || failed > 0 || ctx.Err() != nil {
		return
	}
	if blocks > 0 {
		p.log.Info("deleted blocks no repository head reaches", "repos", repos, "blocks", blocks)
	}
	if err := os.WriteFile(marker, []byte(sweptNote), 0o600); err != nil {
		p.log.Warn("writing the sweep marker", "err", err)
	}
}

// markSweptIfEmpty writes the sweep marker of a pod without repositories
// before it serves, so that a new pod's data folder does not change under
// its first requests.
func (p *pod) markSweptIfEmpty(ctx context.Context) {
	if p.cfg == nil || p.cfg.data == "" {
		return
	}
	infos, err := p.store.ListRepos(ctx, store.Page{Limit: 1})
	if err != nil || len(infos) > 0 {
		return
	}
	if err := os.WriteFile(filepath.Join(p.cfg.data, sweepMarker), []byte(sweptNote), 0o600); err != nil {
		p.log.Warn("writing the sweep marker", "err", err)
	}
}

const sweptNote = "every repository swept once\n"

// eachRepo calls fn for every repository, a page at a time.
func (p *pod) eachRepo(ctx context.Context, fn func(store.RepoInfo)) error {
	page := store.Page{Limit: 500}
	for {
		infos, err := p.store.ListRepos(ctx, page)
		if err != nil {
			return err
		}
		for _, info := range infos {
			fn(info)
		}
		if len(infos) < page.Limit {
			return nil
		}
		page.Cursor = string(infos[len(infos)-1].Head.DID)
	}
}
