package plc

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/rhizome-pds/rhizome"
)

// MirrorStateFile is a [MirrorStateStore] in two files: the cursor and
// counts in one JSON file replaced atomically on every save, and the
// reports in a second file (the same name with ".rejected" added), one
// JSON line each, appended as they come and rewritten when it holds twice
// MaxMirrorRejections lines. A report appended but not followed by a
// saved cursor (a crash between the two) is dropped on load; the mirror
// meets its operation again and reports it anew.
type MirrorStateFile struct {
	path string

	mu      sync.Mutex
	written int64 // highest Serial in the reports file; -1: rewrite it
	lines   int   // lines in the reports file
}

var _ MirrorStateStore = (*MirrorStateFile)(nil)

// NewMirrorStateFile returns the state files at path and path+".rejected".
func NewMirrorStateFile(path string) *MirrorStateFile {
	return &MirrorStateFile{path: path, written: -1}
}

// Path is the cursor file's path.
func (f *MirrorStateFile) Path() string { return f.path }

func (f *MirrorStateFile) reportsPath() string { return f.path + ".rejected" }

const (
	opLoadState = "load plc mirror state"
	opSaveState = "save plc mirror state"
	maxState    = 64 << 20 // the cursor file: a cursor, counts and at most maxAtKeys CIDs
)

// Load reads both files; nil if the cursor file does not exist.
func (f *MirrorStateFile) Load() (*MirrorState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := readFileLimited(f.path, maxState)
	if errors.Is(err, fs.ErrNotExist) {
		f.written = -1
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st MirrorState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, rhizome.Errorf(opLoadState, rhizome.Corrupt, "%s: %w", f.path, err)
	}
	committed := st.Counts.Rejected + st.Counts.Malformed
	if st.Rejections, err = f.loadReports(committed); err != nil {
		return nil, err
	}
	f.written = committed
	return &st, nil
}

// loadReports reads the reports with a Serial up to committed, the last
// line of each Serial winning, and keeps the most recent.
func (f *MirrorStateFile) loadReports(committed int64) ([]Rejection, error) {
	file, err := os.Open(f.reportsPath())
	if errors.Is(err, fs.ErrNotExist) {
		f.lines = 0
		return nil, nil
	}
	if err != nil {
		return nil, rhizome.E(opLoadState, rhizome.Other, err)
	}
	defer file.Close()
	bySerial := map[int64]Rejection{}
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 4*maxExportLine)
	f.lines = 0
	for sc.Scan() {
		f.lines++
		var r Rejection
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, rhizome.Errorf(opLoadState, rhizome.Corrupt, "%s line %d: %w", f.reportsPath(), f.lines, err)
		}
		if r.Serial > 0 && r.Serial <= committed {
			bySerial[r.Serial] = r
		}
	}
	if err := sc.Err(); err != nil {
		return nil, rhizome.Errorf(opLoadState, rhizome.Corrupt, "%s: %w", f.reportsPath(), err)
	}
	out := make([]Rejection, 0, len(bySerial))
	for _, r := range bySerial {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rejection) int { return cmp.Compare(a.Serial, b.Serial) })
	return out[max(0, len(out)-MaxMirrorRejections):], nil
}

// Save appends the new reports (or rewrites the reports file), then
// replaces the cursor file.
func (f *MirrorStateFile) Save(st *MirrorState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.saveReports(st.Rejections); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return rhizome.E(opSaveState, rhizome.Other, err)
	}
	return writeFileAtomic(f.path, b)
}

func (f *MirrorStateFile) saveReports(rs []Rejection) error {
	if f.written < 0 || f.lines > 2*MaxMirrorRejections {
		return f.rewriteReports(rs)
	}
	i := len(rs)
	for i > 0 && rs[i-1].Serial > f.written {
		i--
	}
	if i == len(rs) {
		return nil
	}
	b, err := reportLines(rs[i:])
	if err != nil {
		return err
	}
	file, err := os.OpenFile(f.reportsPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return rhizome.E(opSaveState, rhizome.Other, err)
	}
	_, err = file.Write(b)
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		f.written = -1 // a partial line: rewrite the file next time
		return rhizome.E(opSaveState, rhizome.Other, err)
	}
	f.written, f.lines = rs[len(rs)-1].Serial, f.lines+len(rs)-i
	return nil
}

func (f *MirrorStateFile) rewriteReports(rs []Rejection) error {
	b, err := reportLines(rs)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(f.reportsPath(), b); err != nil {
		return err
	}
	f.written, f.lines = 0, len(rs)
	if len(rs) > 0 {
		f.written = rs[len(rs)-1].Serial
	}
	return nil
}

func reportLines(rs []Rejection) ([]byte, error) {
	var b []byte
	for _, r := range rs {
		line, err := json.Marshal(r)
		if err != nil {
			return nil, rhizome.E(opSaveState, rhizome.Other, err)
		}
		b = append(append(b, line...), '\n')
	}
	return b, nil
}

// writeFileAtomic writes b to a temporary file, syncs it and renames it
// over path, so a crash leaves the old content or the new.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return rhizome.E(opSaveState, rhizome.Other, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return rhizome.E(opSaveState, rhizome.Other, err)
	}
	return nil
}

func readFileLimited(path string, limit int64) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, rhizome.E(opLoadState, rhizome.Other, err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, rhizome.E(opLoadState, rhizome.Other, err)
	}
	if int64(len(b)) > limit {
		return nil, rhizome.Errorf(opLoadState, rhizome.TooLarge, "%s exceeds %d bytes", path, limit)
	}
	return b, nil
}
