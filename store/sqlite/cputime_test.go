package sqlite

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user + system, every thread) the process has
// used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU starts counting the process's CPU time and returns a function
// that reports it per operation as "cpu-ns/op": on a shared machine wall
// time swings with the CPU the benchmark gets, CPU time much less.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
