package backup

import (
	"context"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Pruned is what Prune removed.
type Pruned struct {
	Snapshots int `json:"snapshots"` // manifests deleted
	Objects   int `json:"objects"`   // objects no kept snapshot needed
	Kept      int `json:"kept"`      // snapshots left
}

// Prune keeps the newest keep snapshots of each account and deletes the
// older ones, then every object that no remaining snapshot needs. Manifests
// go first, so an interrupted prune leaves only unneeded objects behind,
// never a snapshot missing an object; running it again finishes the job.
// Do not prune while a backup is being written to the same archive: its
// new objects are not yet named by a manifest.
func (a *Archive) Prune(ctx context.Context, keep int) (Pruned, error) {
	const op = "prune backups"
	var out Pruned
	if keep < 1 {
		return out, rhizome.E(op, rhizome.Invalid, "keep at least one snapshot of each account")
	}
	all, err := a.Snapshots(ctx)
	if err != nil {
		return out, err
	}
	kept, drop := splitByAge(all, keep)
	for _, s := range drop {
		if err := a.t.Delete(ctx, s.ID); err != nil {
			return out, err
		}
		out.Snapshots++
	}
	out.Kept = len(kept)
	out.Objects, err = a.sweep(ctx, kept)
	return out, err
}

// splitByAge returns the newest keep snapshots of each DID and the rest;
// all is oldest first.
func splitByAge(all []Snapshot, keep int) (kept, drop []Snapshot) {
	seen := map[syntax.DID]int{}
	for _, s := range slices.Backward(all) {
		if seen[s.DID]++; seen[s.DID] <= keep {
			kept = append(kept, s)
		} else {
			drop = append(drop, s)
		}
	}
	return kept, drop
}

// sweep deletes the objects no kept snapshot names.
func (a *Archive) sweep(ctx context.Context, kept []Snapshot) (int, error) {
	need := map[string]bool{}
	for _, s := range kept {
		for _, n := range s.Index {
			need[n] = true
		}
		for _, p := range s.Packs {
			need[p.Object] = true
		}
		for _, b := range s.Blobs {
			need[b.Object] = true
		}
		need[s.Preferences] = true
	}
	names, err := a.t.List(ctx, objectsDir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		if need[name] {
			continue
		}
		if err := a.t.Delete(ctx, name); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
