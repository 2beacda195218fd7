package convert

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/jackc/pgx/v5"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/writers/postgres"
)

// loadPG loads a converted stream into a fresh PostgreSQL database.
func loadPG(t *testing.T, stream []byte) (*testdb.PG, *pgx.Conn) {
	t.Helper()
	pg := testdb.Postgres(t)
	ctx := context.Background()
	if _, err := postgres.Load(ctx, postgres.Config{DSN: pg.DSN, Create: true, Parallel: 1},
		format.NewReader(bytes.NewReader(stream), format.ReaderOptions{})); err != nil {
		t.Fatalf("load: %v", err)
	}
	conn, err := pgx.Connect(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return pg, conn
}

// pgTypes returns column → format_type of a target table.
func pgTypes(t *testing.T, conn *pgx.Conn, table string) map[string]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var n, ty string
	if _, err := pgx.ForEachRow(rows, []any{&n, &ty}, func() error { out[n] = ty; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// pgText returns one row of SELECT exprs::text as strings ("NULL" for null).
func pgText(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		var line []string
		for _, v := range vals {
			if v == nil {
				line = append(line, "NULL")
			} else {
				line = append(line, fmt.Sprint(v))
			}
		}
		out = append(out, strings.Join(line, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return out
}

// TestNarrowPipeline is the first path end to end: int unsigned and
// varchar from a MySQL stream, converted, loaded into PostgreSQL.
func TestNarrowPipeline(t *testing.T) {
	h := myHeader("shop", "OrderLine", "Id")
	h.Constraints = []format.Constraint{{Name: "PRIMARY", Kind: "primary", Columns: []string{"Id"}, Definition: "PRIMARY KEY (`Id`)"}}
	h.Indexes = []format.Index{{Name: "PRIMARY", Unique: true, Columns: []string{"Id"}, Definition: "CREATE UNIQUE INDEX `PRIMARY` ON `shop`.`OrderLine` (`Id`)"}}
	cols := []format.Column{
		{Name: "Id", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int(10) unsigned", PKOrdinal: 1},
		{Name: "ProductName", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "varchar(20)", Collation: "utf8mb4_general_ci"},
	}
	in := writeStream(t, []myTable{{h, cols, []arrow.Array{u32s(0, 4294967295), strs("héllo", nil)}}})
	out, rep, err := convertStream(t, Options{To: EnginePostgres, Identifiers: "snake"}, in)
	if err != nil {
		t.Fatal(err)
	}
	_, conn := loadPG(t, out)
	types := pgTypes(t, conn, `shop.order_line`)
	if types["id"] != "bigint" || types["product_name"] != "character varying(20)" {
		t.Errorf("types %v", types)
	}
	got := pgText(t, conn, `SELECT id::text, coalesce(product_name, 'NULL') FROM shop.order_line ORDER BY id`)
	if strings.Join(got, ";") != "0|héllo;4294967295|NULL" {
		t.Errorf("rows %q", got)
	}
	if pk := pgText(t, conn, `SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = 'shop.order_line'::regclass`); len(pk) != 1 || pk[0] != "order_line_pkey" {
		t.Errorf("primary key %q", pk)
	}
	var text strings.Builder
	_ = rep.WriteText(&text)
	if !strings.Contains(text.String(), "int(10) unsigned -> bigint: int unsigned -> bigint") ||
		!strings.Contains(text.String(), "behaviour: collation utf8mb4_general_ci on product_name") {
		t.Errorf("report:\n%s", text.String())
	}
}

// TestAllTypesPipeline converts a table holding every MySQL type at its
// boundaries, loads it, and checks PostgreSQL's types and values.
func TestAllTypesPipeline(t *testing.T) {
	h := myHeader("shop", "AllTypes", "id")
	h.Constraints = []format.Constraint{
		{Name: "PRIMARY", Kind: "primary", Columns: []string{"id"}, Definition: "PRIMARY KEY (`id`)"},
		{Name: "qty_pos", Kind: "check", Columns: []string{"qty"}, Definition: "CHECK (`qty` >= -128)"},
		{Name: "doc_json", Kind: "check", Columns: []string{"doc"}, Definition: "json_valid(`doc`)"},
	}
	h.Indexes = []format.Index{
		{Name: "PRIMARY", Unique: true, Columns: []string{"id"}, Definition: "CREATE UNIQUE INDEX `PRIMARY` ON `shop`.`AllTypes` (`id`)"},
		{Name: "by_name", Columns: []string{"name"}, Definition: "CREATE INDEX `by_name` ON `shop`.`AllTypes` (`name`(10))"},
		{Name: "ft", Columns: []string{"name"}, Definition: "CREATE FULLTEXT INDEX `ft` ON `shop`.`AllTypes` (`name`)"},
	}
	values := func(v ...string) map[string]string {
		b := `["` + strings.Join(v, `","`) + `"]`
		return map[string]string{fieldMyValues: b}
	}
	cols := []format.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int(10) unsigned", PKOrdinal: 1, Identity: "by default",
			Sequence: &format.Sequence{LastValue: 10}},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int8, Nullable: true, SourceType: "tinyint(4)", Default: "0"},
		{Name: "flag", Type: arrow.PrimitiveTypes.Int8, Nullable: true, SourceType: "tinyint(1)"},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true, SourceType: "tinyint(3) unsigned"},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true, SourceType: "smallint(5) unsigned"},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true, SourceType: "bigint(20) unsigned"},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true, SourceType: "decimal(10,2)"},
		{Name: "huge", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "decimal(65,30)", Logical: "numeric"},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true, SourceType: "float"},
		{Name: "g", Type: arrow.PrimitiveTypes.Float64, Nullable: true, SourceType: "double"},
		{Name: "bits", Type: arrow.PrimitiveTypes.Uint64, Nullable: true, SourceType: "bit(5)", Logical: "bit"},
		{Name: "yr", Type: arrow.PrimitiveTypes.Int16, Nullable: true, SourceType: "year(4)", Logical: "year"},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true, SourceType: "date"},
		{Name: "dt", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true, SourceType: "datetime(6)"},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true, SourceType: "timestamp(6)",
			Default: "current_timestamp(6)", Extra: map[string]string{fieldMyOnUpdate: "current_timestamp(6)"}},
		{Name: "tm", Type: &arrow.DurationType{Unit: arrow.Microsecond}, Nullable: true, SourceType: "time(6)", Logical: "time"},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "char(10)"},
		{Name: "body", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "longtext", Default: "'it''s'"},
		{Name: "color", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "enum('red','green','a,b')", Logical: "enum", Extra: values("red", "green", "a,b"), Default: "'red'"},
		{Name: "tags", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "set('x','y','z')", Logical: "set", Extra: values("x", "y", "z"), Default: "'x,y'"},
		{Name: "doc", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "longtext", Logical: "json"},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true, SourceType: "varbinary(10)"},
		{Name: "qty2", Type: arrow.PrimitiveTypes.Int32, Nullable: true, SourceType: "int(11)", Generated: "`qty` * 2", Extra: map[string]string{fieldMyGeneratedKind: "stored"}},
	}
	dec := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 10, Scale: 2})
	dec.Append(decimal128.FromI64(-99999999))
	dec.Append(decimal128.FromI64(12345))
	dec.AppendNull()
	f32 := array.NewFloat32Builder(mem)
	f32.AppendValues([]float32{-1.5, float32(math.Inf(1)), 0}, []bool{true, true, false})
	f64 := array.NewFloat64Builder(mem)
	f64.AppendValues([]float64{math.MaxFloat64, math.NaN(), 0}, []bool{true, true, false})
	d32 := array.NewDate32Builder(mem)
	d32.AppendValues([]arrow.Date32{math.MinInt32, 0, 0}, []bool{true, true, false})
	dtb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	dtb.AppendValues([]arrow.Timestamp{-30610224000000000 /* 1000-01-01 */, 253402300799999999 /* 9999-12-31 23:59:59.999999 */, 0}, []bool{true, true, false})
	tsb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
	tsb.AppendValues([]arrow.Timestamp{1000000, math.MinInt64, 0}, []bool{true, true, false})
	dur := array.NewDurationBuilder(mem, &arrow.DurationType{Unit: arrow.Microsecond})
	const h838 = (838*3600 + 59*60 + 59) * 1000000
	dur.AppendValues([]arrow.Duration{-h838, h838 + 999999, 0}, []bool{true, true, false})
	bin := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	bin.AppendValues([][]byte{{0, 1, 255}, {}, nil}, []bool{true, true, false})
	arrays := []arrow.Array{
		u32s(1, 4294967295, 7),
		i8s(-128, 127, nil),
		i8s(0, 1, nil),
		u8s(0, 255, nil),
		u16s(0, 65535, nil),
		u64s(0, uint64(math.MaxUint64), nil),
		dec.NewArray(),
		strs("-12345678901234567890123456789012345.123456789012345678901234567890", "0.000000000000000000000000000001", nil),
		f32.NewArray(), f64.NewArray(),
		u64s(0, 31, nil),
		i16s(0, 2155, nil),
		d32.NewArray(), dtb.NewArray(), tsb.NewArray(), dur.NewArray(),
		strs("ab", "", nil),
		strs("line\nbreak 'q' \\", "ü", nil),
		strs("red", "a,b", nil),
		strs("x,z", "", nil),
		strs(`{"b": 1, "a": [true, null]}`, `[]`, nil),
		bin.NewArray(),
		i32s(-256, 254, nil),
	}
	catalog := myHeader("shop", "")
	catalog.Objects = []format.Object{
		{Kind: "view", Schema: "shop", Name: "CheapLines", Definition: "select `a`.`id` AS `id`,ifnull(`a`.`name`,'none') AS `n` from `shop`.`AllTypes` `a` where `a`.`qty` < 5"},
		{Kind: "view", Schema: "shop", Name: "Odd", Definition: "select group_concat(`name`) from `shop`.`AllTypes`"},
		{Kind: "trigger", Schema: "shop", Name: "trg", Table: "AllTypes", Definition: "CREATE TRIGGER trg BEFORE INSERT ON AllTypes FOR EACH ROW SET NEW.qty = 1"},
	}
	in := writeStream(t, []myTable{{h, cols, arrays}}, catalog)
	if _, _, err := convertStream(t, Options{To: EnginePostgres}, in); err == nil ||
		!strings.Contains(err.Error(), "table shop.AllTypes, column d, key (id)=(1): MySQL zero date") {
		t.Fatalf("zero date without a policy: %v", err)
	}
	out, rep, err := convertStream(t, Options{To: EnginePostgres, Identifiers: "snake", ZeroDates: "null", Tinyint1AsBool: true}, in)
	if err != nil {
		t.Fatal(err)
	}
	_, conn := loadPG(t, out)
	types := pgTypes(t, conn, `shop.all_types`)
	want := map[string]string{
		"id": "bigint", "qty": "smallint", "flag": "boolean", "u8": "smallint", "u16": "integer", "u64": "numeric(20,0)",
		"price": "numeric(10,2)", "huge": "numeric(65,30)", "f": "real", "g": "double precision", "bits": "bit varying(5)",
		"yr": "smallint", "d": "date", "dt": "timestamp(6) without time zone", "ts": "timestamp(6) with time zone",
		"tm": "interval", "name": "character(10)", "body": "text", "color": "shop.all_types_color", "tags": "text[]",
		"doc": "jsonb", "bin": "bytea", "qty2": "integer",
	}
	for c, w := range want {
		if types[c] != w {
			t.Errorf("column %s: type %q, want %q", c, types[c], w)
		}
	}
	pgText(t, conn, `SET TIME ZONE 'UTC'`)
	got := pgText(t, conn, `SELECT id::text, qty::text, flag::text, u8::text, u16::text, u64::text, price::text, huge::text,
 f::text, g::text, bits::text, yr::text, d::text, dt::text, ts::text, tm::text, '['||name::text||']', body, color::text, tags::text, doc::text,
 bin::text, qty2::text FROM shop.all_types ORDER BY all_types.id`)
	wantRows := []string{
		`1|-128|false|0|0|0|-999999.99|-12345678901234567890123456789012345.123456789012345678901234567890|-1.5|1.7976931348623157e+308|00000|0|NULL|1000-01-01 00:00:00|1970-01-01 00:00:01+00|-838:59:59|[ab]|line` + "\n" + `break 'q' \|red|{x,z}|{"a": [true, null], "b": 1}|\x0001ff|-256`,
		`7|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL`,
		`4294967295|127|true|255|65535|18446744073709551615|123.45|0.000000000000000000000000000001|Infinity|NaN|11111|2155|1970-01-01|9999-12-31 23:59:59.999999|NULL|838:59:59.999999|[]|ü|a,b|{}|[]|\x|254`,
	}
	_ = wantRows
	if len(got) != 3 {
		t.Fatalf("rows %q", got)
	}
	// Row order: 1, 7, 4294967295.
	for i, w := range []string{wantRows[0], wantRows[1], wantRows[2]} {
		if got[i] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, got[i], w)
		}
	}
	// The identity continues after MySQL's AUTO_INCREMENT and the copied max.
	if nx := pgText(t, conn, `SELECT pg_get_serial_sequence('shop.all_types', 'id'), (SELECT last_value FROM shop.all_types_id_seq)::text`); !strings.HasSuffix(nx[0], "|4294967295") {
		t.Errorf("sequence %q", nx)
	}
	// ON UPDATE CURRENT_TIMESTAMP became a trigger.
	pgText(t, conn, `UPDATE shop.all_types SET qty = 5 WHERE id = 1`)
	if ts := pgText(t, conn, `SELECT (ts > now() - interval '1 minute')::text FROM shop.all_types WHERE id = 1`); ts[0] != "true" {
		t.Errorf("on update trigger: %q", ts)
	}
	if def := pgText(t, conn, `SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'shop.all_types'::regclass ORDER BY adnum`); strings.Join(def, ";") !=
		"0;CURRENT_TIMESTAMP(6);'it''s'::text;'red'::shop.all_types_color;ARRAY['x'::text, 'y'::text];(qty * 2)" {
		t.Errorf("defaults %q", def)
	}
	if c := pgText(t, conn, `SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'shop.all_types'::regclass ORDER BY conname`); strings.Join(c, ";") !=
		"all_types_pkey PRIMARY KEY (id);qty_pos CHECK ((qty >= '-128'::integer))" {
		t.Errorf("constraints %q", c)
	}
	var text strings.Builder
	_ = rep.WriteText(&text)
	for _, w := range []string{
		"dropped: index ft", "behaviour: prefix index by_name", "dropped: check doc_json",
		"view shop.CheapLines: translated", "view shop.Odd: manual", "trigger shop.trg: manual",
		"zero dates: null [lossy, chosen by --zero-dates=null] (1 values changed)",
	} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, text.String())
		}
	}
	t.Log(text.String())
	_ = time.Now
}
