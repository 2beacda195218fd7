package convert

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
)

// convertOne converts a one-column batch (plus an int32 key "id") and
// returns the converted column, its declaration and the error.
func convertOne(t *testing.T, opts Options, engine string, col format.Column, values arrow.Array) (arrow.Array, format.Column, error) {
	t.Helper()
	cv, err := NewConverter(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := format.Header{Table: format.TableID{Engine: engine, Database: "db", Schema: "db", Name: "t"}, PrimaryKey: []string{"id"}}
	cols := []format.Column{{Name: "id", Type: arrow.PrimitiveTypes.Int32, SourceType: "int", PKOrdinal: 1}, col}
	tb, err := cv.Table(h, cols)
	if err != nil {
		return nil, format.Column{}, err
	}
	ids := array.NewInt32Builder(mem)
	for i := range values.Len() {
		ids.Append(int32(i + 1))
	}
	idArr := ids.NewArray()
	defer idArr.Release()
	schema := arrow.NewSchema([]arrow.Field{cols[0].Field(), cols[1].Field()}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{idArr, values}, int64(values.Len()))
	defer rec.Release()
	out, err := tb.Batch(rec)
	if err != nil {
		return nil, tb.Columns()[1], err
	}
	t.Cleanup(out.Release)
	return out.Column(1), tb.Columns()[1], nil
}

func strOf(a arrow.Array) string {
	parts := make([]string, a.Len())
	for i := range a.Len() {
		if a.IsNull(i) {
			parts[i] = "NULL"
		} else {
			parts[i] = a.ValueStr(i)
		}
	}
	return strings.Join(parts, ",")
}

func TestMySQLToPGRules(t *testing.T) {
	pg := Options{To: EnginePostgres}
	with := func(f func(*Options)) Options { o := pg; f(&o); return o }
	dt := func(unit arrow.TimeUnit, tz string) arrow.DataType {
		return &arrow.TimestampType{Unit: unit, TimeZone: tz}
	}
	cases := []struct {
		name     string
		opts     Options
		col      format.Column
		in       arrow.Array
		wantType string
		wantVals string
		wantErr  string
	}{
		{"tinyint default smallint", pg, format.Column{Type: arrow.PrimitiveTypes.Int8, SourceType: "tinyint(1)"}, i8s(-128, 0, 1, 127, nil), "smallint", "-128,0,1,127,NULL", ""},
		{"tinyint(1) as bool", with(func(o *Options) { o.Tinyint1AsBool = true }), format.Column{Type: arrow.PrimitiveTypes.Int8, SourceType: "tinyint(1)"}, i8s(0, 1, nil), "boolean", "false,true,NULL", ""},
		{"tinyint(1) as bool refuses 2", with(func(o *Options) { o.Tinyint1AsBool = true }), format.Column{Type: arrow.PrimitiveTypes.Int8, SourceType: "tinyint(1)"}, i8s(0, 2), "", "", "column c, key (id)=(2): tinyint(1) value 2 is not 0 or 1"},
		{"tinyint(4) stays smallint with the flag", with(func(o *Options) { o.Tinyint1AsBool = true }), format.Column{Type: arrow.PrimitiveTypes.Int8, SourceType: "tinyint(4)"}, i8s(5), "smallint", "5", ""},
		{"tinyint unsigned", pg, format.Column{Type: arrow.PrimitiveTypes.Uint8, SourceType: "tinyint(3) unsigned"}, u8s(0, 255), "smallint", "0,255", ""},
		{"smallint unsigned", pg, format.Column{Type: arrow.PrimitiveTypes.Uint16, SourceType: "smallint(5) unsigned"}, u16s(0, 65535), "integer", "0,65535", ""},
		{"mediumint unsigned", pg, format.Column{Type: arrow.PrimitiveTypes.Uint32, SourceType: "mediumint(8) unsigned"}, u32s(0, 16777215), "bigint", "0,16777215", ""},
		{"int unsigned", pg, format.Column{Type: arrow.PrimitiveTypes.Uint32, SourceType: "int(1) unsigned"}, u32s(0, 4294967295, nil), "bigint", "0,4294967295,NULL", ""},
		{"bigint unsigned", pg, format.Column{Type: arrow.PrimitiveTypes.Uint64, SourceType: "bigint(20) unsigned"}, u64s(0, uint64(math.MaxUint64), nil), "numeric(20,0)", "0,18446744073709551615,NULL", ""},
		{"bigint unsigned auto_increment", pg, format.Column{Type: arrow.PrimitiveTypes.Uint64, SourceType: "bigint unsigned", Identity: "by default"}, u64s(1, uint64(math.MaxInt64)), "bigint", "1,9223372036854775807", ""},
		{"bigint unsigned auto_increment overflow", pg, format.Column{Type: arrow.PrimitiveTypes.Uint64, SourceType: "bigint unsigned", Identity: "by default"}, u64s(1, uint64(math.MaxInt64)+1), "", "", "key (id)=(2): 9223372036854775808 is above bigint's range"},
		{"year", pg, format.Column{Type: arrow.PrimitiveTypes.Int16, SourceType: "year(4)", Logical: "year"}, i16s(0, 1901, 2155), "smallint", "0,1901,2155", ""},
		{"bit(1)", pg, format.Column{Type: arrow.PrimitiveTypes.Uint64, SourceType: "bit(1)", Logical: "bit"}, u64s(0, 1, nil), "bit varying(1)", "0,1,NULL", ""},
		{"bit(64)", pg, format.Column{Type: arrow.PrimitiveTypes.Uint64, SourceType: "bit(64)", Logical: "bit"}, u64s(uint64(math.MaxUint64), 5), "bit varying(64)", strings.Repeat("1", 64) + "," + strings.Repeat("0", 61) + "101", ""},
		{"time", pg, format.Column{Type: &arrow.DurationType{Unit: arrow.Microsecond}, SourceType: "time(6)", Logical: "time"}, durs(-3020399000000, 3020399999999, 0), "interval", `{"months":0,"days":0,"nanoseconds":-3020399000000000},{"months":0,"days":0,"nanoseconds":3020399999999000},{"months":0,"days":0,"nanoseconds":0}`, ""},
		{"zero date error", pg, format.Column{Type: arrow.FixedWidthTypes.Date32, SourceType: "date"}, dates(0, math.MinInt32), "", "", "key (id)=(2): MySQL zero date 0000-00-00 has no PostgreSQL value"},
		{"zero date null", with(func(o *Options) { o.ZeroDates = "null" }), format.Column{Type: arrow.FixedWidthTypes.Date32, SourceType: "date"}, dates(0, math.MinInt32), "date", "1970-01-01,NULL", ""},
		{"zero date epoch", with(func(o *Options) { o.ZeroDates = "epoch" }), format.Column{Type: arrow.FixedWidthTypes.Date32, SourceType: "date"}, dates(-1, math.MinInt32), "date", "1969-12-31,1970-01-01", ""},
		{"zero datetime null", with(func(o *Options) { o.ZeroDates = "null" }), format.Column{Type: dt(arrow.Microsecond, ""), SourceType: "datetime"}, tss(math.MinInt64, math.MinInt64+1), "timestamp(0) without time zone", "NULL,-9223372036854775807", ""},
		{"timestamp zoned", pg, format.Column{Type: dt(arrow.Microsecond, "UTC"), SourceType: "timestamp(3)"}, tssZ(1), "timestamp(3) with time zone", "1970-01-01T00:00:00.000001Z", ""},
		{"char", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "char(3)"}, strs("ab"), "character(3)", "ab", ""},
		{"varchar", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "varchar(255)"}, strs("x", ""), "character varying(255)", "x,", ""},
		{"text NUL error", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "text"}, strs("ok", "a\x00b"), "", "", "key (id)=(2): text holds a NUL byte"},
		{"text NUL strip", with(func(o *Options) { o.StripNUL = true }), format.Column{Type: arrow.BinaryTypes.String, SourceType: "text"}, strs("ok", "a\x00b", nil), "text", "ok,ab,NULL", ""},
		{"enum", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "enum('a','b')", Logical: "enum", Extra: map[string]string{fieldMyValues: `["a","b"]`}}, strs("a", "b"), `"db"."t_c"`, "a,b", ""},
		{"enum invalid ''", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "enum('a','b')", Logical: "enum", Extra: map[string]string{fieldMyValues: `["a","b"]`}}, strs("a", ""), "", "", "key (id)=(2): MySQL's invalid enum value ''"},
		{"enum as text", with(func(o *Options) { o.EnumAsText = true }), format.Column{Type: arrow.BinaryTypes.String, SourceType: "enum('a','b')", Logical: "enum", Extra: map[string]string{fieldMyValues: `["a","b"]`}}, strs("a", ""), "text", "a,", ""},
		{"set", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "set('a','b')", Logical: "set", Extra: map[string]string{fieldMyValues: `["a","b"]`}}, strs("a,b", "", "b", nil), "text[]", `["a","b"],[],["b"],NULL`, ""},
		{"json", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "json", Logical: "json"}, strs(`{"a":1}`), "jsonb", `{"a":1}`, ""},
		{"decimal 65", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "decimal(65,30)", Logical: "numeric"}, strs("1.5"), "numeric(65,30)", "1.5", ""},
		{"float", pg, format.Column{Type: arrow.PrimitiveTypes.Float32, SourceType: "float"}, f32s(1.5), "real", "1.5", ""},
		{"blob", pg, format.Column{Type: arrow.BinaryTypes.Binary, SourceType: "blob"}, bins([]byte{0}), "bytea", "AA==", ""},
		{"geometry read as text", pg, format.Column{Type: arrow.BinaryTypes.String, SourceType: "point", Logical: "text-cast"}, strs("POINT(1 2)"), "text", "POINT(1 2)", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.col.Name, tc.col.Nullable = "c", true
			out, decl, err := convertOne(t, tc.opts, "mysql", tc.col, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				var ve *ValueError
				if strings.Contains(tc.wantErr, "key") && !errors.As(err, &ve) {
					t.Errorf("not a *ValueError: %T", err)
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

func TestPassThroughIsZeroCopy(t *testing.T) {
	in := i32s(1, 2, 3)
	out, _, err := convertOne(t, Options{To: EnginePostgres}, "mysql", format.Column{Name: "c", Type: arrow.PrimitiveTypes.Int32, SourceType: "int(11)"}, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Data().Buffers()[1] != in.Data().Buffers()[1] {
		t.Error("an int column was copied")
	}
	s := strs("a", "b")
	out, _, err = convertOne(t, Options{To: EnginePostgres}, "mysql", format.Column{Name: "c", Type: arrow.BinaryTypes.String, SourceType: "varchar(5)"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if out.Data().Buffers()[2] != s.Data().Buffers()[2] {
		t.Error("a text column without NULs was copied")
	}
}

func TestNoLeaks(t *testing.T) {
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	for _, col := range []struct {
		c format.Column
		a arrow.Array
	}{
		{format.Column{Name: "c", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int unsigned"}, u32s(1, nil)},
		{format.Column{Name: "c", Type: arrow.FixedWidthTypes.Date32, SourceType: "date"}, dates(math.MinInt32, 0)},
		{format.Column{Name: "c", Type: arrow.BinaryTypes.String, SourceType: "set('a')", Logical: "set", Extra: map[string]string{fieldMyValues: `["a"]`}}, strs("a", "")},
	} {
		cv, _ := NewConverter(Options{To: EnginePostgres, ZeroDates: "null", Allocator: checked})
		tb, err := cv.Table(format.Header{Table: format.TableID{Engine: "mysql", Schema: "d", Name: "t"}}, []format.Column{col.c})
		if err != nil {
			t.Fatal(err)
		}
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{col.c.Field()}, nil), []arrow.Array{col.a}, int64(col.a.Len()))
		out, err := tb.Batch(rec)
		if err != nil {
			t.Fatal(err)
		}
		out.Release()
		rec.Release()
	}
}

func TestIdentifiers(t *testing.T) {
	for in, want := range map[string]string{
		"OrderLine": "order_line", "ProductId": "product_id", "HTTPServer": "http_server", "order_line": "order_line",
		"ORDER_LINE": "order_line", "Order Line": "order_line", "v2Name": "v2_name", "ID": "id", "userID": "user_id",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
	cv, _ := NewConverter(Options{To: EnginePostgres, Identifiers: "snake"})
	_, err := cv.Table(format.Header{Table: format.TableID{Engine: "mysql", Schema: "d", Name: "t"}}, []format.Column{
		{Name: "OrderId", Type: arrow.PrimitiveTypes.Int32, SourceType: "int"}, {Name: "order_id", Type: arrow.PrimitiveTypes.Int32, SourceType: "int"}})
	if err == nil || !strings.Contains(err.Error(), `columns "OrderId" and "order_id" both become "order_id"`) {
		t.Errorf("column collision: %v", err)
	}
	if _, err := cv.Table(format.Header{Table: format.TableID{Engine: "mysql", Schema: "d", Name: "OrderLine"}}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = cv.Table(format.Header{Table: format.TableID{Engine: "mysql", Schema: "d", Name: "order_line"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "tables d.OrderLine and d.order_line both become d.order_line") {
		t.Errorf("table collision: %v", err)
	}
}

func TestKeysAndReferences(t *testing.T) {
	cv, _ := NewConverter(Options{To: EnginePostgres, Identifiers: "snake", Schema: "app"})
	h := format.Header{Table: format.TableID{Engine: "mysql", Database: "Shop", Schema: "Shop", Name: "OrderLine"}, PrimaryKey: []string{"LineId"},
		Constraints: []format.Constraint{
			{Name: "PRIMARY", Kind: "primary", Columns: []string{"LineId"}},
			{Name: "FkOrder", Kind: "foreign", Columns: []string{"OrderId"}, RefSchema: "Shop", RefTable: "Orders", RefColumns: []string{"OrderId"},
				Definition: "FOREIGN KEY (`OrderId`) REFERENCES `Shop`.`Orders` (`OrderId`) ON DELETE CASCADE ON UPDATE NO ACTION"},
			{Name: "Positive", Kind: "check", Definition: "CHECK (`LineId` > 0 and ifnull(`OrderId`,1) <> 0)"},
			{Name: "Div", Kind: "check", Definition: "`LineId` / 2 > 1"},
		},
		Indexes: []format.Index{{Name: "ByOrder", Columns: []string{"OrderId"}, Definition: "CREATE INDEX `ByOrder` ON `Shop`.`OrderLine` (`OrderId`)"}},
	}
	cols := []format.Column{{Name: "LineId", Type: arrow.PrimitiveTypes.Int32, SourceType: "int"}, {Name: "OrderId", Type: arrow.PrimitiveTypes.Int32, SourceType: "int"}}
	tb, err := cv.Table(h, cols)
	if err != nil {
		t.Fatal(err)
	}
	got := tb.Header()
	if got.Table.Schema != "app" || got.Table.Name != "order_line" || got.PrimaryKey[0] != "line_id" || got.TargetEngine != "postgres" {
		t.Errorf("header %+v", got.Table)
	}
	var defs []string
	for _, c := range got.Constraints {
		defs = append(defs, c.Name+": "+c.Definition+" idx="+c.Index)
	}
	for _, ix := range got.Indexes {
		defs = append(defs, ix.Definition)
	}
	want := `order_line_pkey: PRIMARY KEY ("line_id") idx=order_line_pkey
fk_order: FOREIGN KEY ("order_id") REFERENCES "app"."orders"("order_id") ON DELETE CASCADE ON UPDATE NO ACTION idx=
positive: CHECK ("line_id" > 0 AND COALESCE("order_id", 1) <> 0) idx=
CREATE INDEX "by_order" ON "app"."order_line" USING btree ("order_id")
CREATE UNIQUE INDEX "order_line_pkey" ON "app"."order_line" USING btree ("line_id")`
	if strings.Join(defs, "\n") != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(defs, "\n"), want)
	}
	if r := tb.Report(); len(r.Items) == 0 || !strings.Contains(r.Items[len(r.Items)-2].What+r.Items[len(r.Items)-1].What, "check Div") {
		t.Errorf("untranslatable check not reported: %+v", r.Items)
	}
	// A second table with an index of the same name gets a schema-unique one.
	h2 := format.Header{Table: format.TableID{Engine: "mysql", Database: "Shop", Schema: "Shop", Name: "Other"},
		Indexes: []format.Index{{Name: "ByOrder", Columns: []string{"OrderId"}, Definition: "CREATE INDEX `ByOrder` ON `Shop`.`Other` (`OrderId`)"}}}
	tb2, err := cv.Table(h2, cols)
	if err != nil {
		t.Fatal(err)
	}
	if n := tb2.Header().Indexes[0].Name; n != "other_by_order" {
		t.Errorf("second index named %q", n)
	}
}

func TestExpressions(t *testing.T) {
	x := exprTranslator{rename: snake, schemaOf: func(s string) string { return "app" }}
	for in, want := range map[string]string{
		"current_timestamp()":                     "CURRENT_TIMESTAMP",
		"current_timestamp(6)":                    "CURRENT_TIMESTAMP(6)",
		"CURRENT_TIMESTAMP":                       "CURRENT_TIMESTAMP",
		"'it\\'s'":                                "'it''s'",
		"_utf8mb4'abc'":                           "'abc'",
		"`a` <=> `b`":                             `"a" IS NOT DISTINCT FROM "b"`,
		"select `t`.`A` from `db`.`T` `t`":        `SELECT "t"."a" FROM "app"."t" "t"`,
		"concat(`FirstName`,' ',`LastName`)":      `("first_name" || ' ' || "last_name")`,
		"ifnull(`x`,0) + length(`s`)":             `COALESCE("x", 0) + octet_length("s")`,
		"case when `a` is null then 1 else 2 end": `CASE WHEN "a" IS NULL THEN 1 ELSE 2 END`,
	} {
		got, err := x.toPG(in)
		if err != nil || got != want {
			t.Errorf("toPG(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"`a` / 2", "`a` || `b`", "group_concat(`a`)", "@v", "if(`a`,1,2)", "select 1 limit 1, 2", "`a` collate utf8mb4_bin"} {
		if got, err := x.toPG(in); !errors.Is(err, errUntranslatable) {
			t.Errorf("toPG(%q) = %q, %v; want untranslatable", in, got, err)
		}
	}
}

func durs(v ...int64) arrow.Array {
	b := array.NewDurationBuilder(mem, &arrow.DurationType{Unit: arrow.Microsecond})
	defer b.Release()
	for _, x := range v {
		b.Append(arrow.Duration(x))
	}
	return b.NewArray()
}

func dates(v ...int32) arrow.Array {
	b := array.NewDate32Builder(mem)
	defer b.Release()
	for _, x := range v {
		b.Append(arrow.Date32(x))
	}
	return b.NewArray()
}

func tss(v ...int64) arrow.Array  { return tsOf("", v) }
func tssZ(v ...int64) arrow.Array { return tsOf("UTC", v) }
func tsOf(tz string, v []int64) arrow.Array {
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: tz})
	defer b.Release()
	for _, x := range v {
		b.Append(arrow.Timestamp(x))
	}
	return b.NewArray()
}

func f32s(v ...float32) arrow.Array {
	b := array.NewFloat32Builder(mem)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}

func bins(v ...[]byte) arrow.Array {
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.AppendValues(v, nil)
	return b.NewArray()
}
