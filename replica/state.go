package replica

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// State is what a replica remembers besides its repository.
type State struct {
	DID     syntax.DID `json:"did"`
	Primary string     `json:"primary"` // the primary pod's base URL
	Cursor  int64      `json:"cursor"`  // the primary's last sequence number applied; 0: none
}

// stateDir keeps one JSON file per replica.
type stateDir string

func (d stateDir) path(did syntax.DID) string {
	return filepath.Join(string(d), strings.ReplaceAll(string(did), ":", "_")+".json")
}

// save writes s atomically (a temporary file renamed over the old one).
func (d stateDir) save(s State) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return rhizome.E("save replica state", rhizome.Other, err)
	}
	b, _ := json.Marshal(s)
	tmp := d.path(s.DID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return rhizome.E("save replica state", rhizome.Other, err)
	}
	if err := os.Rename(tmp, d.path(s.DID)); err != nil {
		return rhizome.E("save replica state", rhizome.Other, err)
	}
	return nil
}

func (d stateDir) remove(did syntax.DID) error {
	if err := os.Remove(d.path(did)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rhizome.E("remove replica state", rhizome.Other, err)
	}
	return nil
}

// all reads every saved state.
func (d stateDir) all() ([]State, error) {
	ents, err := os.ReadDir(string(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, rhizome.E("read replica states", rhizome.Other, err)
	}
	var out []State
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(string(d), e.Name()))
		if err != nil {
			return nil, rhizome.E("read replica state", rhizome.Other, err)
		}
		var s State
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, rhizome.Errorf("read replica state", rhizome.Corrupt, "%s: %w", e.Name(), err)
		}
		if _, err := syntax.ParseDID(string(s.DID)); err != nil {
			return nil, rhizome.Errorf("read replica state", rhizome.Corrupt, "%s: %w", e.Name(), err)
		}
		out = append(out, s)
	}
	return out, nil
}
