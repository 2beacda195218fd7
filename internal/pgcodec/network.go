package pgcodec

import (
	"errors"
	"fmt"
	"net/netip"
	"unsafe"
)

// Binary inet/cidr (network_send): family, bits, is_cidr, address length,
// address bytes. Families are PGSQL_AF_INET = 2 and PGSQL_AF_INET6 = 3.
const (
	afInet  = 2
	afInet6 = 3

	inetTextMax = len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128")
	inetWireMax = 4 + 16
)

var errInet = errors.New("invalid binary inet value")

// appendInet appends PostgreSQL's text form of a binary inet or cidr value,
// as network_out prints it: pg_inet_net_ntop, then for cidr "/bits" when
// ntop left it out.
func appendInet(dst, v []byte, cidr bool) ([]byte, error) {
	if len(v) < 4 {
		return dst, errInet
	}
	fam, bits, nb := v[0], int(v[1]), int(v[3])
	addr := v[4:]
	switch {
	case fam == afInet && nb == 4 && len(addr) == 4 && bits <= 32:
		for i, o := range addr {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = appendUint(dst, uint64(o))
		}
		if bits != 32 || cidr {
			dst = appendUint(append(dst, '/'), uint64(bits))
		}
	case fam == afInet6 && nb == 16 && len(addr) == 16 && bits <= 128:
		dst = appendIPv6(dst, addr)
		if bits != 128 || cidr {
			dst = appendUint(append(dst, '/'), uint64(bits))
		}
	default:
		return dst, errInet
	}
	return dst, nil
}

// appendIPv6 follows inet_net_ntop_ipv6 in PostgreSQL's
// src/port/inet_net_ntop.c, quirks included: the longest run (first on a tie)
// of two or more zero words becomes "::", and an address with six leading zero
// words, or five followed by ffff, ends in dotted IPv4.
func appendIPv6(dst, a []byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(a[2*i])<<8 | uint16(a[2*i+1])
	}
	best, bestLen, cur, curLen := -1, 0, -1, 0
	for i, x := range w {
		if x == 0 {
			if cur == -1 {
				cur, curLen = i, 1
			} else {
				curLen++
			}
			continue
		}
		if cur != -1 {
			if best == -1 || curLen > bestLen {
				best, bestLen = cur, curLen
			}
			cur = -1
		}
	}
	if cur != -1 && (best == -1 || curLen > bestLen) {
		best, bestLen = cur, curLen
	}
	if best != -1 && bestLen < 2 {
		best = -1
	}
	for i := 0; i < 8; i++ {
		if best != -1 && i >= best && i < best+bestLen {
			if i == best {
				dst = append(dst, ':')
			}
			continue
		}
		if i != 0 {
			dst = append(dst, ':')
		}
		if i == 6 && best == 0 && (bestLen == 6 || bestLen == 7 && w[7] != 1 || bestLen == 5 && w[5] == 0xffff) {
			for j, o := range a[12:] {
				if j > 0 {
					dst = append(dst, '.')
				}
				dst = appendUint(dst, uint64(o))
			}
			return dst // the dotted quad ends the address, as in the C code
		}
		dst = appendHex(dst, w[i])
	}
	if best != -1 && best+bestLen == 8 {
		dst = append(dst, ':')
	}
	return dst
}

func appendHex(dst []byte, x uint16) []byte {
	const hex = "0123456789abcdef"
	started := false
	for shift := 12; shift >= 0; shift -= 4 {
		d := x >> shift & 0xf
		if d != 0 || started || shift == 0 {
			dst = append(dst, hex[d])
			started = true
		}
	}
	return dst
}

// putInet parses the text form of an inet or cidr value and writes its
// binary form into dst (inetWireMax bytes). For cidr, host bits right of the
// mask must be zero, as cidr_recv requires.
func putInet(dst, text []byte, cidr bool) (int, error) {
	s := unsafe.String(unsafe.SliceData(text), len(text)) // netip keeps no reference
	bits := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			b, ok := parseSmallUint(s[i+1:])
			if !ok {
				return 0, fmt.Errorf("invalid inet text %q", text)
			}
			bits, s = b, s[:i]
			break
		}
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return 0, fmt.Errorf("invalid inet text %q", text)
	}
	fam, nb := byte(afInet6), 16
	if addr.Is4() {
		fam, nb = afInet, 4
	}
	if bits < 0 {
		bits = 8 * nb
	}
	if bits > 8*nb {
		return 0, fmt.Errorf("invalid inet text %q: prefix longer than the address", text)
	}
	a16 := addr.As16()
	ab := a16[16-nb:]
	if cidr {
		if p := netip.PrefixFrom(addr, bits).Masked(); p.Addr() != addr {
			return 0, fmt.Errorf("invalid cidr text %q: bits set right of the mask", text)
		}
	}
	dst[0], dst[1], dst[3] = fam, byte(bits), byte(nb)
	dst[2] = 0
	if cidr {
		dst[2] = 1
	}
	copy(dst[4:], ab)
	return 4 + nb, nil
}

// parseSmallUint parses 1 to 3 decimal digits.
func parseSmallUint(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = 10*n + int(s[i]-'0')
	}
	return n, true
}
