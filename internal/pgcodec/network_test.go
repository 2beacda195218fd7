package pgcodec

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestInetText pins outputs checked against PostgreSQL 15, quirks included.
func TestInetText(t *testing.T) {
	cases := []struct {
		in   string
		cidr bool
		want string
	}{
		{"10.1.2.3/8", false, "10.1.2.3/8"},
		{"10.1.2.3", false, "10.1.2.3"},
		{"10.1.2.3/32", true, "10.1.2.3/32"},
		{"10.0.0.0/8", true, "10.0.0.0/8"},
		{"0.0.0.0/0", false, "0.0.0.0/0"},
		{"::1", false, "::1"},
		{"::", false, "::"},
		{"::/0", true, "::/0"},
		{"::1:2", false, "::0.1.0.2"}, // six leading zero words: dotted quad
		{"::1.2.3.4", false, "::1.2.3.4"},
		{"::ffff:1.2.3.4", false, "::ffff:1.2.3.4"},
		{"::ffff:1.2.3.4/120", false, "::ffff:1.2.3.4/120"},
		{"::2", false, "::2"},
		{"1:0:0:2:0:0:0:3", false, "1:0:0:2::3"},
		{"1:0:0:2:0:0:3:4", false, "1::2:0:0:3:4"}, // a tie: the first run wins
		{"1:0:1:0:1:0:1:0", false, "1:0:1:0:1:0:1:0"},
		{"2001:db8::1/64", false, "2001:db8::1/64"},
		{"2001:db8::/32", true, "2001:db8::/32"},
		{"fe80::", false, "fe80::"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"},
	}
	for _, c := range cases {
		var wire [inetWireMax]byte
		n, err := putInet(wire[:], []byte(c.in), c.cidr)
		if err != nil {
			t.Errorf("putInet(%q): %v", c.in, err)
			continue
		}
		got, err := appendInet(nil, wire[:n], c.cidr)
		if err != nil || string(got) != c.want {
			t.Errorf("%q (cidr %v): got %q %v, want %q", c.in, c.cidr, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "1.2.3", "1.2.3.4/33", "::1/129", "fe80::1%eth0", "1.2.3.4/", "1.2.3.4/x", "::g"} {
		var wire [inetWireMax]byte
		if _, err := putInet(wire[:], []byte(bad), false); err == nil {
			t.Errorf("putInet(%q): no error", bad)
		}
	}
}

// TestInetAgainstServer decodes inet and cidr values and compares them with
// the server's own text, then loads them back and compares again.
func TestInetAgainstServer(t *testing.T) {
	conn := scratchDB(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(3, 4))
	vals := []string{"::", "::1", "::2", "::1:2", "::ffff:0:0", "::ffff:1.2.3.4", "::fffe:1.2.3.4", "0:0:0:0:0:1:0:0",
		"1::", "0:1::", "1:0:0:2:0:0:0:3", "1:0:0:2:0:0:3:4", "0:0:1::", "::1:0:0:0", "1:2:3:4:5:6:7:8",
		"10.1.2.3/8", "192.168.0.1", "0.0.0.0/0", "255.255.255.255/32", "fe80::1/10"}
	for range 300 {
		var a [16]byte
		for i := range a {
			if r.IntN(3) > 0 {
				a[i] = byte(r.IntN(256))
			}
		}
		for w := range 8 {
			if r.IntN(2) == 0 { // runs of zero words in every position
				a[2*w], a[2*w+1] = 0, 0
			}
		}
		if r.IntN(4) == 0 {
			var v4 [4]byte
			copy(v4[:], a[:4])
			addr := netip.AddrFrom4(v4)
			vals = append(vals, netip.PrefixFrom(addr, r.IntN(33)).String())
			continue
		}
		addr := netip.AddrFrom16(a)
		vals = append(vals, netip.PrefixFrom(addr, r.IntN(129)).String())
	}
	var rows []string
	for i, v := range vals {
		rows = append(rows, fmt.Sprintf("(%d, '%s')", i, v))
	}
	mustExec(t, conn, `CREATE TABLE ip (pk int PRIMARY KEY, i inet, c cidr, it text, ct text);
		CREATE TABLE ip2 (pk int PRIMARY KEY, i inet, c cidr);
		INSERT INTO ip (pk, i) VALUES `+strings.Join(rows, ", ")+`;
		UPDATE ip SET c = network(i), it = format('%s', i), ct = format('%s', network(i)) -- i::text would be text(inet), which always shows the mask`)
	names, types := tableTypes(t, conn, "ip")
	schema := schemaFor(t, names, types, Options{})
	batches, _, err := copyOut(t, conn, mem, "SELECT * FROM ip ORDER BY pk", schema, types, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		for i := range int(b.NumRows()) {
			for _, p := range [][2]int{{1, 3}, {2, 4}} {
				if ours, server := b.Column(p[0]).ValueStr(i), b.Column(p[1]).ValueStr(i); ours != server {
					t.Errorf("%s: ours %q, server %q", names[p[0]], ours, server)
				}
			}
		}
	}
	// Load inet and cidr back, without the text columns.
	sub := schemaFor(t, names[:3], types[:3], Options{})
	var subBatches []arrow.RecordBatch
	for _, b := range batches {
		subBatches = append(subBatches, array.NewRecordBatch(sub, b.Columns()[:3], b.NumRows()))
		b.Release()
	}
	_, ip2 := tableTypes(t, conn, "ip2")
	if _, err := copyIn(t, conn, "ip2", sub, ip2, subBatches); err != nil {
		t.Fatal(err)
	}
	if a, b := tableDigest(t, conn, "(SELECT pk, i, c FROM ip)", "pk"), tableDigest(t, conn, "ip2", "pk"); a != b {
		t.Errorf("digests differ: %s %s", a, b)
		diffTables(t, conn, "ip", "ip2", []string{"pk", "i", "c"})
	}
}
