// Package cputime measures benchmarks in the process's CPU time as well
// as wall time: on a machine shared with other work, wall time per op
// swings with the CPU the benchmark gets, while the CPU time it spends
// (GC included) swings much less.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Used is the CPU time (user + system, every thread) the process has
// used so far.
func Used() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report starts counting the process's CPU time and returns a function
// that reports it per operation of b as "cpu-ns/op".
func Report(b *testing.B) func() {
	start := Used()
	return func() {
		b.ReportMetric(float64(Used()-start)/float64(b.N), "cpu-ns/op")
	}
}
