package loadtest

import (
	"os"
	"testing"
)

func TestParseStatCPU(t *testing.T) {
	cases := []struct {
		name, stat string
		want       float64
	}{
		{"plain", "42 (rhizome) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 8 0 100 0 0", 3.25},
		{"comm with spaces and parens", "42 (a) b (c) R 1 42 42 0 -1 0 0 0 0 0 100 0 0 0 20 0 1 0 1 0 0", 1},
		{"truncated", "42 (x) S 1 2 3", -1},
		{"no comm", "garbage", -1},
		{"not a number", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 ab 0 0 0", -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parseStatCPU(c.stat); got != c.want {
				t.Errorf("parseStatCPU = %v, want %v", got, c.want)
			}
		})
	}
}

func TestStatusKB(t *testing.T) {
	status := "Name:\tx\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t4\n"
	if got := statusKB(status, "VmRSS"); got != 102400 {
		t.Errorf("VmRSS = %v, want 102400", got)
	}
	if got := statusKB(status, "VmHWM"); got != 204800 {
		t.Errorf("VmHWM = %v, want 204800", got)
	}
	if got := statusKB(status, "VmSwap"); got != 0 {
		t.Errorf("VmSwap = %v, want 0 when absent", got)
	}
}

func TestReadServer(t *testing.T) {
	t.Run("this process", func(t *testing.T) {
		s := readServer(os.Getpid())
		if s == nil || s.RSSMB <= 0 || s.PeakRSSMB < s.RSSMB || s.CPUSeconds < 0 {
			t.Fatalf("readServer(self) = %+v, want positive memory and CPU figures", s)
		}
	})
	t.Run("no pid", func(t *testing.T) {
		if s := readServer(0); s != nil || procCPUSeconds(0) != -1 {
			t.Errorf("readServer(0) = %+v, want nil and no CPU", s)
		}
	})
}
