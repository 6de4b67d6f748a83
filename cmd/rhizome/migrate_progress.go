package main

import (
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome/custody"
)

// migrateSteps is how many steps a migration has (custody.Migrate).
const migrateSteps = 9

// migrateCounts is what rhizome migrate has done so far.
type migrateCounts struct {
	Phase         string            `json:"phase"`
	StepsDone     int               `json:"steps_done"`
	Steps         int               `json:"steps"`
	Last          string            `json:"last,omitempty"` // the last step ended and how
	Records       int               `json:"records"`
	BlobsTotal    int               `json:"blobs_total"`
	Blobs         int64             `json:"blobs"` // copied by this run
	BlobBytes     int64             `json:"blob_bytes"`
	ElapsedMillis int64             `json:"elapsed_ms"`
	Done          bool              `json:"done,omitempty"`
	Error         string            `json:"error,omitempty"`
	Result        *custody.Migrated `json:"result,omitempty"`
}

// migrateProgress reports a migration.
type migrateProgress = report[migrateCounts, *migrateCounts]

func (c *migrateCounts) setPhase(s string) {
	c.Phase, c.Steps = s, migrateSteps
}
func (c *migrateCounts) setElapsed(ms int64) { c.ElapsedMillis = ms }
func (c *migrateCounts) setDone()            { c.Done = true }

// bar is one line: a bar of the steps done, then the blobs.
func (c *migrateCounts) bar() string {
	const width = 18
	filled := width * c.StepsDone / migrateSteps
	return fmt.Sprintf("[%s%s] step %d/%d %s · %d records · %d blobs copied of %d (%s) · %.1fs",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), min(c.StepsDone+1, migrateSteps), migrateSteps,
		c.Phase, c.Records, c.Blobs, c.BlobsTotal, bytesString(c.BlobBytes), float64(c.ElapsedMillis)/1000)
}
