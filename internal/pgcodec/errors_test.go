package pgcodec

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestDecodeErrors decodes values the mapping refuses and checks that the
// error names column, row and key.
func TestDecodeErrors(t *testing.T) {
	cfg := scratchConfig(t)
	cases := []struct {
		name, typ, bad, want string
	}{
		{"nan_into_decimal", "numeric(10,2)", "'NaN'", "NaN cannot be held in decimal128(10,2)"},
		{"nan_element_into_decimal", "numeric(10,2)[]", "'{1,NaN}'", "element 2: numeric NaN cannot be held"},
		{"multi_dim", "int4[]", "'{{1,2},{3,4}}'", "2 dimensions"},
		{"lower_bound", "text[]", "'[0:1]={a,b}'", "lower bound 0"},
		{"interval_overflow", "interval", "'2562048 hours'", "exceeds what month_day_nano holds"},
		{"interval_overflow_neg", "interval", "'-2562047:47:16.854776'", "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := connectTo(t, cfg) // the failed COPY closes it
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			tbl := "e_" + c.name
			mustExec(t, conn, "CREATE TABLE "+tbl+" (pk int PRIMARY KEY, v "+c.typ+")")
			mustExec(t, conn, "INSERT INTO "+tbl+" VALUES (1, NULL), (7, "+c.bad+")")
			names, types := tableTypes(t, conn, tbl)
			schema := schemaFor(t, names, types, Options{})
			_, _, err := copyOut(t, conn, mem, "SELECT * FROM "+tbl+" ORDER BY pk", schema, types, Options{}, 0)
			if err == nil {
				t.Fatal("no error")
			}
			ve := asValueError(t, err)
			if ve.Column != "v" || ve.Row != 2 || ve.Key != "pk=7" || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %q (column %q, row %d, key %q), want column v, row 2, key pk=7 and %q", err, ve.Column, ve.Row, ve.Key, c.want)
			}
		})
	}
}

// TestUnsupported checks that an unsupported type is an error naming it, and
// that with UnsupportedAsText the caller's col::text is read as text-cast.
func TestUnsupported(t *testing.T) {
	pt := Type{OID: 600, Name: "point", Typmod: -1}
	if _, _, err := ArrowType(pt, Options{}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "point") {
		t.Errorf("ArrowType(point) = %v, want an ErrUnsupported naming point", err)
	}
	arr := Type{OID: 1017, Name: "_point", Typmod: -1, Elem: &pt}
	dt, logical, err := ArrowType(arr, Options{UnsupportedAsText: true})
	if err != nil || dt.ID() != arrow.STRING || logical != LogicalTextCast {
		t.Errorf("ArrowType(_point, text) = %v %q %v, want utf8 text-cast", dt, logical, err)
	}

	conn := scratchDB(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mustExec(t, conn, "CREATE TABLE pts (pk int, p point, ps point[]); INSERT INTO pts VALUES (1, '(1,2)', '{\"(3,4)\",NULL}'), (2, NULL, NULL)")
	names, types := tableTypes(t, conn, "pts")
	o := Options{UnsupportedAsText: true}
	schema := schemaFor(t, names, types, o)
	batches, _, err := copyOut(t, conn, mem, "SELECT pk, p::text, ps::text FROM pts ORDER BY pk", schema, types, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(batches)
	p, ps := batches[0].Column(1).(*array.String), batches[0].Column(2).(*array.String)
	if p.Value(0) != "(1,2)" || ps.Value(0) != `{"(3,4)",NULL}` || !p.IsNull(1) || !ps.IsNull(1) {
		t.Errorf("got %v %v", p, ps)
	}
}

// TestEncoderPairs checks which Arrow types NewEncoder accepts for a target.
func TestEncoderPairs(t *testing.T) {
	text := Type{OID: oidText, Name: "text", Typmod: -1}
	num := func(p, s int32) Type { return Type{OID: oidNumeric, Name: "numeric", Typmod: p<<16 | s + 4} }
	field := func(dt arrow.DataType, logical string) arrow.Field {
		f := arrow.Field{Name: "x", Type: dt, Nullable: true}
		if logical != "" {
			f.Metadata = arrow.NewMetadata([]string{metaLogical}, []string{logical})
		}
		return f
	}
	cases := []struct {
		f  arrow.Field
		t  Type
		ok bool
	}{
		{field(arrow.PrimitiveTypes.Int16, ""), Type{OID: oidInt8, Name: "int8"}, true},
		{field(arrow.PrimitiveTypes.Int32, ""), Type{OID: oidInt8, Name: "int8"}, true},
		{field(arrow.PrimitiveTypes.Int64, ""), Type{OID: oidInt4, Name: "int4"}, false},
		{field(arrow.PrimitiveTypes.Float32, ""), Type{OID: oidFloat8, Name: "float8"}, true},
		{field(arrow.PrimitiveTypes.Float64, ""), Type{OID: oidFloat4, Name: "float4"}, false},
		{field(arrow.BinaryTypes.String, LogicalJSONB), text, true},
		{field(arrow.BinaryTypes.String, LogicalJSON), Type{OID: oidJSONB, Name: "jsonb"}, true},
		{field(arrow.BinaryTypes.String, ""), Type{OID: oidInet, Name: "inet"}, false},
		{field(arrow.BinaryTypes.String, LogicalCidr), Type{OID: oidInet, Name: "inet"}, true},
		{field(arrow.BinaryTypes.String, LogicalNumeric), num(10, 2), true},
		{field(arrow.BinaryTypes.String, ""), num(10, 2), false},
		{field(&arrow.Decimal128Type{Precision: 10, Scale: 2}, ""), num(12, 2), true},
		{field(&arrow.Decimal128Type{Precision: 10, Scale: 4}, ""), num(10, 2), false},
		{field(&arrow.Decimal128Type{Precision: 12, Scale: 2}, ""), num(10, 2), false},
		{field(&arrow.Decimal128Type{Precision: 38, Scale: 10}, ""), Type{OID: oidNumeric, Name: "numeric", Typmod: -1}, true},
		{field(typTimestamp, ""), Type{OID: oidTimestamptz, Name: "timestamptz"}, false},
		{field(typTimestamptz, ""), Type{OID: oidTimestamptz, Name: "timestamptz"}, true},
		{field(arrow.BinaryTypes.String, ""), Type{OID: 9999, Name: "mood", Enum: true}, false},
		{field(arrow.BinaryTypes.String, LogicalEnum), Type{OID: 9999, Name: "mood", Enum: true}, true},
		{field(arrow.ListOf(arrow.PrimitiveTypes.Int32), ""), Type{OID: 1016, Name: "_int8", Elem: &Type{OID: oidInt8, Name: "int8"}}, true},
		{field(arrow.PrimitiveTypes.Int32, ""), Type{OID: 1016, Name: "_int8", Elem: &Type{OID: oidInt8, Name: "int8"}}, false},
		{field(arrow.PrimitiveTypes.Int32, ""), Type{OID: 600, Name: "point"}, false},
	}
	for _, c := range cases {
		_, err := NewEncoder(arrow.NewSchema([]arrow.Field{c.f}, nil), []Type{c.t})
		if (err == nil) != c.ok {
			t.Errorf("%s into %s: got error %v, want ok=%v", c.f.Type, c.t.Name, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `column "x"`) {
			t.Errorf("error %q does not name the column", err)
		}
	}
}

// TestEncodeErrors checks value errors of the Encoder, which need no server:
// they stop the stream before the value is sent.
func TestEncodeErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		name   string
		dt     arrow.DataType
		target Type
		build  func(b array.Builder)
		want   string
	}{
		{"ts_before_range", typTimestamp, Type{OID: oidTimestamp, Name: "timestamp"}, func(b array.Builder) {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(tsMinArrow - 1))
		}, "before PostgreSQL's range"},
		{"ts_after_band", typTimestamptz, Type{OID: oidTimestamptz, Name: "timestamptz"}, func(b array.Builder) {
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(tsBandLast + 1))
		}, "before PostgreSQL's range"},
		{"date_range", arrow.FixedWidthTypes.Date32, Type{OID: oidDate, Name: "date"}, func(b array.Builder) {
			b.(*array.Date32Builder).Append(arrow.Date32(math.MaxInt32 - 1))
		}, "out of PostgreSQL's date range"},
		{"time_range", arrow.FixedWidthTypes.Time64us, Type{OID: oidTime, Name: "time"}, func(b array.Builder) {
			b.(*array.Time64Builder).Append(86400000001)
		}, "outside 00:00:00 to 24:00:00"},
		{"interval_ns", arrow.FixedWidthTypes.MonthDayNanoInterval, Type{OID: oidInterval, Name: "interval"}, func(b array.Builder) {
			b.(*array.MonthDayNanoIntervalBuilder).Append(arrow.MonthDayNanoInterval{Nanoseconds: 1500})
		}, "not a whole number of microseconds"},
		{"numeric_text", arrow.BinaryTypes.String, Type{OID: oidNumeric, Name: "numeric", Typmod: -1}, func(b array.Builder) {
			b.(*array.StringBuilder).Append("1e5")
		}, "invalid numeric text"},
		{"numeric_round", arrow.BinaryTypes.String, Type{OID: oidNumeric, Name: "numeric", Typmod: 10<<16 | 2 + 4}, func(b array.Builder) {
			b.(*array.StringBuilder).Append("1.234")
		}, "would round it"},
		{"cidr_host_bits", arrow.BinaryTypes.String, Type{OID: oidCidr, Name: "cidr"}, func(b array.Builder) {
			b.(*array.StringBuilder).Append("10.1.0.0/8")
		}, "bits set right of the mask"},
		{"array_element", arrow.ListOf(typTimestamp), Type{OID: 1115, Name: "_timestamp", Elem: &Type{OID: oidTimestamp, Name: "timestamp"}}, func(b array.Builder) {
			lb := b.(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{0, tsMinArrow - 1}, nil)
		}, "element 2: timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logical := ""
			switch c.target.OID {
			case oidNumeric:
				logical = LogicalNumeric
			case oidCidr:
				logical = LogicalCidr
			}
			f := arrow.Field{Name: "v", Type: c.dt, Nullable: true, Metadata: arrow.NewMetadata([]string{metaLogical}, []string{logical})}
			schema := arrow.NewSchema([]arrow.Field{{Name: "pk", Type: arrow.PrimitiveTypes.Int32}, f}, nil)
			rb := array.NewRecordBuilder(mem, schema)
			defer rb.Release()
			rb.Field(0).(*array.Int32Builder).AppendValues([]int32{10, 20, 30}, nil)
			rb.Field(1).AppendNull()
			rb.Field(1).AppendNull()
			c.build(rb.Field(1))
			first := rb.NewRecordBatch()
			// A second batch checks that row numbers run across batches.
			rb.Field(0).(*array.Int32Builder).Append(40)
			c.build(rb.Field(1))
			second := rb.NewRecordBatch()
			enc, err := NewEncoder(schema, []Type{{OID: oidInt4, Name: "int4"}, c.target})
			if err != nil {
				t.Fatal(err)
			}
			enc.Keys = []int{0}
			second.Release() // the reader stops at the first batch's bad row
			r := enc.Reader(sliceSource([]arrow.RecordBatch{first}))
			_, err = io.ReadAll(r)
			r.Close()
			if err == nil {
				t.Fatal("no error")
			}
			ve := asValueError(t, err)
			if ve.Column != "v" || ve.Row != 3 || ve.Key != "pk=30" || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %q, want column v, row 3, key pk=30 and %q", err, c.want)
			}
		})
	}
}
