package loadtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of CPU times in /proc/PID/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// procCPUSeconds returns user+system CPU seconds of a process from
// /proc/PID/stat, or -1 when it cannot be read.
func procCPUSeconds(pid int) float64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a stat line. The
// command name (field 2) may hold spaces and parentheses, so fields are
// counted from its closing parenthesis.
func parseStatCPU(stat string) float64 {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(ut+st) / clockTicks
}

// ServerInfo is the server process's state at the end of a run.
type ServerInfo struct {
	PID        int     `json:"pid"`
	RSSMB      float64 `json:"rss_mb"`      // resident memory (VmRSS)
	PeakRSSMB  float64 `json:"peak_rss_mb"` // peak resident memory (VmHWM)
	CPUSeconds float64 `json:"cpu_s_total"` // user+system CPU since it started
}

// readServer reads /proc/PID/status and stat; nil when the process is gone.
func readServer(pid int) *ServerInfo {
	if pid <= 0 {
		return nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	s := string(b)
	return &ServerInfo{PID: pid, RSSMB: round(statusKB(s, "VmRSS")/1024, 1), PeakRSSMB: round(statusKB(s, "VmHWM")/1024, 1),
		CPUSeconds: round(procCPUSeconds(pid), 2)}
}

// statusKB returns the "Key:   123 kB" value of /proc/PID/status, 0 if absent.
func statusKB(status, key string) float64 {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, key+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 2 && f[1] == "kB" {
			v, _ := strconv.ParseFloat(f[0], 64)
			return v
		}
	}
	return 0
}

// loadAvg returns the 1, 5 and 15 minute load averages, nil off Linux.
func loadAvg() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	out := make([]float64, 3)
	for i := range out {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}
