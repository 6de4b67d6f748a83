package loadtest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestRun_firehoseAgainstRhizome runs both firehose phases briefly against
// a real rhizome serve: 20 subscribers at 50 commits/s for 2 s, then a
// 400-record import (two applyWrites) with a live subscriber and a replay.
func TestRun_firehoseAgainstRhizome(t *testing.T) {
	url, pid := startPod(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := Defaults()
	cfg.URL, cfg.Concurrency, cfg.PID, cfg.Phases = url, 2, pid, FirehosePhases
	cfg.Subscribers, cfg.SlowSubscribers, cfg.CommitRate, cfg.FanoutDuration, cfg.DrainRecords = 20, 1, 50, 2*time.Second, 400
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fanout writes on schedule", func(t *testing.T) {
		f := rep.Fanout
		if f == nil {
			t.Fatal("no fanout figures")
		}
		if f.Commits != 100 || f.WriteErrors != 0 || f.Skipped != 0 || f.CommitsPerSec < 35 || f.CommitsPerSec > 55 {
			t.Errorf("writes: %d commits at %.1f/s, %d errors, %d skipped; want 100 at about 50/s", f.Commits, f.CommitsPerSec, f.WriteErrors, f.Skipped)
		}
		if len(rep.Phases) != 2 || rep.Phases[0].Name != "fanout writes" || rep.Phases[0].OK() != 100 || rep.Phases[1].Name != "fanout delivery" {
			t.Errorf("phase rows %+v", rep.Phases)
		}
	})
	t.Run("every subscriber got every event", func(t *testing.T) {
		f := rep.Fanout
		if f.Events != 100 || f.Delivered != 100*20 || f.LostEvents != 0 || f.SubscribersLost != 0 || f.SubscribersWithGaps != 0 ||
			f.Disconnected != 0 || f.Untimed != 0 || f.BadFrame != "" {
			t.Errorf("delivery: %+v; want 100 events to each of 20 subscribers, none lost", f)
		}
		if f.P50MS <= 0 || f.P99MS < f.P50MS || f.MaxMS < f.P99MS || f.MaxMS > 5000 {
			t.Errorf("latency p50 %v p99 %v max %v ms: not sane", f.P50MS, f.P99MS, f.MaxMS)
		}
		if len(f.Slow) != 1 || f.Slow[0].FramesRead < 5 || f.Slow[0].Disconnected {
			t.Errorf("slow subscribers %+v; want one, reading and still connected after 2s", f.Slow)
		}
		if f.ServerCPUSeconds == nil || *f.ServerCPUSeconds <= 0 || f.ServerPeakRSSMB <= 0 || f.ClientPeakRSSMB <= 0 || f.ClientCPUSeconds <= 0 {
			t.Errorf("resources: server CPU %v, peak RSS %v; client CPU %v, peak RSS %v", f.ServerCPUSeconds, f.ServerPeakRSSMB, f.ClientCPUSeconds, f.ClientPeakRSSMB)
		}
	})
	t.Run("drain: live and replay read the whole import", func(t *testing.T) {
		d := rep.Drain
		if d == nil {
			t.Fatal("no drain figures")
		}
		if d.Calls != 2 || d.RecordsPerSec <= 0 {
			t.Errorf("import: %+v", d)
		}
		live, replay := d.Live, d.Replay
		if live.Events != 2 || live.Missing != 0 || live.EventsDuringImport < 1 || live.EventsPerSec <= 0 || live.Ending != "" {
			t.Errorf("live: %+v; want both commits", live)
		}
		// A fresh pod numbers its events from 1 without gaps: the replay
		// from cursor 0 reads every one up to the import's last.
		if replay.Cursor == nil || *replay.Cursor != 0 || replay.LastSeq != live.LastSeq || replay.Events != replay.LastSeq ||
			replay.Events < 100+2 || replay.Missing != 0 || replay.Bytes <= live.Bytes || replay.MBPerSec <= 0 || replay.EventsPerSec <= 0 {
			t.Errorf("replay: %+v; want every event from 1 to %d", replay, live.LastSeq)
		}
	})
	t.Run("table", func(t *testing.T) {
		var b bytes.Buffer
		if err := rep.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"fanout delivery", "fanout: 20 subscribers + 1 slow", "drain: 400 records in 2 applyWrites", "replay from cursor"} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("table lacks %q:\n%s", s, b.String())
			}
		}
	})
}
