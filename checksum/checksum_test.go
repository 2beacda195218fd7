package checksum

import (
	"bytes"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// one builds a one-row batch of a single column holding v.
func one(t testing.TB, dt arrow.DataType, logical string, v any) arrow.RecordBatch {
	t.Helper()
	md := arrow.Metadata{}
	if logical != "" {
		md = arrow.NewMetadata([]string{logicalKey}, []string{logical})
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: dt, Nullable: true, Metadata: md}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	switch fb := b.Field(0).(type) {
	case *array.Int64Builder:
		fb.Append(v.(int64))
	case *array.Int32Builder:
		fb.Append(v.(int32))
	case *array.Int8Builder:
		fb.Append(v.(int8))
	case *array.Uint64Builder:
		fb.Append(v.(uint64))
	case *array.BooleanBuilder:
		fb.Append(v.(bool))
	case *array.Decimal128Builder:
		fb.Append(v.(decimal128.Num))
	case *array.Float64Builder:
		fb.Append(v.(float64))
	case *array.Float32Builder:
		fb.Append(v.(float32))
	case *array.StringBuilder:
		fb.Append(v.(string))
	case *array.TimestampBuilder:
		fb.Append(arrow.Timestamp(v.(int64)))
	}
	return b.NewRecordBatch()
}

func encode(t testing.TB, rec arrow.RecordBatch) []byte {
	h, err := NewHasher(rec.Schema(), []int{0})
	if err != nil {
		t.Fatal(err)
	}
	h.Bind(rec)
	return h.AppendRow(nil, 0)
}

// Values that are equal across engines encode alike; values that are not,
// do not.
func TestCanonicalEncoding(t *testing.T) {
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	ts, tsz := &arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	type val struct {
		dt      arrow.DataType
		logical string
		v       any
	}
	equal := [][]val{
		{{arrow.PrimitiveTypes.Int64, "", int64(5)}, {arrow.PrimitiveTypes.Int32, "", int32(5)}, {dec(10, 2), "", decimal128.FromI64(500)},
			{arrow.BinaryTypes.String, "numeric", "5.000"}, {dec(38, 0), "", decimal128.FromI64(5)}},
		{{dec(10, 2), "", decimal128.FromI64(150)}, {dec(12, 4), "", decimal128.FromI64(15000)}, {arrow.BinaryTypes.String, "numeric", "1.5"}},
		{{arrow.FixedWidthTypes.Boolean, "", true}, {arrow.PrimitiveTypes.Int8, "", int8(1)}},
		{{arrow.PrimitiveTypes.Float64, "", 0.0}, {arrow.PrimitiveTypes.Float64, "", math.Copysign(0, -1)}, {arrow.PrimitiveTypes.Float32, "", float32(0)}},
		{{arrow.PrimitiveTypes.Float64, "", math.NaN()}, {arrow.PrimitiveTypes.Float64, "", math.Float64frombits(0x7ff8000000000001)}, {arrow.PrimitiveTypes.Float32, "", float32(math.NaN())}},
		{{arrow.PrimitiveTypes.Float64, "", 0.5}, {arrow.PrimitiveTypes.Float32, "", float32(0.5)}},
		{{ts, "", int64(1700000000000000)}, {tsz, "", int64(1700000000000000)}},
		{{arrow.BinaryTypes.String, "jsonb", `{"b": [1.50, true], "a": null}`}, {arrow.BinaryTypes.String, "json", `{"a":null,"b":[15e-1,true],"a":null}`}},
		{{arrow.PrimitiveTypes.Uint64, "", uint64(math.MaxUint64)}, {arrow.BinaryTypes.String, "numeric", "18446744073709551615"}},
	}
	var classes [][]byte
	for _, group := range equal {
		var first []byte
		for i, v := range group {
			rec := one(t, v.dt, v.logical, v.v)
			got := encode(t, rec)
			rec.Release()
			if i == 0 {
				first = got
				continue
			}
			if !bytes.Equal(got, first) {
				t.Errorf("%s %v encodes %x, %s %v encodes %x", group[0].dt, group[0].v, first, v.dt, v.v, got)
			}
		}
		classes = append(classes, first)
	}
	for i := range classes {
		for j := i + 1; j < len(classes); j++ {
			if bytes.Equal(classes[i], classes[j]) {
				t.Errorf("groups %d and %d encode alike: %x", i, j, classes[i])
			}
		}
	}
	// Different text (case, accents) is different.
	a, b := one(t, arrow.BinaryTypes.String, "", "é"), one(t, arrow.BinaryTypes.String, "", "É")
	defer a.Release()
	defer b.Release()
	if bytes.Equal(encode(t, a), encode(t, b)) {
		t.Error("é and É encode alike")
	}
}

// The key encoding sorts as the values do, across types of one class.
func TestKeyOrder(t *testing.T) {
	dec := &arrow.Decimal128Type{Precision: 20, Scale: 3}
	keys := []struct {
		dt arrow.DataType
		v  any
	}{
		{arrow.PrimitiveTypes.Int64, int64(math.MinInt64)},
		{dec, decimal128.FromI64(-1500)}, // -1.5
		{arrow.PrimitiveTypes.Int32, int32(-1)},
		{dec, decimal128.FromI64(-500)}, // -0.5
		{arrow.PrimitiveTypes.Int64, int64(0)},
		{dec, decimal128.FromI64(250)}, // 0.25
		{dec, decimal128.FromI64(500)}, // 0.5
		{dec, decimal128.FromI64(510)}, // 0.51
		{arrow.PrimitiveTypes.Int64, int64(1)},
		{arrow.PrimitiveTypes.Uint64, uint64(math.MaxUint64)},
	}
	var prev []byte
	for i, k := range keys {
		rec := one(t, k.dt, "", k.v)
		e, err := NewKeyEncoder(rec.Schema(), []int{0})
		if err != nil {
			t.Fatal(err)
		}
		e.Bind(rec)
		got, err := e.Append(nil, 0)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && bytes.Compare(prev, got) >= 0 {
			t.Errorf("key %d (%v) %x does not sort after %x", i, k.v, got, prev)
		}
		prev = got
	}
	// Text sorts bytewise (code points), not by a collation.
	words := []string{"", "B", "E", "a", "ab", "b", "z", "é"}
	prev = nil
	for i, w := range words {
		rec := one(t, arrow.BinaryTypes.String, "", w)
		e, _ := NewKeyEncoder(rec.Schema(), []int{0})
		e.Bind(rec)
		got, _ := e.Append(nil, 0)
		rec.Release()
		if i > 0 && bytes.Compare(prev, got) >= 0 {
			t.Errorf("%q does not sort after the word before it", w)
		}
		prev = got
	}
}

func TestDigestOrderIndependent(t *testing.T) {
	hs := []Hash{{Hi: 1, Lo: math.MaxUint64}, {Hi: 7, Lo: 3}, {Hi: math.MaxUint64, Lo: 9}}
	var a, b Digest
	for i := range hs {
		a.Add(hs[i])
		b.Add(hs[len(hs)-1-i])
	}
	if a != b || a.Rows != 3 {
		t.Errorf("%v != %v", a, b)
	}
	var c, d Digest
	c.Add(hs[0])
	d.Add(hs[1])
	d.Add(hs[2])
	c.Merge(d)
	if c != a {
		t.Errorf("merged %v, want %v", c, a)
	}
}
