package pgcodec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// numericBinary encodes text with putNumericText.
func numericBinary(t *testing.T, s string) []byte {
	t.Helper()
	dst := make([]byte, numericTextMax(len(s)))
	n, err := putNumericText(dst, []byte(s), noScale)
	if err != nil {
		t.Fatalf("putNumericText(%q): %v", s, err)
	}
	return dst[:n]
}

func numericText(t *testing.T, v []byte) string {
	t.Helper()
	out, err := appendNumericText(nil, v)
	if err != nil {
		t.Fatalf("appendNumericText(% x): %v", v, err)
	}
	return string(out)
}

func TestNumericText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"-0.00", "0.00"}, {"+7", "7"}, {".5", "0.5"}, {"5.", "5"},
		{"0.000100", "0.000100"}, {"-12.3400", "-12.3400"}, {"00012.50", "12.50"},
		{"NaN", "NaN"}, {"nan", "NaN"}, {"Infinity", "Infinity"}, {"-Infinity", "-Infinity"},
		{"inf", "Infinity"}, {"+inf", "Infinity"}, {"-INF", "-Infinity"},
		{"1", "1"}, {"9999", "9999"}, {"10000", "10000"}, {"99999999", "99999999"}, {"100000000", "100000000"},
		{"0.0001", "0.0001"}, {"0.00001", "0.00001"}, {"123456789.123456789", "123456789.123456789"},
		{strings.Repeat("9", 1000), strings.Repeat("9", 1000)},
		{"0." + strings.Repeat("0", 999) + "1", "0." + strings.Repeat("0", 999) + "1"},
		{"-" + strings.Repeat("1234567890", 100) + "." + strings.Repeat("9876543210", 50), "-" + strings.Repeat("1234567890", 100) + "." + strings.Repeat("9876543210", 50)},
		{"100000000000000000000.00000000000000000001", "100000000000000000000.00000000000000000001"},
	}
	for _, c := range cases {
		b := numericBinary(t, c.in)
		if got := numericText(t, b); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "-", ".", "1e5", "1.2.3", " 1", "1 ", "0x10", "∞", "Infinit"} {
		if _, err := putNumericText(make([]byte, 64), []byte(bad), noScale); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestNumericBinaryLayout pins the base-10000 layout against PostgreSQL's
// numeric_send output for a few values (taken from a server).
func TestNumericBinaryLayout(t *testing.T) {
	cases := []struct {
		in   string
		want string // hex
	}{
		{"0", "0000000000000000"},
		{"0.00", "0000000000000002"},
		{"1234.5678", "000200000000000404d2162e"},
		{"-0.0001", "0001ffff400000040001"},
		{"10000", "0001000100000000" + "0001"},
		{"NaN", "00000000c0000000"},
	}
	for _, c := range cases {
		if got := fmt.Sprintf("%x", numericBinary(t, c.in)); got != c.want {
			t.Errorf("%q: got %s, want %s", c.in, got, c.want)
		}
	}
}

func TestNumericDecimal(t *testing.T) {
	cases := []struct {
		text        string
		prec, scale int32
		want        string // unscaled, or "error: ..."
	}{
		{"1234.56", 12, 2, "123456"},
		{"-0.01", 12, 2, "-1"},
		{"0", 12, 2, "0"},
		{"0.5", 12, 2, "50"},
		{"9999999999.99", 12, 2, "999999999999"},
		{"9999999999999999999999999999.9999999999", 38, 10, strings.Repeat("9", 38)},
		{"-9999999999999999999999999999.9999999999", 38, 10, "-" + strings.Repeat("9", 38)},
		{"99999999999999999999999999999999999999", 38, 0, strings.Repeat("9", 38)},
		{"1" + strings.Repeat("0", 30), 38, 0, "1" + strings.Repeat("0", 30)},
		{"1234500", 5, -2, "12345"},
		{"0.00123", 3, 5, "123"},
		{"0.00000001", 38, 37, "1" + strings.Repeat("0", 29)},
		{"1.234", 10, 2, "error: more than 2 digits after the decimal point"},
		{"0.00001", 10, 2, "error: more than 2 digits"},
		{"100", 2, 0, "error: does not fit decimal128(2,0)"},
		{"1" + strings.Repeat("0", 38), 38, 0, "error: does not fit"},
		{"1" + strings.Repeat("0", 60), 38, 0, "error: does not fit"},
		{"NaN", 10, 2, "error: numeric NaN cannot be held in decimal128(10,2)"},
		{"Infinity", 10, 2, "error: numeric Infinity cannot be held"},
		{"-Infinity", 10, 2, "error: numeric -Infinity cannot be held"},
	}
	for _, c := range cases {
		x, err := numericToDecimal(numericBinary(t, c.text), c.prec, c.scale)
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("%s as decimal128(%d,%d): got %v, want %s", c.text, c.prec, c.scale, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s as decimal128(%d,%d): %v", c.text, c.prec, c.scale, err)
			continue
		}
		if got := decimal128.New(int64(x.hi), x.lo).BigInt().String(); got != c.want {
			t.Errorf("%s as decimal128(%d,%d): got %s, want %s", c.text, c.prec, c.scale, got, c.want)
		}
	}
}

// TestNumericDecimalRandom converts random decimals to numeric and back, and
// checks the numeric's text against math/big.
func TestNumericDecimalRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, numericDecimalMax)
	for range 200000 {
		prec := int32(1 + r.IntN(38))
		scale := int32(r.IntN(int(prec)+12)) - 6 // includes negative and > prec
		digits := 1 + r.IntN(int(prec))
		var sb strings.Builder
		for i := range digits {
			d := r.IntN(10)
			if r.IntN(4) == 0 {
				d = 0 // runs of zeros exercise trimming
			}
			if i == 0 && r.IntN(3) == 0 {
				d = 9
			}
			sb.WriteByte(byte('0' + d))
		}
		u, _ := new(big.Int).SetString(sb.String(), 10)
		if r.IntN(2) == 0 {
			u.Neg(u)
		}
		num, _ := decimal128.FromBigInt(u), 0
		lo, hi := num.LowBits(), uint64(num.HighBits())
		n := putNumericDecimal(buf, lo, hi, scale)
		back, err := numericToDecimal(buf[:n], prec, scale)
		if err != nil || back.lo != lo || back.hi != hi {
			t.Fatalf("%s scale %d: back %v %v", u, scale, back, err)
		}
		want := bigText(u, scale)
		if got := numericText(t, buf[:n]); got != want {
			t.Fatalf("%s scale %d: text %s, want %s", u, scale, got, want)
		}
		// And the text path gives the same binary.
		if b := numericBinary(t, want); string(b) != string(buf[:n]) {
			t.Fatalf("%s: text → % x, decimal → % x", want, b, buf[:n])
		}
	}
}

// bigText formats u × 10^-scale with max(scale, 0) decimals.
func bigText(u *big.Int, scale int32) string {
	if scale <= 0 {
		v := new(big.Int).Mul(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
		return v.String()
	}
	s := new(big.Int).Abs(u).String()
	if len(s) <= int(scale) {
		s = strings.Repeat("0", int(scale)-len(s)+1) + s
	}
	s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	if u.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// TestNumericAgainstServer compares numeric_out with our text of the same
// binary values, and the decimal128 path with the server's casts.
func TestNumericAgainstServer(t *testing.T) {
	conn := scratchDB(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mustExec(t, conn, `CREATE TABLE n (pk serial, v numeric);
		INSERT INTO n (v) SELECT round((random() - 0.5)::numeric * 10::numeric ^ (random() * 40 - 10)::int, (random() * 30)::int) FROM generate_series(1, 3000);
		INSERT INTO n (v) SELECT (random() * 1e6)::int * 10::numeric ^ (random()*60 - 30)::int FROM generate_series(1, 1000);
		INSERT INTO n (v) VALUES ('NaN'), ('Infinity'), ('-Infinity'), (0), ('0.000000'), (1e-1000), (-1e1000)`)
	sql := `SELECT pk, v, v::text, CASE WHEN v::text NOT IN ('NaN', 'Infinity', '-Infinity') AND abs(v) < 1e27 THEN v::numeric(38,10) END,
		CASE WHEN v::text NOT IN ('NaN', 'Infinity', '-Infinity') AND abs(v) < 1e27 THEN (v::numeric(38,10))::text END FROM n ORDER BY pk`
	res := conn.ExecParams(testCtx(t), sql, nil, nil, nil, nil).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var names []string
	var types []Type
	for i, fd := range res.FieldDescriptions {
		names = append(names, fmt.Sprint("c", i))
		types = append(types, resolveType(t, conn, fd.DataTypeOID, fd.TypeModifier))
	}
	schema := schemaFor(t, names, types, Options{})
	batches, _, err := copyOut(t, conn, mem, sql, schema, types, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(batches)
	rows := 0
	for _, b := range batches {
		for i := range int(b.NumRows()) {
			rows++
			ours, server := b.Column(1).ValueStr(i), b.Column(2).ValueStr(i)
			if ours != server {
				t.Errorf("row %d: ours %q, server %q", rows, ours, server)
			}
			if dec := b.Column(3); dec.IsValid(i) {
				if ours, server := dec.ValueStr(i), b.Column(4).ValueStr(i); ours != server {
					t.Errorf("row %d: decimal %q, server %q", rows, ours, server)
				}
			}
		}
	}
	if rows != 4007 {
		t.Errorf("got %d rows", rows)
	}
}

// TestNumericToInt64 checks the 64-bit fast path against the 128-bit one on
// well-formed and malformed binaries: where the fast path answers, the slow
// one must give the same value.
func TestNumericToInt64(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fast := 0
	for range 300000 {
		nd := r.IntN(7)
		v := make([]byte, 8+2*nd)
		weight := r.IntN(12) - 6
		signs := []uint16{numPos, numNeg, numPos, numNeg, numNaN, 0x1234}
		putNumericHeader(v, nd, weight, signs[r.IntN(len(signs))], r.IntN(8))
		if r.IntN(50) == 0 {
			binary.BigEndian.PutUint16(v[6:], numDscaleMax+1)
		}
		for i := range nd {
			d := r.IntN(10000)
			switch r.IntN(8) {
			case 0:
				d = 0
			case 1:
				d = d / 100 * 100
			case 2:
				d = 10000 + r.IntN(60000) // invalid
			}
			binary.BigEndian.PutUint16(v[8+2*i:], uint16(d))
		}
		if r.IntN(50) == 0 {
			v = v[:len(v)-1]
		}
		prec := int32(1 + r.IntN(20))
		scale := int32(r.IntN(int(prec)+6)) - 3
		x, ok := numericToInt64(v, prec, scale)
		y, err := numericToDecimal128(v, prec, scale)
		if !ok {
			continue
		}
		fast++
		if err != nil || x != y {
			t.Fatalf("% x as decimal128(%d,%d): fast %v, slow %v %v", v, prec, scale, x, y, err)
		}
	}
	if fast < 30000 {
		t.Errorf("fast path taken %d times", fast)
	}
}

// TestPutNumericInt64 checks the 64-bit path of putNumericDecimal against
// the 128-bit one, at the edges of int64 and every scale residue.
func TestPutNumericInt64(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vals := []int64{0, 1, -1, 9, 10, 9999, 10000, -10000, 123456789, math.MaxInt64, math.MinInt64, math.MinInt64 + 1, 1e18, -1e18}
	for range 2000 {
		vals = append(vals, r.Int64()>>r.IntN(64), -r.Int64()>>r.IntN(64))
	}
	a, b := make([]byte, numericDecimalMax), make([]byte, numericDecimalMax)
	for _, v := range vals {
		for scale := int32(-9); scale <= 40; scale++ {
			n := putNumericInt64(a, v, scale)
			m := putNumericDecimal128(b, uint64(v), uint64(v>>63), scale)
			if string(a[:n]) != string(b[:m]) {
				t.Fatalf("%d scale %d: int64 path % x, 128-bit path % x", v, scale, a[:n], b[:m])
			}
		}
	}
}
