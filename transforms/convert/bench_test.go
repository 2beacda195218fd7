package convert

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
)

// BenchmarkBatch13 converts a 13-column MySQL batch of 4096 rows (a
// typical mix: keys and counters, money, text, dates, an enum) and reports
// ns/row. Run: go test -run '^$' -bench Batch13 -benchtime 200x ./transforms/convert
func BenchmarkBatch13(b *testing.B) {
	const n = 4096
	cols := []format.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int unsigned", PKOrdinal: 1},
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int32, SourceType: "int"},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int8, SourceType: "tinyint"},
		{Name: "flags", Type: arrow.PrimitiveTypes.Uint16, SourceType: "smallint unsigned"},
		{Name: "total", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint"},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64, SourceType: "double"},
		{Name: "sku", Type: arrow.BinaryTypes.String, SourceType: "varchar(32)"},
		{Name: "note", Type: arrow.BinaryTypes.String, SourceType: "text", Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, SourceType: "date"},
		{Name: "created", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, SourceType: "datetime(6)"},
		{Name: "updated", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, SourceType: "timestamp(6)"},
		{Name: "status", Type: arrow.BinaryTypes.String, SourceType: "enum('new','paid')", Logical: "enum", Extra: map[string]string{fieldMyValues: `["new","paid"]`}},
		{Name: "big", Type: arrow.PrimitiveTypes.Uint64, SourceType: "bigint unsigned"},
	}
	bld := array.NewRecordBuilder(mem, arrow.NewSchema(func() []arrow.Field {
		f := make([]arrow.Field, len(cols))
		for i, c := range cols {
			f[i] = c.Field()
		}
		return f
	}(), nil))
	defer bld.Release()
	for i := range n {
		bld.Field(0).(*array.Uint32Builder).Append(uint32(i))
		bld.Field(1).(*array.Int32Builder).Append(int32(i * 7))
		bld.Field(2).(*array.Int8Builder).Append(int8(i))
		bld.Field(3).(*array.Uint16Builder).Append(uint16(i))
		bld.Field(4).(*array.Int64Builder).Append(int64(i) * 1000)
		bld.Field(5).(*array.Float64Builder).Append(float64(i) / 3)
		bld.Field(6).(*array.StringBuilder).Append("SKU-000000000000")
		if i%3 == 0 {
			bld.Field(7).(*array.StringBuilder).AppendNull()
		} else {
			bld.Field(7).(*array.StringBuilder).Append("a note of some forty characters, roughly")
		}
		bld.Field(8).(*array.Date32Builder).Append(arrow.Date32(19000 + i%365))
		bld.Field(9).(*array.TimestampBuilder).Append(arrow.Timestamp(1700000000000000 + int64(i)))
		bld.Field(10).(*array.TimestampBuilder).Append(arrow.Timestamp(1700000000000000 + int64(i)))
		bld.Field(11).(*array.StringBuilder).Append([]string{"new", "paid"}[i%2])
		bld.Field(12).(*array.Uint64Builder).Append(math.MaxUint64 - uint64(i))
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	cv, err := NewConverter(Options{To: EnginePostgres})
	if err != nil {
		b.Fatal(err)
	}
	tb, err := cv.Table(format.Header{Table: format.TableID{Engine: "mysql", Schema: "shop", Name: "orders"}, PrimaryKey: []string{"id"}}, cols)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		out, err := tb.Batch(rec)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}
