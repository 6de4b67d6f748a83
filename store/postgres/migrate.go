package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
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

// versionTable creates the migration table and its lock row (version 0,
// the empty schema) if they are missing. Processes starting together may
// both try to create the table; the server then fails all but one with a
// unique violation on its catalog, "duplicate table" or "duplicate type",
// and the losers find the table on their next try.
const versionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO schema_migrations (version) VALUES (0) ON CONFLICT (version) DO NOTHING`

// migrate brings the schema to the last of ms in one transaction that
// holds the lock row of schema_migrations, so concurrent migrators run one
// after another and the later ones find nothing left to do. A schema newer
// than ms is refused.
func migrate(ctx context.Context, conn *pgx.Conn, ms []migration) error {
	var err error
	for range 5 {
		if _, err = conn.Exec(ctx, versionTable); !isCode(err, "23505", "42P07", "42710") {
			break
		}
	}
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT version FROM schema_migrations WHERE version = 0 FOR UPDATE`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&have); err != nil {
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
		return nil
	})
}

func applyMigration(ctx context.Context, tx pgx.Tx, m migration) error {
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return fmt.Errorf("apply schema migration %d: %w", m.Version, err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.Version)
	return err
}
