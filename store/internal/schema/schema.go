// Package schema loads the numbered SQL migrations a store embeds, for
// the store implementations (store/sqlite, store/postgres) to apply each
// in its own dialect and transaction.
package schema

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	SQL     string
}

// Load reads the files migrations/NNNN_description.sql of fsys, in order;
// the numbers must run 1, 2, 3….
func Load(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []Migration
	for i, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", name, i+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, SQL: string(b)})
	}
	return ms, nil
}

// MustLoad is Load for the migrations embedded in a binary: a bad set is
// a build mistake, hence the panic.
func MustLoad(fsys fs.FS) []Migration {
	ms, err := Load(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}
