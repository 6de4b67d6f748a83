package custody

import (
	"context"
	"os"
	"path/filepath"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// Source is what a restore reads a backup from: a folder Backup wrote,
// or anything else that holds the same three things (package backup's
// encrypted archives). Restore checks what it reads: the CAR against the
// manifest, every blob against its CID.
type Source interface {
	Manifest(ctx context.Context) (*Manifest, error)
	CAR(ctx context.Context) ([]byte, error)
	Blob(ctx context.Context, c cid.CID) ([]byte, error)
}

// Folder is a backup folder as a Source.
type Folder string

func (f Folder) String() string { return string(f) }

// Manifest reads the folder's backup.json.
func (f Folder) Manifest(context.Context) (*Manifest, error) { return ReadManifest(string(f)) }

// CAR reads the folder's repo.car.
func (f Folder) CAR(context.Context) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(string(f), BackupCAR))
	if err != nil {
		return nil, rhizome.E(opRestore, rhizome.NotFound, err)
	}
	return b, nil
}

// Blob reads one blob file.
func (f Folder) Blob(_ context.Context, c cid.CID) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(string(f), BackupBlobs, c.String()))
	if err != nil {
		return nil, rhizome.E(opRestore, rhizome.NotFound, err)
	}
	return b, nil
}

// source is where in reads the backup from.
func (in RestoreInput) source() Source {
	if in.Source != nil {
		return in.Source
	}
	return Folder(in.Backup)
}
