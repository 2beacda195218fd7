package pgcodec

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestValuesMatchGo checks decoded values against values computed
// independently in Go, so that an error made the same way in both directions
// (which a round trip cannot see) shows.
func TestValuesMatchGo(t *testing.T) {
	conn := scratchDB(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	utc := func(y int, mo time.Month, d, h, mi, s, us int) int64 {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC).UnixMicro()
	}
	day := func(y int, mo time.Month, d int) int32 {
		return int32(time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	ts := []struct {
		lit  string
		want int64
	}{
		{"2024-02-29 12:34:56.789012", utc(2024, 2, 29, 12, 34, 56, 789012)},
		{"1970-01-01 00:00:00", 0},
		{"1969-12-31 23:59:59.999999", -1},
		{"2000-01-01 00:00:00", epochMicros},
		{"0001-01-01 00:00:00", utc(1, 1, 1, 0, 0, 0, 0)},
		{"1000-06-15 01:02:03 BC", utc(-999, 6, 15, 1, 2, 3, 0)}, // Go counts 1 BC as year 0
		{"4714-11-24 00:00:00 BC", utc(-4713, 11, 24, 0, 0, 0, 0)},
		{"294247-01-10 04:00:54.775806", math.MaxInt64 - 1}, // the last value below the band
		{"294247-01-10 04:00:54.775807", math.MinInt64 + 1}, // would be int64 max: first of the band
		{"294276-12-31 23:59:59.999999", tsBandLast},
		{"infinity", math.MaxInt64},
		{"-infinity", math.MinInt64},
	}
	if got := utc(-4713, 11, 24, 0, 0, 0, 0); got != -210866803200000000 {
		t.Fatalf("4714-11-24 BC is %d µs in Go, docs/TYPES.md says -210866803200000000", got)
	}
	var sel []string
	for _, c := range ts {
		sel = append(sel, "'"+c.lit+"'::timestamp", "'"+c.lit+"+00'::timestamptz")
	}
	dates := []struct {
		lit  string
		want int32
	}{
		{"2024-02-29", day(2024, 2, 29)},
		{"1970-01-01", 0},
		{"1900-03-01", day(1900, 3, 1)},
		{"4714-11-24 BC", day(-4713, 11, 24)},
		{"5874897-12-31", day(5874897, 12, 31)},
		{"infinity", math.MaxInt32},
		{"-infinity", math.MinInt32},
	}
	for _, c := range dates {
		sel = append(sel, "'"+c.lit+"'::date")
	}
	sel = append(sel,
		"'24:00:00'::time", "'13:14:15.000016'::time",
		"'12:00:00+05:30'::timetz", "'12:00:00-00:00:01'::timetz",
		"'1 year 2 mons 3 days 04:05:06.789'::interval", "'-1 mons -00:00:00.000001'::interval",
		"1234.56::numeric(12,2)", "(-0.01)::numeric(12,2)", "1234500::numeric(5,-2)", "0.00123::numeric(3,5)",
		"'-0'::float8", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "'08:00:2b:01:02:03'::macaddr",
	)
	res := conn.ExecParams(testCtx(t), "SELECT "+strings.Join(sel, ", "), nil, nil, nil, nil).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var names []string
	var types []Type
	for i, fd := range res.FieldDescriptions {
		names = append(names, "c"+itoa(i))
		types = append(types, resolveType(t, conn, fd.DataTypeOID, fd.TypeModifier))
	}
	schema := schemaFor(t, names, types, Options{})
	batches, _, err := copyOut(t, conn, mem, "SELECT "+strings.Join(sel, ", "), schema, types, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(batches)
	b := batches[0]
	col := 0
	next := func() arrow.Array { col++; return b.Column(col - 1) }
	for _, c := range ts {
		for _, tz := range []string{"timestamp", "timestamptz"} {
			if got := int64(next().(*array.Timestamp).Value(0)); got != c.want {
				t.Errorf("%s %s: got %d, want %d", tz, c.lit, got, c.want)
			}
		}
	}
	for _, c := range dates {
		if got := int32(next().(*array.Date32).Value(0)); got != c.want {
			t.Errorf("date %s: got %d, want %d", c.lit, got, c.want)
		}
	}
	if got := next().(*array.Time64).Value(0); got != 86400000000 {
		t.Errorf("time 24:00:00: got %d", got)
	}
	if got := next().(*array.Time64).Value(0); got != arrow.Time64((13*3600+14*60+15)*1000000+16) {
		t.Errorf("time 13:14:15.000016: got %d", got)
	}
	for _, want := range []int32{5*3600 + 30*60, -1} {
		st := next().(*array.Struct)
		tm, off := st.Field(0).(*array.Time64).Value(0), st.Field(1).(*array.Int32).Value(0)
		if tm != 12*3600*1000000 || off != want {
			t.Errorf("timetz: got time %d offset %d, want offset %d east", tm, off, want)
		}
	}
	for _, want := range []arrow.MonthDayNanoInterval{
		{Months: 14, Days: 3, Nanoseconds: (4*3600+5*60+6)*1e9 + 789e6},
		{Months: -1, Days: 0, Nanoseconds: -1000},
	} {
		if got := next().(*array.MonthDayNanoInterval).Value(0); got != want {
			t.Errorf("interval: got %+v, want %+v", got, want)
		}
	}
	for _, want := range []string{"1234.56", "-0.01", "1234500", "0.00123"} {
		a := next().(*array.Decimal128)
		if got := a.Value(0).ToString(a.DataType().(*arrow.Decimal128Type).Scale); got != want {
			t.Errorf("numeric: got %s, want %s", got, want)
		}
	}
	if got := next().(*array.Float64).Value(0); got != 0 || !math.Signbit(got) {
		t.Errorf("float8 -0: got %v", got)
	}
	if got := next().(*array.FixedSizeBinary).Value(0); string(got) != "\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11" {
		t.Errorf("uuid: got % x", got)
	}
	if got := next().(*array.FixedSizeBinary).Value(0); string(got) != "\x08\x00\x2b\x01\x02\x03" {
		t.Errorf("macaddr: got % x", got)
	}
}

func itoa(i int) string { return string(appendUint(nil, uint64(i))) }
