package identity

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// guardNet is the network of these tests: a fake DNS on loopback, an
// HTTPS server on 127.0.0.1 standing in for every handle's host and the
// PLC directory, and plain counting listeners on the other loopback
// addresses handles may resolve to, all on the server's port.
type guardNet struct {
	t     *testing.T
	dns   *fakeDNS
	srv   *httptest.Server
	port  string
	conns func() int // connections accepted by every listener together
}

func newGuardNet(t *testing.T) *guardNet {
	t.Helper()
	srv, srvConns := countingTLSServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	sinks := []func() int{srvConns, sink(t, "tcp6", "[::1]:"+port), sink(t, "tcp4", "127.1.2.3:"+port)}
	conns := func() int {
		n := 0
		for _, c := range sinks {
			n += c()
		}
		return n
	}
	return &guardNet{t: t, dns: newFakeDNS(t), srv: srv, port: port, conns: conns}
}

// countingTLSServer serves alicePLC as every well-known atproto-did and a
// document for alicePLC claiming "ok.example.com" under /plc/.
func countingTLSServer(t *testing.T) (*httptest.Server, func() int) {
	t.Helper()
	doc := docJSON(t, alicePLC, "ok.example.com", newKey(t), "https://pds.example.com")
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/plc/") {
			_, _ = w.Write(doc)
			return
		}
		_, _ = w.Write([]byte(alicePLC))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return conns }
}

// sink listens on addr and counts the connections it accepts.
func sink(t *testing.T, network, addr string) func() int {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			mu.Unlock()
			c.Close()
		}
	}()
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// probe is one resolver wired to the guardNet, with what its dialer saw.
type probe struct {
	r       *Resolver
	seen    *recorder // every address the guard was asked about
	escaped *recorder // addresses the guard allowed but that were not loopback
}

// resolver builds a Resolver whose HTTP client is the production guarded
// client with only its dialer replaced: the package's GuardedDialer, with
// the fake DNS as its resolver. Behind the guard's Control hook sits the
// test's own, which refuses any address that is not loopback, so even a
// broken guard cannot make this test connect off the machine.
func (g *guardNet) resolver(allowLoopback bool) *probe {
	g.t.Helper()
	p := &probe{seen: &recorder{}, escaped: &recorder{}}
	d := GuardedDialer(allowLoopback, p.seen.record)
	d.Resolver = g.dns.resolver()
	d.ControlContext = loopbackOnly(d.ControlContext, p.escaped)
	tr := GuardedClient(allowLoopback, 2*time.Second).Transport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.TLSClientConfig = &tls.Config{RootCAs: g.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
	r, err := NewResolver(Config{
		PLCURL:        g.srv.URL + "/plc",
		HTTPClient:    &http.Client{Transport: tr, Timeout: 2 * time.Second},
		Timeout:       2 * time.Second,
		LookupTXT:     d.Resolver.LookupTXT,
		HostURL:       func(host string) string { return "https://" + host + ":" + g.port },
		AllowLoopback: allowLoopback,
		CacheSize:     -1,
	})
	if err != nil {
		g.t.Fatalf("NewResolver: %v", err)
	}
	p.r = r
	return p
}

type controlFunc = func(context.Context, string, string, syscall.RawConn) error

// loopbackOnly runs guard, then refuses (and records in escaped) any
// address guard allowed that is not loopback.
func loopbackOnly(guard controlFunc, escaped *recorder) controlFunc {
	return func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := guard(ctx, network, address, c); err != nil {
			return err
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			escaped.record(address)
			return fmt.Errorf("test refuses to connect to %s", address)
		}
		return nil
	}
}

// addrsOf returns the addresses (unmapped, ports dropped) in rec, failing
// if any was dialled on a port other than port.
func addrsOf(t *testing.T, rec *recorder, port string) map[netip.Addr]bool {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	got := map[netip.Addr]bool{}
	for _, s := range rec.addrs {
		ap, err := netip.ParseAddrPort(s)
		if err != nil || fmt.Sprint(ap.Port()) != port {
			t.Fatalf("dialer was asked about %q, not an address on port %s", s, port)
		}
		got[ap.Addr().Unmap()] = true
	}
	return got
}

// wantAddrs fails unless got holds exactly the addresses in want.
func wantAddrs(t *testing.T, what string, got map[netip.Addr]bool, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for _, w := range want {
		if !got[netip.MustParseAddr(w).Unmap()] {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

// hasKind reports whether any *rhizome.Error in err's tree, joined
// errors included, has kind.
func hasKind(err error, kind rhizome.Kind) bool {
	var e *rhizome.Error
	if errors.As(err, &e) && e.Kind == kind {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, x := range u.Unwrap() {
			if hasKind(x, kind) {
				return true
			}
		}
	case interface{ Unwrap() error }:
		return hasKind(u.Unwrap(), kind)
	}
	return false
}

// Handle verification over HTTPS never connects to a handle host whose
// name resolves to a non-public address: the guard refuses each address
// before the connect, and the resolver reports the handle as not found.
func TestResolver_VerifyHandle_PrivateTargets(t *testing.T) {
	cases := []struct {
		name   string
		addrs  []string // what the handle's name resolves to
		public []string // the allowed subset of addrs
		seen   []string // what the guard is asked about, if not addrs
	}{
		{name: "loopback", addrs: []string{"127.0.0.1"}},
		{name: "loopback range", addrs: []string{"127.1.2.3"}},
		{name: "ipv6 loopback", addrs: []string{"::1"}},
		{name: "private 10", addrs: []string{"10.0.0.1"}},
		{name: "private 172", addrs: []string{"172.16.5.4"}},
		{name: "private 192", addrs: []string{"192.168.1.1"}},
		{name: "metadata", addrs: []string{"169.254.169.254"}},
		{name: "cgnat", addrs: []string{"100.64.0.1"}},
		{name: "unspecified", addrs: []string{"0.0.0.0"}},
		// Go's dialer adds 0.0.0.0 when "::" is a name's only address.
		{name: "ipv6 unspecified", addrs: []string{"::"}, seen: []string{"::", "0.0.0.0"}},
		{name: "link-local", addrs: []string{"fe80::1"}},
		{name: "unique local", addrs: []string{"fc00::1"}},
		{name: "aws metadata v6", addrs: []string{"fd00:ec2::254"}},
		{name: "mapped private", addrs: []string{"::ffff:10.0.0.1"}},
		{name: "mapped loopback", addrs: []string{"::ffff:127.0.0.1"}},
		{name: "mapped metadata", addrs: []string{"::ffff:169.254.169.254"}},
		{name: "ipv4-compatible", addrs: []string{"::10.0.0.1"}},
		{name: "nat64 private", addrs: []string{"64:ff9b::a00:1"}},
		{name: "nat64 loopback", addrs: []string{"64:ff9b::7f00:1"}},
		{name: "6to4 private", addrs: []string{"2002:a00:1::1"}},
		{name: "documentation v4", addrs: []string{"192.0.2.1"}},
		{name: "documentation v6", addrs: []string{"2001:db8::1"}},
		// Names with several answers are left out on purpose: Go's resolver
		// orders several answers by RFC 6724, which connect()s a UDP socket
		// towards each address (no packet is sent, but the house rule is
		// not to aim anything at a non-loopback address at all).
	}
	g := newGuardNet(t)
	for i, c := range cases {
		h := syntax.Handle(fmt.Sprintf("h%d.example.com", i))
		g.dns.setAddrs(string(h), c.addrs...)
		t.Run(c.name, func(t *testing.T) {
			before := g.conns()
			p := g.resolver(false)
			_, err := p.r.VerifyHandle(context.Background(), h)
			if len(c.public) != 0 && err == nil {
				t.Fatal("verified")
			}
			// With a public address, the test's own refusal of it, an
			// unclassified error, makes the outcome Unavailable.
			if len(c.public) == 0 {
				wantKind(t, err, rhizome.NotFound)
				if !hasKind(err, rhizome.Forbidden) {
					t.Fatalf("error does not carry the guard's refusal: %v", err)
				}
				_, werr := p.r.lookupWellKnown(context.Background(), h)
				wantKind(t, werr, rhizome.Forbidden)
			}
			if n := g.dns.queriesOf("A", string(h)) + g.dns.queriesOf("AAAA", string(h)); n == 0 {
				t.Fatalf("%s was never looked up in the fake DNS", h)
			}
			if c.seen == nil {
				c.seen = c.addrs
			}
			wantAddrs(t, "guard was asked about", addrsOf(t, p.seen, g.port), c.seen)
			wantAddrs(t, "guard let through", addrsOf(t, p.escaped, g.port), c.public)
			if n := g.conns() - before; n != 0 {
				t.Fatalf("loopback listeners accepted %d connections", n)
			}
		})
	}
}

// The control for the test above: the same client, DNS and server, with
// loopback allowed, verifies a handle that resolves to 127.0.0.1 over
// real HTTPS. So the refusals above come from the guard, not the set-up.
func TestResolver_VerifyHandle_LoopbackAllowed(t *testing.T) {
	g := newGuardNet(t)
	g.dns.setAddrs("ok.example.com", "127.0.0.1")
	p := g.resolver(true)
	id, err := p.r.VerifyHandle(context.Background(), "ok.example.com")
	if err != nil {
		t.Fatalf("VerifyHandle: %v", err)
	}
	if id.DID != alicePLC || id.Handle != "ok.example.com" {
		t.Fatalf("got %s %s", id.DID, id.Handle)
	}
	if !p.seen.saw("127.0.0.1:" + g.port) {
		t.Fatalf("dialer did not see 127.0.0.1:%s: %v", g.port, p.seen.addrs)
	}
	if n := g.conns(); n == 0 {
		t.Fatal("the server saw no connection")
	}
	if g.dns.queriesOf("TXT", "_atproto.ok.example.com") != 1 {
		t.Fatal("the DNS method was not tried")
	}
}

// The DNS method connects nowhere: a TXT answer names the DID.
func TestResolver_ResolveHandle_TXTFromDNS(t *testing.T) {
	g := newGuardNet(t)
	g.dns.setTXT("_atproto.txt.example.com", "v=spf1 -all", "did="+string(bobPLC))
	p := g.resolver(false)
	did, err := p.r.ResolveHandle(context.Background(), "txt.example.com")
	if err != nil || did != bobPLC {
		t.Fatalf("got %q, %v; want %s", did, err, bobPLC)
	}
	if n := g.dns.queriesOf("TXT", "_atproto.txt.example.com"); n != 1 {
		t.Fatalf("%d TXT queries, want 1", n)
	}
}

// Handles under reserved TLDs are refused before any lookup: no DNS query
// of any type and no dial, even though the fake DNS would answer them
// with a DID and a loopback address that the client may reach.
func TestResolver_VerifyHandle_ReservedTLDs(t *testing.T) {
	g := newGuardNet(t)
	tlds := []string{"local", "internal", "arpa", "localhost", "onion", "invalid", "example", "alt"}
	for _, tld := range tlds {
		h := "pds." + tld
		g.dns.setAddrs(h, "127.0.0.1")
		g.dns.setTXT("_atproto."+h, "did="+string(alicePLC))
		t.Run(tld, func(t *testing.T) {
			p := g.resolver(true)
			_, err := p.r.VerifyHandle(context.Background(), syntax.Handle(h))
			wantKind(t, err, rhizome.Invalid)
			if n := len(addrsOf(t, p.seen, g.port)); n != 0 {
				t.Fatalf("dialer was asked about %d addresses", n)
			}
		})
	}
	reserved := func(key string) bool {
		for _, tld := range tlds {
			if strings.HasSuffix(key, "."+tld+".") {
				return true
			}
		}
		return false
	}
	if n := g.dns.queriesMatching(reserved); n != 0 {
		t.Fatalf("%d DNS queries for reserved names: %v", n, g.dns.queries)
	}
	if n := g.conns(); n != 0 {
		t.Fatalf("listeners accepted %d connections", n)
	}
}
