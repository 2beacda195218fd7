package checksum

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchBatch is 4096 rows of a 13-column table like the project's benchmark
// table: ints, text, decimals, floats, timestamps, a bool, a uuid, a date.
func benchBatch(b *testing.B) arrow.RecordBatch {
	fields := []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customer", Type: arrow.PrimitiveTypes.Int32},
		{Name: "sku", Type: arrow.BinaryTypes.String},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int16},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}},
		{Name: "discount", Type: &arrow.Decimal128Type{Precision: 5, Scale: 4}},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ratio", Type: arrow.PrimitiveTypes.Float32},
		{Name: "created", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "shipped", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "paid", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "ref", Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer rb.Release()
	for i := range 4096 {
		rb.Field(0).(*array.Int64Builder).Append(int64(i) * 7919)
		rb.Field(1).(*array.Int32Builder).Append(int32(i % 1000))
		rb.Field(2).(*array.StringBuilder).Append("SKU-000123-ABCD")
		rb.Field(3).(*array.Int16Builder).Append(int16(i % 50))
		rb.Field(4).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i) * 1999))
		rb.Field(5).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i % 10000)))
		rb.Field(6).(*array.Float64Builder).Append(float64(i) * 0.37)
		rb.Field(7).(*array.Float32Builder).Append(float32(i) / 3)
		rb.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(1700000000000000 + int64(i)))
		rb.Field(9).(*array.TimestampBuilder).Append(arrow.Timestamp(1700000000000000 + int64(i)*1000))
		rb.Field(10).(*array.BooleanBuilder).Append(i%2 == 0)
		rb.Field(11).(*array.FixedSizeBinaryBuilder).Append([]byte("0123456789abcdef"))
		if i%3 == 0 {
			rb.Field(12).AppendNull()
		} else {
			rb.Field(12).(*array.StringBuilder).Append("leave at the door, ring twice")
		}
	}
	return rb.NewRecordBatch()
}

// BenchmarkRowHash is the cost per row of the canonical encoding plus
// XXH3-128, for a 13-column row (ns/op is per row).
func BenchmarkRowHash(b *testing.B) {
	rec := benchBatch(b)
	defer rec.Release()
	cols := make([]int, rec.NumCols())
	for i := range cols {
		cols[i] = i
	}
	h, err := NewHasher(rec.Schema(), cols)
	if err != nil {
		b.Fatal(err)
	}
	h.Bind(rec)
	n := int(rec.NumRows())
	var d Digest
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Add(h.Hash(i % n))
	}
}

// BenchmarkRowEncode is the encoding alone (ns/op per row), to see what
// the hash function adds.
func BenchmarkRowEncode(b *testing.B) {
	rec := benchBatch(b)
	defer rec.Release()
	cols := make([]int, rec.NumCols())
	for i := range cols {
		cols[i] = i
	}
	h, _ := NewHasher(rec.Schema(), cols)
	h.Bind(rec)
	n := int(rec.NumRows())
	buf := make([]byte, 0, 256)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = h.AppendRow(buf[:0], i%n)
	}
}
