//go:build pprof

package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"os"
)

// Built with -tags pprof, the binary serves Go's profiler on loopback
// (RHIZOME_PPROF, default 127.0.0.1:6060) for profiling under load; release
// builds do not carry it.
func init() {
	addr := os.Getenv("RHIZOME_PPROF")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { slog.Info("pprof", "listen", addr, "err", http.ListenAndServe(addr, nil)) }()
}
