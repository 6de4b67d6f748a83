package identity

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// fakeDNS is a tiny authoritative DNS server on 127.0.0.1 (UDP, random
// port) that answers A, AAAA and TXT questions from fixed records. A name
// with no records at all does not exist (NXDOMAIN); a known name without
// records of the asked type has an empty answer.
type fakeDNS struct {
	conn net.PacketConn

	mu      sync.Mutex
	addrs   map[string][]netip.Addr // by lower-case name with the final dot
	txt     map[string][]string
	queries map[string]int // "TYPE name." -> count
}

func newFakeDNS(t *testing.T) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fake DNS: listen on 127.0.0.1: %v", err)
	}
	d := &fakeDNS{conn: pc, addrs: map[string][]netip.Addr{}, txt: map[string][]string{}, queries: map[string]int{}}
	go d.serve()
	t.Cleanup(func() { pc.Close() })
	return d
}

// setAddrs gives name (without the final dot) A and AAAA records; an
// IPv4-mapped IPv6 address is served as AAAA.
func (d *fakeDNS) setAddrs(name string, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range addrs {
		d.addrs[name+"."] = append(d.addrs[name+"."], netip.MustParseAddr(a))
	}
}

func (d *fakeDNS) setTXT(name string, recs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[name+"."] = recs
}

// queriesMatching counts the questions whose "TYPE name." key satisfies
// match.
func (d *fakeDNS) queriesMatching(match func(key string) bool) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for k, c := range d.queries {
		if match(k) {
			n += c
		}
	}
	return n
}

func (d *fakeDNS) queriesOf(typ, name string) int {
	return d.queriesMatching(func(k string) bool { return k == typ+" "+name+"." })
}

func (d *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, err := d.answer(buf[:n]); err == nil {
			_, _ = d.conn.WriteTo(resp, from)
		}
	}
}

// answer builds the response to one query message.
func (d *fakeDNS) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(q.Name.String())
	d.mu.Lock()
	defer d.mu.Unlock()
	d.queries[strings.TrimPrefix(q.Type.String(), "Type")+" "+name]++
	addrs, known := d.addrs[name]
	recs, knownTXT := d.txt[name]
	rcode := dnsmessage.RCodeSuccess
	if !known && !knownTXT {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID: h.ID, Response: true, Authoritative: true,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: rcode,
	})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if err := addAnswers(&b, q, addrs, recs); err != nil {
		return nil, err
	}
	return b.Finish()
}

// addAnswers adds the records of q's type.
func addAnswers(b *dnsmessage.Builder, q dnsmessage.Question, addrs []netip.Addr, recs []string) error {
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	var err error
	switch q.Type {
	case dnsmessage.TypeA:
		for _, a := range addrs {
			if a.Is4() && err == nil {
				err = b.AResource(rh, dnsmessage.AResource{A: a.As4()})
			}
		}
	case dnsmessage.TypeAAAA:
		for _, a := range addrs {
			if a.Is6() && err == nil {
				err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
			}
		}
	case dnsmessage.TypeTXT:
		for _, r := range recs {
			if err == nil {
				err = b.TXTResource(rh, dnsmessage.TXTResource{TXT: []string{r}})
			}
		}
	}
	return err
}

// resolver returns a pure-Go resolver whose every query, whatever server
// /etc/resolv.conf names, goes to this fake server on loopback.
func (d *fakeDNS) resolver() *net.Resolver {
	addr := d.conn.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "udp4", addr)
		},
	}
}
