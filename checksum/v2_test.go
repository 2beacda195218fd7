package checksum

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// encodeOne returns the canonical encoding of a one-column, one-row batch.
func encodeOne(t *testing.T, f arrow.Field, build func(array.Builder)) []byte {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{f}, nil))
	defer b.Release()
	build(b.Field(0))
	rec := b.NewRecordBatch()
	defer rec.Release()
	h, err := NewHasher(rec.Schema(), []int{0})
	if err != nil {
		t.Fatal(err)
	}
	h.Bind(rec)
	return h.AppendRow(nil, 0)
}

func meta(kv ...string) arrow.Metadata {
	return arrow.NewMetadata([]string{logicalKey, sourceTypeKey}[:len(kv)], kv)
}

// The MySQL/PostgreSQL pairs of encoding version 2 encode alike.
func TestVersion2Pairs(t *testing.T) {
	str := func(v string) func(array.Builder) {
		return func(b array.Builder) { b.(*array.StringBuilder).Append(v) }
	}
	for _, tc := range []struct {
		name   string
		fa, fb arrow.Field
		ba, bb func(array.Builder)
		equal  bool
	}{
		{"set vs text[]", arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Metadata: meta("set")},
			arrow.Field{Name: "s", Type: arrow.ListOf(arrow.BinaryTypes.String)}, str("a,b"),
			func(b array.Builder) {
				lb := b.(*array.ListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
			}, true},
		{"empty set vs {}", arrow.Field{Name: "s", Type: arrow.BinaryTypes.String, Metadata: meta("set")},
			arrow.Field{Name: "s", Type: arrow.ListOf(arrow.BinaryTypes.String)}, str(""),
			func(b array.Builder) { b.(*array.ListBuilder).Append(true) }, true},
		{"bit(5) vs bit varying(5)", arrow.Field{Name: "b", Type: arrow.PrimitiveTypes.Uint64, Metadata: meta("bit", "bit(5)")},
			arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Metadata: meta("text-cast", "bit varying(5)")},
			func(b array.Builder) { b.(*array.Uint64Builder).Append(5) }, str("00101"), true},
		{"char(5) padding", arrow.Field{Name: "c", Type: arrow.BinaryTypes.String, Metadata: meta("", "char(5)")},
			arrow.Field{Name: "c", Type: arrow.BinaryTypes.String, Metadata: meta("", "character(5)")}, str("ab"), str("ab   "), true},
		{"varchar keeps blanks", arrow.Field{Name: "c", Type: arrow.BinaryTypes.String},
			arrow.Field{Name: "c", Type: arrow.BinaryTypes.String}, str("ab"), str("ab "), false},
		{"time vs interval", arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Duration_us},
			arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.MonthDayNanoInterval},
			func(b array.Builder) { b.(*array.DurationBuilder).Append(-3020399000000) },
			func(b array.Builder) {
				b.(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Nanoseconds: -3020399000000000})
			}, true},
		{"1 day vs 24h", arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.Duration_us},
			arrow.Field{Name: "t", Type: arrow.FixedWidthTypes.MonthDayNanoInterval},
			func(b array.Builder) { b.(*array.DurationBuilder).Append(86400e6) },
			func(b array.Builder) {
				b.(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Days: 1})
			}, false},
		{"tinyint(1) vs boolean", arrow.Field{Name: "f", Type: arrow.PrimitiveTypes.Int8},
			arrow.Field{Name: "f", Type: arrow.FixedWidthTypes.Boolean},
			func(b array.Builder) { b.(*array.Int8Builder).Append(1) },
			func(b array.Builder) { b.(*array.BooleanBuilder).Append(true) }, true},
	} {
		a, b := encodeOne(t, tc.fa, tc.ba), encodeOne(t, tc.fb, tc.bb)
		if bytes.Equal(a, b) != tc.equal {
			t.Errorf("%s: %x vs %x, want equal %v", tc.name, a, b, tc.equal)
		}
	}
}
