package identity

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/rhizome-pds/rhizome"
)

// dialTimeout bounds one TCP connect by a guarded dialer.
const dialTimeout = 5 * time.Second

// GuardedDialer returns a dialer that refuses to connect to any address
// that is not public (see [IsPublicAddr]). The check runs after name
// resolution and before the connect system call, on the address actually
// dialled, so a hostname that resolves (or re-resolves) to a private
// address cannot reach it. Loopback addresses are allowed only if
// allowLoopback is set; other non-public addresses never are.
//
// record, if not nil, is called with every address the dialer is about to
// connect to, allowed or not. A refusal is a *rhizome.Error of kind
// rhizome.Forbidden.
func GuardedDialer(allowLoopback bool, record func(addr string)) *net.Dialer {
	return &net.Dialer{
		Timeout:        dialTimeout,
		KeepAlive:      30 * time.Second,
		ControlContext: guardControl(allowLoopback, record),
	}
}

// guardControl is the net.Dialer.ControlContext hook of GuardedDialer.
func guardControl(allowLoopback bool, record func(string)) func(context.Context, string, string, syscall.RawConn) error {
	return func(_ context.Context, network, address string, _ syscall.RawConn) error {
		if record != nil {
			record(address)
		}
		return checkDialAddr(allowLoopback, network, address)
	}
}

// checkDialAddr decides whether a connection to address may be made.
func checkDialAddr(allowLoopback bool, network, address string) error {
	const op = "dial"
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return rhizome.Errorf(op, rhizome.Forbidden, "network %q is not allowed", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return rhizome.Errorf(op, rhizome.Forbidden, "unparseable address %q", address)
	}
	a := ap.Addr().Unmap()
	if IsPublicAddr(a) || (allowLoopback && a.IsLoopback()) {
		return nil
	}
	return rhizome.Errorf(op, rhizome.Forbidden, "address %s is not public", address)
}

// IsPublicAddr reports whether a is a globally routable unicast address:
// not unspecified, loopback, private (RFC 1918, unique-local fc00::/7),
// shared (CGNAT 100.64.0.0/10), link-local (including 169.254.169.254, the
// cloud metadata address), multicast, broadcast, reserved, documentation or
// benchmarking space, or an IPv6 form that embeds such an IPv4 address
// (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16).
func IsPublicAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	if a.Is4() {
		return isPublic4(a)
	}
	return isPublic6(a)
}

// nonPublic4 are the IPv4 ranges that are not globally reachable unicast.
var nonPublic4 = prefixes(
	"0.0.0.0/8",       // "this network"
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // shared address space (CGNAT)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, cloud metadata
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation (TEST-NET-1)
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation (TEST-NET-2)
	"203.0.113.0/24",  // documentation (TEST-NET-3)
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and 255.255.255.255 broadcast
)

// nonPublic6 are the ranges inside global unicast 2000::/3 that are not
// globally reachable (or, for 2002::/16, are judged by the embedded IPv4).
var nonPublic6 = prefixes(
	"2001::/23",     // IETF protocol assignments: Teredo, benchmarking, ORCHID
	"2001:db8::/32", // documentation
	"3fff::/20",     // documentation
)

var (
	global6 = netip.MustParsePrefix("2000::/3")
	nat64   = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4  = netip.MustParsePrefix("2002::/16")
)

func isPublic4(a netip.Addr) bool {
	for _, p := range nonPublic4 {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// isPublic6 accepts global unicast outside the reserved sub-ranges, and
// the two translation prefixes when the IPv4 address they carry is public.
// Everything outside 2000::/3 (loopback, unspecified, IPv4-compatible,
// discard-only, unique-local, link-local, site-local, multicast) is not.
func isPublic6(a netip.Addr) bool {
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return isPublic4(netip.AddrFrom4([4]byte(b[12:16])))
	case sixTo4.Contains(a):
		return isPublic4(netip.AddrFrom4([4]byte(b[2:6])))
	case !global6.Contains(a):
		return false
	}
	for _, p := range nonPublic6 {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}
