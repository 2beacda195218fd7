package pgcodec

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Random batches for tests that need no server: the stream tests, the fuzz
// seeds and the benchmarks.

func scalar(oid uint32, name string) Type { return Type{OID: oid, Name: name, Typmod: -1} }

func arrayOf(t Type) Type {
	e := t
	return Type{OID: 1, Name: "_" + t.Name, Typmod: t.Typmod, Elem: &e}
}

var (
	tNumeric12 = Type{OID: oidNumeric, Name: "numeric", Typmod: 12<<16 | 2 + 4}
	tNumeric38 = Type{OID: oidNumeric, Name: "numeric", Typmod: 38<<16 | 10 + 4}
	tEnum      = Type{OID: 50000, Name: "mood", Typmod: -1, Enum: true}
)

// allTypes is one column of every supported type, then arrays of them.
func allTypes() (names []string, types []Type) {
	scalars := []Type{
		scalar(oidBool, "bool"), scalar(oidInt2, "int2"), scalar(oidInt4, "int4"), scalar(oidInt8, "int8"),
		scalar(oidFloat4, "float4"), scalar(oidFloat8, "float8"), scalar(oidNumeric, "numeric"), tNumeric12, tNumeric38,
		scalar(oidText, "text"), scalar(oidBytea, "bytea"), scalar(oidJSON, "json"), scalar(oidJSONB, "jsonb"),
		scalar(oidDate, "date"), scalar(oidTime, "time"), scalar(oidTimeTZ, "timetz"), scalar(oidTimestamp, "timestamp"),
		scalar(oidTimestamptz, "timestamptz"), scalar(oidInterval, "interval"), scalar(oidUUID, "uuid"),
		scalar(oidInet, "inet"), scalar(oidCidr, "cidr"), scalar(oidMacaddr, "macaddr"), tEnum,
	}
	for i, s := range scalars {
		names = append(names, fmt.Sprintf("c%d_%s", i, s.Name))
		types = append(types, s)
	}
	for i, s := range scalars {
		names = append(names, fmt.Sprintf("a%d_%s", i, s.Name))
		types = append(types, arrayOf(s))
	}
	return names, types
}

// genBatch builds n random rows of schema (whose fields map types); about
// one value in nullEvery is null (never, when nullEvery is 0).
func genBatch(mem memory.Allocator, schema *arrow.Schema, types []Type, n int, r *rand.Rand, nullEvery int) arrow.RecordBatch {
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for i, t := range types {
		for range n {
			genValue(rb.Field(i), t, r, nullEvery)
		}
	}
	return rb.NewRecordBatch()
}

func genValue(b array.Builder, t Type, r *rand.Rand, nullEvery int) {
	if nullEvery > 0 && r.IntN(nullEvery) == 0 {
		b.AppendNull()
		return
	}
	if t.Elem != nil {
		lb := b.(*array.ListBuilder)
		lb.Append(true)
		for range r.IntN(4) {
			genValue(lb.ValueBuilder(), *t.Elem, r, 3)
		}
		return
	}
	if t.Enum {
		b.(*array.StringBuilder).Append([]string{"sad", "ok", "happy", "ünïcødé 😀"}[r.IntN(4)])
		return
	}
	switch t.OID {
	case oidBool:
		b.(*array.BooleanBuilder).Append(r.IntN(2) == 0)
	case oidInt2:
		b.(*array.Int16Builder).Append(int16(r.Uint32()))
	case oidInt4:
		b.(*array.Int32Builder).Append(int32(r.Uint32()))
	case oidInt8:
		b.(*array.Int64Builder).Append(int64(r.Uint64()))
	case oidFloat4:
		b.(*array.Float32Builder).Append([]float32{float32(math.NaN()), float32(math.Inf(-1)), r.Float32() * 1e6}[r.IntN(3)])
	case oidFloat8:
		b.(*array.Float64Builder).Append([]float64{math.NaN(), math.Inf(1), r.NormFloat64() * 1e9}[r.IntN(3)])
	case oidNumeric:
		if p, _, ok := numericTypmod(t.Typmod); ok {
			// Up to p (≤ 36 here) digits: 18 from one factor, the rest from a second.
			u := decimal128.FromI64(r.Int64N(int64(pow10u64[min(p, 18)])))
			if p > 18 {
				u = u.Mul(decimal128.FromI64(r.Int64N(int64(pow10u64[min(p-18, 18)]))))
			}
			if r.IntN(2) == 0 {
				u = u.Negate()
			}
			b.(*array.Decimal128Builder).Append(u)
			return
		}
		b.(*array.StringBuilder).Append(randNumericText(r))
	case oidText:
		b.(*array.StringBuilder).Append(randText(r, r.IntN(120)))
	case oidBytea:
		v := make([]byte, r.IntN(60))
		for i := range v {
			v[i] = byte(r.Uint32())
		}
		b.(*array.BinaryBuilder).Append(v)
	case oidJSON, oidJSONB:
		b.(*array.StringBuilder).Append(fmt.Sprintf(`{"id": %d, "name": %q, "tags": ["a", "b"], "ok": true}`, r.IntN(1e6), randText(r, 12)))
	case oidDate:
		b.(*array.Date32Builder).Append(arrow.Date32(r.Int32N(dateEndPG-dateMinPG) + dateMinPG + epochDays))
	case oidTime:
		b.(*array.Time64Builder).Append(arrow.Time64(r.Int64N(usPerDay + 1)))
	case oidTimeTZ:
		sb := b.(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Time64Builder).Append(arrow.Time64(r.Int64N(usPerDay + 1)))
		sb.FieldBuilder(1).(*array.Int32Builder).Append(r.Int32N(2*tzLimit-1) - tzLimit + 1)
	case oidTimestamp, oidTimestamptz:
		var v int64
		switch r.IntN(8) {
		case 0:
			v = math.MaxInt64
		case 1:
			v = tsBandFirst + r.Int64N(tsBandLast-tsBandFirst+1)
		case 2:
			v = r.Int64N(4e15) // around now
		default:
			// Anywhere in range; the sum wraps exactly in two's complement.
			v = tsMinArrow + int64(r.Uint64N(uint64(math.MaxInt64-1)+uint64(-tsMinArrow)))
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
	case oidInterval:
		b.(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{
			Months: int32(r.Uint32()), Days: int32(r.Uint32()), Nanoseconds: int64(r.Uint64()) / 1000 * 1000})
	case oidUUID, oidMacaddr:
		v := make([]byte, 16)
		for i := range v {
			v[i] = byte(r.Uint32())
		}
		fb := b.(*array.FixedSizeBinaryBuilder)
		fb.Append(v[:fb.Type().(*arrow.FixedSizeBinaryType).ByteWidth])
	case oidInet, oidCidr:
		var a [16]byte
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		addr := netip.AddrFrom16(a)
		if r.IntN(2) == 0 {
			addr = netip.AddrFrom4([4]byte(a[:4]))
		}
		var text []byte
		p := netip.PrefixFrom(addr, r.IntN(addr.BitLen()+1))
		if t.OID == oidCidr {
			p = p.Masked()
		}
		var wire [inetWireMax]byte
		n, _ := putInet(wire[:], []byte(p.String()), t.OID == oidCidr)
		text, _ = appendInet(nil, wire[:n], t.OID == oidCidr)
		b.(*array.StringBuilder).Append(string(text))
	default:
		panic("genValue: no generator for " + t.Name)
	}
}

func randText(r *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789é😀"
	var sb strings.Builder
	for sb.Len() < n {
		sb.WriteString(string([]rune(chars)[r.IntN(len([]rune(chars)))]))
	}
	return sb.String()
}

func randNumericText(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return "NaN"
	case 1:
		return "-Infinity"
	}
	var sb strings.Builder
	if r.IntN(2) == 0 {
		sb.WriteByte('-')
	}
	sb.WriteByte(byte('1' + r.IntN(9)))
	for range r.IntN(30) {
		sb.WriteByte(byte('0' + r.IntN(10)))
	}
	if r.IntN(2) == 0 {
		sb.WriteByte('.') // PostgreSQL's form: at least one digit after the point
		for range 1 + r.IntN(30) {
			sb.WriteByte(byte('0' + r.IntN(10)))
		}
	}
	return sb.String()
}

// encodeAll encodes batches (which it releases) into one COPY stream, reading
// with buffers of size bufSize.
func encodeAll(t testing.TB, schema *arrow.Schema, types []Type, batches []arrow.RecordBatch, bufSize int) []byte {
	t.Helper()
	enc, err := NewEncoder(schema, types)
	if err != nil {
		t.Fatal(err)
	}
	r := enc.Reader(sliceSource(batches))
	defer r.Close()
	var out bytes.Buffer
	buf := make([]byte, bufSize)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// decodeChunks decodes stream fed in writes of chunk bytes.
func decodeChunks(t testing.TB, mem memory.Allocator, schema *arrow.Schema, types []Type, stream []byte, chunk, maxRows int) ([]arrow.RecordBatch, error) {
	t.Helper()
	return decodeChunksOpts(t, mem, schema, types, Options{}, stream, chunk, maxRows)
}

func decodeChunksOpts(t testing.TB, mem memory.Allocator, schema *arrow.Schema, types []Type, o Options, stream []byte, chunk, maxRows int) ([]arrow.RecordBatch, error) {
	t.Helper()
	var out []arrow.RecordBatch
	dec, err := NewDecoder(mem, schema, types, o, func(b arrow.RecordBatch) error {
		out = append(out, b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if maxRows > 0 {
		dec.MaxRows = maxRows
	}
	for len(stream) > 0 {
		k := min(chunk, len(stream))
		if _, err := dec.Write(stream[:k]); err != nil {
			dec.Close()
			return out, err
		}
		stream = stream[k:]
	}
	return out, dec.Close()
}
