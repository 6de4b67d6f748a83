package identity

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

func TestIsPublicAddr(t *testing.T) {
	cases := []struct {
		addr string
		want bool
	}{
		// public
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"100.63.255.255", true},
		{"100.128.0.0", true},
		{"172.15.255.255", true},
		{"172.32.0.0", true},
		{"192.0.3.1", true},
		{"192.169.0.1", true},
		{"198.20.0.1", true},
		{"223.255.255.255", true},
		{"2606:4700:4700::1111", true},
		{"2001:4860:4860::8888", true},
		{"2a00:1450:4001::1", true},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},  // 6to4 of 8.8.8.8
		{"3ffe:ffff::1", true},     // global unicast outside documentation
		// IPv4 special purpose
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"169.254.169.254", false},
		{"169.254.0.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.0.0.8", false},
		{"192.0.2.1", false},
		{"192.88.99.1", false},
		{"192.168.1.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		// IPv6 special purpose
		{"::", false},
		{"::1", false},
		{"::10.0.0.1", false}, // IPv4-compatible, deprecated
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:192.168.0.1", false},
		{"64:ff9b::a00:1", false},    // NAT64 of 10.0.0.1
		{"64:ff9b::7f00:1", false},   // NAT64 of 127.0.0.1
		{"64:ff9b:1::1", false},      // local-use NAT64
		{"2002:a00:1::1", false},     // 6to4 of 10.0.0.1
		{"2002:a9fe:a9fe::1", false}, // 6to4 of 169.254.169.254
		{"100::1", false},            // discard-only
		{"2001::1", false},           // Teredo
		{"2001:2::1", false},         // benchmarking
		{"2001:db8::1", false},       // documentation
		{"3fff::1", false},           // documentation
		{"fc00::1", false},           // unique local
		{"fd00::1", false},           // unique local
		{"fdff:ffff::1", false},      // unique local
		{"fe80::1", false},           // link-local
		{"febf::1", false},           // link-local
		{"fec0::1", false},           // site-local, deprecated
		{"ff02::1", false},           // multicast
		{"ff0e::1", false},           // multicast, global scope
		{"fe80::1%eth0", false},      // zoned
		{"4000::1", false},           // unallocated, outside 2000::/3
		{"fd00:ec2::254", false},     // AWS metadata over IPv6
		{"::ffff:100.64.0.1", false}, // mapped CGNAT
		{"::ffff:0.0.0.0", false},    // mapped unspecified
		{"::ffff:255.255.255.255", false},
	}
	for _, c := range cases {
		t.Run(c.addr, func(t *testing.T) {
			a, err := netip.ParseAddr(c.addr)
			if err != nil {
				t.Fatalf("ParseAddr(%q): %v", c.addr, err)
			}
			if got := IsPublicAddr(a); got != c.want {
				t.Fatalf("IsPublicAddr(%s) = %v, want %v", c.addr, got, c.want)
			}
		})
	}
	t.Run("zero", func(t *testing.T) {
		if IsPublicAddr(netip.Addr{}) {
			t.Fatal("the zero Addr is public")
		}
	})
}

// recorder collects the addresses a guarded dialer was asked about.
type recorder struct {
	mu    sync.Mutex
	addrs []string
}

func (r *recorder) record(a string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, a)
}

func (r *recorder) saw(a string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.addrs {
		if x == a {
			return true
		}
	}
	return false
}

// The Control hook is called directly: nothing is dialled.
func TestGuardedDialer_Control(t *testing.T) {
	cases := []struct {
		network, addr string
		loopback      bool
		allowed       bool
	}{
		{"tcp4", "10.0.0.1:443", true, false},
		{"tcp4", "169.254.169.254:80", true, false},
		{"tcp6", "[fd00::1]:443", true, false},
		{"tcp6", "[::ffff:10.0.0.1]:443", true, false},
		{"tcp4", "100.64.1.2:443", true, false},
		{"tcp4", "192.168.0.10:8080", true, false},
		{"tcp6", "[fe80::1%eth0]:443", true, false},
		{"tcp4", "0.0.0.0:443", true, false},
		{"tcp4", "127.0.0.1:443", false, false},
		{"tcp6", "[::1]:443", false, false},
		{"tcp4", "127.0.0.1:443", true, true},
		{"tcp6", "[::1]:443", true, true},
		{"tcp4", "8.8.8.8:443", false, true},
		{"tcp6", "[2606:4700:4700::1111]:443", false, true},
		{"udp4", "8.8.8.8:53", false, false},
		{"tcp", "not-an-address", true, false},
	}
	for _, c := range cases {
		t.Run(c.network+"/"+c.addr, func(t *testing.T) {
			rec := &recorder{}
			d := GuardedDialer(c.loopback, rec.record)
			err := d.ControlContext(context.Background(), c.network, c.addr, nil)
			if !rec.saw(c.addr) {
				t.Fatalf("recorder did not see %s", c.addr)
			}
			if c.allowed {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantKind(t, err, rhizome.Forbidden)
		})
	}
}

// countingServer is an httptest server on 127.0.0.1 that counts the TCP
// connections it accepts.
func countingServer(t *testing.T) (*httptest.Server, func() int) {
	t.Helper()
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return conns }
}

func TestGuardedDialer_Dial(t *testing.T) {
	srv, conns := countingServer(t)
	addr := srv.Listener.Addr().String()
	ctx := context.Background()

	t.Run("loopback refused", func(t *testing.T) {
		rec := &recorder{}
		c, err := GuardedDialer(false, rec.record).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			t.Fatal("dial to loopback succeeded with allowLoopback=false")
		}
		wantKind(t, err, rhizome.Forbidden)
		if !rec.saw(addr) {
			t.Fatalf("recorder did not see %s", addr)
		}
	})
	t.Run("loopback allowed", func(t *testing.T) {
		c, err := GuardedDialer(true, nil).DialContext(ctx, "tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
		// The accept queue is first in, first out: once this connection
		// is seen, a connection from the refused dial would have been too.
		waitFor(t, func() bool { return conns() >= 1 })
		if n := conns(); n != 1 {
			t.Fatalf("server saw %d connections, want 1 (the refused dial reached it)", n)
		}
	})
}

func TestGuardedClient(t *testing.T) {
	srv, conns := countingServer(t)
	t.Run("refused", func(t *testing.T) {
		_, err := GuardedClient(false, time.Second).Get(srv.URL)
		wantKind(t, err, rhizome.Forbidden)
		if n := conns(); n != 0 {
			t.Fatalf("server saw %d connections", n)
		}
	})
	t.Run("allowed", func(t *testing.T) {
		resp, err := GuardedClient(true, time.Second).Get(srv.URL)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("ignores proxy settings", func(t *testing.T) {
		tr := GuardedClient(true, time.Second).Transport.(*http.Transport)
		if tr.Proxy != nil {
			t.Fatal("guarded transport uses a proxy")
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
