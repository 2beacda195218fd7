package convert

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
)

func TestPGToMySQLRules(t *testing.T) {
	my := Options{To: EngineMySQL}
	with := func(f func(*Options)) Options { o := my; f(&o); return o }
	boolArr := func() arrow.Array {
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.AppendValues([]bool{true, false}, nil)
		b.AppendNull()
		return b.NewArray()
	}
	uuid := func() arrow.Array {
		b := array.NewFixedSizeBinaryBuilder(mem, &arrow.FixedSizeBinaryType{ByteWidth: 16})
		defer b.Release()
		b.Append([]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0})
		return b.NewArray()
	}
	interval := func(v ...arrow.MonthDayNanoInterval) arrow.Array {
		b := array.NewMonthDayNanoIntervalBuilder(mem)
		defer b.Release()
		b.AppendValues(v, nil)
		return b.NewArray()
	}
	tz := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	cases := []struct {
		name     string
		opts     Options
		col      format.Column
		in       arrow.Array
		wantType string
		wantVals string
		wantErr  string
	}{
		{"boolean", my, format.Column{Type: arrow.FixedWidthTypes.Boolean, SourceType: "boolean"}, boolArr(), "tinyint(1)", "1,0,NULL", ""},
		{"integer", my, format.Column{Type: arrow.PrimitiveTypes.Int32, SourceType: "integer"}, i32s(math.MinInt32, math.MaxInt32), "int", "-2147483648,2147483647", ""},
		{"numeric(12,2) text", my, format.Column{Type: arrow.BinaryTypes.String, SourceType: "numeric(70,2)", Logical: "numeric"}, strs("1.50"), "", "", "choose --numeric-as"},
		{"numeric unconstrained", my, format.Column{Type: arrow.BinaryTypes.String, SourceType: "numeric", Logical: "numeric"}, strs("1"), "", "", "choose --numeric-as=decimal(65,30) or --numeric-as=text"},
		{"numeric as decimal(65,30)", with(func(o *Options) { o.NumericAs = "decimal(65,30)" }), format.Column{Type: arrow.BinaryTypes.String, SourceType: "numeric", Logical: "numeric"}, strs("1.5", "NaN"), "", "", "key (id)=(2): numeric NaN does not fit decimal(65,30)"},
		{"varchar", my, format.Column{Type: arrow.BinaryTypes.String, SourceType: "character varying(20)"}, strs("x"), "varchar(20)", "x", ""},
		{"text", my, format.Column{Type: arrow.BinaryTypes.String, SourceType: "text"}, strs("x"), "longtext", "x", ""},
		{"uuid", my, format.Column{Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}, SourceType: "uuid", Logical: "uuid"}, uuid(), "char(36)", "12345678-9abc-def0-1234-56789abcdef0", ""},
		{"uuid binary", with(func(o *Options) { o.UUIDAs = "binary" }), format.Column{Type: &arrow.FixedSizeBinaryType{ByteWidth: 16}, SourceType: "uuid", Logical: "uuid"}, uuid(), "binary(16)", "EjRWeJq83vASNFZ4mrze8A==", ""},
		{"timestamptz in range", my, format.Column{Type: tz, SourceType: "timestamp with time zone"}, tssZ(1000000, 2147483647999999), "timestamp(6)", "1970-01-01T00:00:01Z,2038-01-19T03:14:07.999999Z", ""},
		{"timestamptz out of range", my, format.Column{Type: tz, SourceType: "timestamp with time zone"}, tssZ(0), "", "", "key (id)=(1): 1970-01-01 00:00:00 is outside the range of a MySQL timestamp"},
		{"timestamptz as datetime", with(func(o *Options) { o.TimestamptzAs = "datetime" }), format.Column{Type: tz, SourceType: "timestamp with time zone"}, tssZ(0), "datetime(6)", "1970-01-01T00:00:00", ""},
		{"infinity error", my, format.Column{Type: arrow.FixedWidthTypes.Date32, SourceType: "date"}, dates(0, math.MaxInt32), "", "", "key (id)=(2): PostgreSQL's ±infinity date"},
		{"infinity null", with(func(o *Options) { o.Infinity = "null" }), format.Column{Type: arrow.FixedWidthTypes.Date32, SourceType: "date"}, dates(0, math.MinInt32), "date", "1970-01-01,NULL", ""},
		{"interval error", my, format.Column{Type: arrow.FixedWidthTypes.MonthDayNanoInterval, SourceType: "interval"}, interval(arrow.MonthDayNanoInterval{}), "", "", "choose --interval-as"},
		{"interval as time", with(func(o *Options) { o.IntervalAs = "time" }), format.Column{Type: arrow.FixedWidthTypes.MonthDayNanoInterval, SourceType: "interval"}, interval(arrow.MonthDayNanoInterval{Days: 1, Nanoseconds: 1000}), "time(6)", "86400000001us", ""},
		{"interval with months as time", with(func(o *Options) { o.IntervalAs = "time" }), format.Column{Type: arrow.FixedWidthTypes.MonthDayNanoInterval, SourceType: "interval"}, interval(arrow.MonthDayNanoInterval{Months: 1}), "", "", "does not fit a MySQL time"},
		{"float NaN", my, format.Column{Type: arrow.PrimitiveTypes.Float32, SourceType: "real"}, f32s(float32(math.NaN())), "", "", "cannot be stored in a MySQL float"},
		{"enum", my, format.Column{Type: arrow.BinaryTypes.String, SourceType: "public.mood", Logical: "enum", Extra: map[string]string{"dbmig.pg.enum": `{"schema":"public","name":"mood","labels":["ok","it's"]}`}}, strs("ok"), "enum('ok','it''s')", "ok", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.col.Name, tc.col.Nullable = "c", true
			out, decl, err := convertOne(t, tc.opts, "postgres", tc.col, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if decl.TargetType != tc.wantType {
				t.Errorf("target type %q, want %q", decl.TargetType, tc.wantType)
			}
			if got := strOf(out); got != tc.wantVals {
				t.Errorf("values %q, want %q", got, tc.wantVals)
			}
		})
	}
}
