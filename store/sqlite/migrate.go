package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	sql     string
}

// migrations are the embedded schema changes, in order.
var migrations = mustLoadMigrations(migrationFiles)

// mustLoadMigrations reads files named NNNN_description.sql; the numbers
// must run 1, 2, 3… A bad set is a build mistake, hence the panic.
func mustLoadMigrations(fsys fs.FS) []migration {
	ms, err := loadMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return ms
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var ms []migration
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
		ms = append(ms, migration{version: v, sql: string(b)})
	}
	return ms, nil
}

// SchemaVersion is the schema version this binary writes.
func SchemaVersion() int { return len(migrations) }

// migrate brings the database to the last of ms in one transaction. A
// database whose schema is newer than ms is refused.
func migrate(ctx context.Context, conn *sql.Conn, ms []migration) (err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	have, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if have > len(ms) {
		return rhizome.Errorf("", rhizome.Invalid,
			"database schema version %d is newer than this binary's %d", have, len(ms))
	}
	for _, m := range ms[have:] {
		if err := applyMigration(ctx, tx, m); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// schemaVersion creates the version table if needed and reads it.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	const create = `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return 0, err
	}
	var v int
	err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

func applyMigration(ctx context.Context, tx *sql.Tx, m migration) error {
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("apply schema migration %d: %w", m.version, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version) VALUES (?)`, m.version)
	return err
}
