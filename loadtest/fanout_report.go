package loadtest

import "fmt"

// Fanout is what the fanout phase measured. Latencies are delivery
// latencies over every event each normal subscriber read, in
// milliseconds (histogram buckets: within 3%; max exact).
type Fanout struct {
	Subscribers     int     `json:"subscribers"`
	SlowSubscribers int     `json:"slow_subscribers"`
	TargetRate      float64 `json:"target_commits_per_s"`
	Seconds         float64 `json:"seconds"`         // from the first write to the last answer
	Commits         int     `json:"commits"`         // createRecord calls that succeeded
	WriteErrors     int     `json:"write_errors"`    // createRecord calls that failed
	Skipped         int     `json:"commits_skipped"` // due while every writer was busy, not sent
	CommitsPerSec   float64 `json:"commits_per_s"`
	FirstError      string  `json:"first_error,omitempty"`

	Events          int64   `json:"events"`           // events the stream carried over the phase
	Delivered       int64   `json:"events_delivered"` // to the normal subscribers, summed
	DeliveredPerSec float64 `json:"events_delivered_per_s"`
	Untimed         int64   `json:"events_without_time,omitempty"`
	P50MS           float64 `json:"delivery_p50_ms"`
	P90MS           float64 `json:"delivery_p90_ms"`
	P99MS           float64 `json:"delivery_p99_ms"`
	MaxMS           float64 `json:"delivery_max_ms"`

	LostEvents          int64  `json:"lost_events"`             // events × subscribers − delivered
	SubscribersLost     int    `json:"subscribers_lost_events"` // read fewer events than the stream carried
	SubscribersWithGaps int    `json:"subscribers_with_gaps"`   // saw a jump in seq
	Disconnected        int    `json:"subscribers_disconnected"`
	FirstDisconnect     string `json:"first_disconnect,omitempty"`
	BadFrame            string `json:"bad_frame,omitempty"` // the first message that could not be read

	Slow []SlowSubscriber `json:"slow,omitempty"`

	ServerCPUSeconds *float64 `json:"server_cpu_s,omitempty"`       // nil without a PID
	ServerRSSMB      float64  `json:"server_rss_mb,omitempty"`      // at the end of the phase
	ServerPeakRSSMB  float64  `json:"server_peak_rss_mb,omitempty"` // largest sampled during the phase
	ClientCPUSeconds float64  `json:"client_cpu_s"`
	ClientRSSMB      float64  `json:"client_rss_mb"`
	ClientPeakRSSMB  float64  `json:"client_peak_rss_mb"`
	FileLimit        uint64   `json:"file_limit"`
}

// SlowSubscriber is what one slow subscriber (one read per 100 ms) saw.
type SlowSubscriber struct {
	FramesRead   int64  `json:"frames_read"`   // when the writes ended
	Behind       int64  `json:"behind_at_end"` // events it had not read when the writes ended
	Disconnected bool   `json:"disconnected"`  // the server ended its stream
	Ending       string `json:"ending,omitempty"`
	LastSeq      int64  `json:"last_seq"` // the last event it read, reading on at full speed after the writes
	EndSeq       int64  `json:"end_seq"`  // the last event of the phase

	lastSeq int64 // when the writes ended
}

// Drain is what the drain phase measured.
type Drain struct {
	Records          int        `json:"records"`
	BatchSize        int        `json:"batch_size"`
	Calls            int        `json:"commits"` // applyWrites calls, one commit event each
	ImportSeconds    float64    `json:"import_seconds"`
	RecordsPerSec    float64    `json:"records_per_s"`
	ServerCPUSeconds *float64   `json:"server_cpu_s,omitempty"` // over the import
	Live             StreamRead `json:"live"`
	Replay           StreamRead `json:"replay"`
}

// StreamRead is what one subscriber of the drain phase read. The live
// subscriber's rates are over the import's wall time; the replay's from
// its handshake to the last event.
type StreamRead struct {
	Cursor             *int64   `json:"cursor,omitempty"` // replay: the cursor it started from
	Events             int64    `json:"events"`
	EventsDuringImport int64    `json:"events_during_import,omitempty"`
	Bytes              int64    `json:"bytes"`
	Seconds            float64  `json:"seconds"`
	EventsPerSec       float64  `json:"events_per_s"`
	MBPerSec           float64  `json:"mb_per_s"`
	LastSeq            int64    `json:"last_seq"`              // seq of the last event read
	Missing            int64    `json:"missing_events"`        // seq gaps
	CatchUpMS          float64  `json:"catch_up_ms,omitempty"` // live: after the import until the last event
	P50MS              float64  `json:"delivery_p50_ms,omitempty"`
	P99MS              float64  `json:"delivery_p99_ms,omitempty"`
	MaxMS              float64  `json:"delivery_max_ms,omitempty"`
	ServerCPUSeconds   *float64 `json:"server_cpu_s,omitempty"` // replay
	Ending             string   `json:"ending,omitempty"`       // how the server ended the stream, if it did
}

// summary is the one-line figures of a read, for progress output.
func (s StreamRead) summary() string {
	out := fmt.Sprintf("%d events, %.2f MB", s.Events, float64(s.Bytes)/1e6)
	if s.Cursor != nil {
		out = fmt.Sprintf("from cursor %d: %s in %.3fs", *s.Cursor, out, s.Seconds)
	} else {
		out = fmt.Sprintf("%d events during the import: %s in all", s.EventsDuringImport, out)
	}
	out += fmt.Sprintf(", %.1f events/s, %.2f MB/s, %d missing", s.EventsPerSec, s.MBPerSec, s.Missing)
	if s.Cursor == nil {
		out += fmt.Sprintf(", caught up %.1fms after the import, delivery p50 %.2fms p99 %.2fms max %.2fms", s.CatchUpMS, s.P50MS, s.P99MS, s.MaxMS)
	}
	if s.Ending != "" {
		out += "; ended: " + s.Ending
	}
	return out
}

// writeFirehose writes the fanout and drain lines under the table.
func (rep *Report) writeFirehose(w *errWriter) {
	if f := rep.Fanout; f != nil {
		f.write(w)
	}
	if d := rep.Drain; d != nil {
		w.printf("\ndrain: %d records in %d applyWrites of %d: %.2fs, %.1f records/s", d.Records, d.Calls, d.BatchSize, d.ImportSeconds, d.RecordsPerSec)
		if d.ServerCPUSeconds != nil {
			w.printf(", server CPU %.2fs", *d.ServerCPUSeconds)
		}
		w.printf("\n  live subscriber: %s\n  replay %s\n", d.Live.summary(), d.Replay.summary())
	}
}

func (f *Fanout) write(w *errWriter) {
	w.printf("\nfanout: %d subscribers + %d slow, target %.0f commits/s: %d commits in %.2fs (%.1f/s), %d errors, %d skipped\n",
		f.Subscribers, f.SlowSubscribers, f.TargetRate, f.Commits, f.Seconds, f.CommitsPerSec, f.WriteErrors, f.Skipped)
	w.printf("  delivery: %d events × %d subscribers, %d delivered (%.1f/s); latency p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms\n",
		f.Events, f.Subscribers, f.Delivered, f.DeliveredPerSec, f.P50MS, f.P90MS, f.P99MS, f.MaxMS)
	w.printf("  losses: %d subscribers lost events (%d in all), %d saw seq gaps, %d disconnected", f.SubscribersLost, f.LostEvents, f.SubscribersWithGaps, f.Disconnected)
	if f.FirstDisconnect != "" {
		w.printf(" (first: %s)", f.FirstDisconnect)
	}
	w.printf("\n")
	for i, s := range f.Slow {
		w.printf("  slow subscriber %d: read %d frames, %d events behind when the writes ended; ", i+1, s.FramesRead, s.Behind)
		if s.Disconnected {
			w.printf("disconnected after seq %d of %d: %s\n", s.LastSeq, s.EndSeq, s.Ending)
		} else {
			w.printf("still connected\n")
		}
	}
	w.printf("  resources:")
	if f.ServerCPUSeconds != nil {
		w.printf(" server CPU %.2fs, RSS %.1f MB (peak %.1f MB during the phase);", *f.ServerCPUSeconds, f.ServerRSSMB, f.ServerPeakRSSMB)
	}
	w.printf(" client CPU %.2fs, RSS %.1f MB (peak %.1f MB), open-file limit %d\n", f.ClientCPUSeconds, f.ClientRSSMB, f.ClientPeakRSSMB, f.FileLimit)
	if f.BadFrame != "" {
		w.printf("  unreadable frame: %s\n", f.BadFrame)
	}
}
