package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/store/internal/schema"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration = schema.Migration

// migrations are the embedded schema changes, in order.
var migrations = schema.MustLoad(migrationFiles)

func loadMigrations(fsys fs.FS) ([]migration, error) { return schema.Load(fsys) }

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
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("apply schema migration %d: %w", m.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version) VALUES (?)`, m.Version)
	return err
}
