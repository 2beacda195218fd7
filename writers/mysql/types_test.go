package mysql

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

func utf8mb4() map[string]string { return map[string]string{fieldCharset: "utf8mb4"} }

// allTypes is a MySQL-dialect table with every type of docs/TYPES-MYSQL.md
// and their edge values, as readers/mysql writes them.
func allTypes(blob []byte) segSpec {
	us := func(s string) int64 {
		t, err := time.Parse("2006-01-02 15:04:05.999999", s)
		if err != nil {
			panic(err)
		}
		return t.UnixMicro()
	}
	day := func(s string) arrow.Date32 {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			panic(err)
		}
		return arrow.Date32(t.Unix() / 86400)
	}
	dur := func(s string) arrow.Duration {
		neg := strings.HasPrefix(s, "-")
		d, err := time.ParseDuration(strings.TrimPrefix(s, "-"))
		if err != nil {
			panic(err)
		}
		if neg {
			d = -d
		}
		return arrow.Duration(d.Microseconds())
	}
	dec := func(s string, scale int32) decimal128.Num {
		n, err := decimal128.FromString(s, 38, scale)
		if err != nil {
			panic(err)
		}
		return n
	}
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	cols := []format.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32, SourceType: "int(11)", PKOrdinal: 1, Identity: "by default",
			Sequence: &format.Sequence{Name: "id", LastValue: 1000}},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true, SourceType: "bigint(20) unsigned"},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true, SourceType: "bigint(20)"},
		{Name: "ti", Type: arrow.PrimitiveTypes.Int8, Nullable: true, SourceType: "tinyint(4)", Default: "'7'"},
		{Name: "tu", Type: arrow.PrimitiveTypes.Uint8, Nullable: true, SourceType: "tinyint(3) unsigned zerofill"},
		{Name: "d20", Type: &arrow.Decimal128Type{Precision: 20, Scale: 6}, Nullable: true, SourceType: "decimal(20,6)"},
		{Name: "d38", Type: &arrow.Decimal128Type{Precision: 38, Scale: 10}, Nullable: true, SourceType: "decimal(38,10)"},
		{Name: "d65", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "decimal(65,30)", Logical: "numeric"},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true, SourceType: "float"},
		{Name: "d", Type: arrow.PrimitiveTypes.Float64, Nullable: true, SourceType: "double"},
		{Name: "b64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true, SourceType: "bit(64)", Logical: "bit"},
		{Name: "b3", Type: arrow.PrimitiveTypes.Uint64, Nullable: true, SourceType: "bit(3)", Logical: "bit", Default: "b'101'"},
		{Name: "y", Type: arrow.PrimitiveTypes.Int16, Nullable: true, SourceType: "year(4)", Logical: "year"},
		{Name: "dt", Type: arrow.FixedWidthTypes.Date32, Nullable: true, SourceType: "date"},
		{Name: "dtm", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true, SourceType: "datetime(6)"},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true, SourceType: "timestamp(6)",
			Default: "current_timestamp(6)", Extra: map[string]string{fieldOnUpdate: "current_timestamp(6)"}},
		{Name: "tm", Type: &arrow.DurationType{Unit: arrow.Microsecond}, Nullable: true, SourceType: "time(6)", Logical: "time"},
		{Name: "c5", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "char(5)", Collation: "utf8mb4_general_ci", Extra: utf8mb4()},
		{Name: "txt", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "text", Collation: "utf8mb4_bin", Extra: utf8mb4()},
		{Name: "lat", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "varchar(20)", Collation: "latin1_swedish_ci",
			Extra: map[string]string{fieldCharset: "latin1"}},
		{Name: "vb", Type: arrow.BinaryTypes.Binary, Nullable: true, SourceType: "varbinary(300)"},
		{Name: "bn", Type: arrow.BinaryTypes.Binary, Nullable: true, SourceType: "binary(4)"},
		{Name: "en", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "enum('a','b,c','it''s')", Logical: "enum", Extra: utf8mb4()},
		{Name: "st", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "set('x','y''q','z')", Logical: "set", Extra: utf8mb4()},
		{Name: "js", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "longtext", Logical: "json", Collation: "utf8mb4_bin", Extra: utf8mb4()},
		{Name: "blob", Type: arrow.BinaryTypes.Binary, Nullable: true, SourceType: "longblob"},
		{Name: "gen", Type: arrow.PrimitiveTypes.Int64, Nullable: true, SourceType: "bigint(20)", Generated: "`id` * 2",
			Extra: map[string]string{fieldGeneratedKind: "virtual"}},
	}
	build := func(b *array.RecordBuilder) {
		f := func(i int) array.Builder { return b.Field(i) }
		// Row 1: maxima.
		f(0).(*array.Int32Builder).AppendValues([]int32{1, 2, 0}, nil) // 0: NO_AUTO_VALUE_ON_ZERO keeps it
		f(1).(*array.Uint64Builder).AppendValues([]uint64{math.MaxUint64, 0, 0}, []bool{true, true, false})
		f(2).(*array.Int64Builder).AppendValues([]int64{math.MaxInt64, math.MinInt64, 0}, []bool{true, true, false})
		f(3).(*array.Int8Builder).AppendValues([]int8{127, -128, 0}, []bool{true, true, false})
		f(4).(*array.Uint8Builder).AppendValues([]uint8{255, 0, 0}, []bool{true, true, false})
		f(5).(*array.Decimal128Builder).AppendValues([]decimal128.Num{dec("99999999999999.999999", 6), dec("-12345678901234.000001", 6), {}}, []bool{true, true, false})
		f(6).(*array.Decimal128Builder).AppendValues([]decimal128.Num{dec("9999999999999999999999999999.9999999999", 10), dec("-0.0000000001", 10), {}}, []bool{true, true, false})
		f(7).(*array.StringBuilder).AppendValues([]string{"99999999999999999999999999999999999.999999999999999999999999999999", "-0.000000000000000000000000000001", ""}, []bool{true, true, false})
		f(8).(*array.Float32Builder).AppendValues([]float32{math.MaxFloat32, -1.5e-38, 0}, []bool{true, true, false})
		f(9).(*array.Float64Builder).AppendValues([]float64{math.MaxFloat64, 0.1, 0}, []bool{true, true, false})
		f(10).(*array.Uint64Builder).AppendValues([]uint64{math.MaxUint64, 0, 0}, []bool{true, true, false})
		f(11).(*array.Uint64Builder).AppendValues([]uint64{7, 0, 0}, []bool{true, true, false})
		f(12).(*array.Int16Builder).AppendValues([]int16{2155, 1901, 0}, nil)
		f(13).(*array.Date32Builder).AppendValues([]arrow.Date32{day("9999-12-31"), day("1000-01-01"), math.MinInt32}, nil)
		f(14).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(us("9999-12-31 23:59:59.999999")), arrow.Timestamp(us("1000-01-01 00:00:00")), math.MinInt64}, nil)
		f(15).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{arrow.Timestamp(us("2038-01-19 03:14:07.999999")), arrow.Timestamp(us("1970-01-01 00:00:01")), math.MinInt64}, nil)
		f(16).(*array.DurationBuilder).AppendValues([]arrow.Duration{dur("838h59m59s"), dur("-838h59m59s"), dur("-1.5s")}, nil)
		f(17).(*array.StringBuilder).AppendValues([]string{"ab", "", ""}, []bool{true, true, false})
		f(18).(*array.StringBuilder).AppendValues([]string{"tab\there\nnew\\back\x00nul\r\\N", "😀 𝄞 ü", ""}, nil)
		f(19).(*array.StringBuilder).AppendValues([]string{"åäö é", "\\t", ""}, []bool{true, true, false})
		f(20).(*array.BinaryBuilder).AppendValues([][]byte{allBytes, {}, nil}, []bool{true, true, false})
		f(21).(*array.BinaryBuilder).AppendValues([][]byte{{0, '\t', '\n', 0}, {'\\', 'N', 0, 0}, nil}, []bool{true, true, false})
		f(22).(*array.StringBuilder).AppendValues([]string{"b,c", "it's", ""}, []bool{true, true, false})
		f(23).(*array.StringBuilder).AppendValues([]string{"x,y'q", "", "z"}, nil)
		f(24).(*array.StringBuilder).AppendValues([]string{`{"k": "ü😀", "t": "a\tb"}`, `[1, 2.5, null]`, ""}, []bool{true, true, false})
		f(25).(*array.BinaryBuilder).AppendValues([][]byte{blob, nil, nil}, []bool{true, false, false})
		f(26).(*array.Int64Builder).AppendValues([]int64{2, 4, 0}, nil)
	}
	return segSpec{
		h: format.Header{Table: mysqlTable("alltypes"), PrimaryKey: []string{"id"},
			Constraints: []format.Constraint{
				{Name: "PRIMARY", Kind: "primary", Columns: []string{"id"}, Definition: "PRIMARY KEY (`id`)", Index: "PRIMARY"},
				{Name: "js", Kind: "check", Definition: "json_valid(`js`)"},
				{Name: "u64_pos", Kind: "check", Definition: "CHECK (`u64` >= 0)"},
			},
			Indexes: []format.Index{
				{Name: "PRIMARY", Unique: true, Columns: []string{"id"}, Definition: "CREATE UNIQUE INDEX `PRIMARY` ON `src`.`alltypes` (`id`)", Constraint: "PRIMARY"},
				{Name: "ix_dt", Columns: []string{"dt"}, Definition: "CREATE INDEX `ix_dt` ON `src`.`alltypes` (`dt`, `c5`(2))"},
				{Name: "ux_i64", Unique: true, Columns: []string{"i64"}, Definition: "CREATE UNIQUE INDEX `ux_i64` ON `src`.`alltypes` (`i64`)"},
				{Name: "ft_txt", Columns: []string{"txt"}, Definition: "CREATE FULLTEXT INDEX `ft_txt` ON `src`.`alltypes` (`txt`)"},
				{Name: "ft_c5", Columns: []string{"c5"}, Definition: "CREATE FULLTEXT INDEX `ft_c5` ON `src`.`alltypes` (`c5`)"},
			}},
		cols:  cols,
		build: build,
	}
}

func TestLoadAllTypes(t *testing.T) {
	db := testdb.MySQL(t)
	blob := make([]byte, 16<<20)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	if _, err := load(t, db, Config{Create: true}, writeStream(t, allTypes(blob))); err != nil {
		t.Fatal(err)
	}
	pool := open(t, db)
	check := func(what, q, want string) {
		t.Helper()
		if got := query(t, pool, q); got != want {
			t.Errorf("%s:\n got %q\nwant %q", what, got, want)
		}
	}
	check("ints", "SELECT id, u64, i64, ti, tu FROM alltypes ORDER BY id",
		"0|NULL|NULL|NULL|NULL\n1|18446744073709551615|9223372036854775807|127|255\n2|0|-9223372036854775808|-128|0")
	check("decimals", "SELECT d20, d38, d65 FROM alltypes ORDER BY id",
		"NULL|NULL|NULL\n99999999999999.999999|9999999999999999999999999999.9999999999|99999999999999999999999999999999999.999999999999999999999999999999\n"+
			"-12345678901234.000001|-0.0000000001|-0.000000000000000000000000000001")
	check("floats", "SELECT f = 3.4028234663852886e38, d = 1.7976931348623157e308 FROM alltypes WHERE id = 1", "1|1")
	check("float 0.1", "SELECT d FROM alltypes WHERE id = 2", "0.1")
	check("bits", "SELECT CAST(b64 AS UNSIGNED), CAST(b3 AS UNSIGNED) FROM alltypes ORDER BY id",
		"NULL|NULL\n18446744073709551615|7\n0|0")
	check("years", "SELECT CAST(y AS CHAR) FROM alltypes ORDER BY id", "0000\n2155\n1901")
	check("dates", "SELECT CAST(dt AS CHAR), CAST(dtm AS CHAR), CAST(ts AS CHAR), CAST(tm AS CHAR) FROM alltypes ORDER BY id",
		"0000-00-00|0000-00-00 00:00:00.000000|0000-00-00 00:00:00.000000|-00:00:01.500000\n"+
			"9999-12-31|9999-12-31 23:59:59.999999|2038-01-19 03:14:07.999999|838:59:59.000000\n"+
			"1000-01-01|1000-01-01 00:00:00.000000|1970-01-01 00:00:01.000000|-838:59:59.000000")
	check("text", "SELECT HEX(c5), HEX(txt), HEX(lat), CHARSET(lat) FROM alltypes ORDER BY id",
		"NULL||NULL|latin1\n"+
			strings.ToUpper(hex.EncodeToString([]byte("ab")))+"|"+strings.ToUpper(hex.EncodeToString([]byte("tab\there\nnew\\back\x00nul\r\\N")))+"|"+strings.ToUpper(hex.EncodeToString([]byte{0xe5, 0xe4, 0xf6, ' ', 0xe9}))+"|latin1\n"+
			"|"+strings.ToUpper(hex.EncodeToString([]byte("😀 𝄞 ü")))+"|5C74|latin1")
	check("binary", "SELECT HEX(vb), HEX(bn) FROM alltypes ORDER BY id",
		"NULL|NULL\n"+strings.ToUpper(hex.EncodeToString(func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		}()))+"|00090A00\n|5C4E0000")
	check("enum, set, json", "SELECT en, st, js FROM alltypes ORDER BY id",
		"NULL|z|NULL\nb,c|x,y'q|{\"k\": \"ü😀\", \"t\": \"a\\tb\"}\nit's||[1, 2.5, null]")
	check("generated", "SELECT gen FROM alltypes ORDER BY id", "0\n2\n4")
	var got []byte
	if err := pool.QueryRow("SELECT `blob` FROM alltypes WHERE id = 1").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blob) {
		t.Errorf("16 MB blob: got %d bytes, differs", len(got))
	}
	check("indexes", "SELECT index_name, non_unique, GROUP_CONCAT(column_name, COALESCE(CONCAT('(', sub_part, ')'), '') ORDER BY seq_in_index), index_type FROM information_schema.statistics WHERE table_schema = database() AND table_name = 'alltypes' GROUP BY index_name, non_unique, index_type ORDER BY BINARY index_name",
		"PRIMARY|0|id|BTREE\nft_c5|1|c5|FULLTEXT\nft_txt|1|txt|FULLTEXT\nix_dt|1|dt,c5(2)|BTREE\nux_i64|0|i64|BTREE")
	check("checks", "SELECT constraint_name, check_clause FROM information_schema.check_constraints WHERE constraint_schema = database() ORDER BY constraint_name",
		"js|json_valid(`js`)\nu64_pos|`u64` >= 0")
	check("auto_increment", "SELECT auto_increment FROM information_schema.tables WHERE table_schema = database() AND table_name = 'alltypes'", "1000")
	check("column ddl", "SELECT column_name, column_type, is_nullable, COALESCE(column_default, '-'), extra FROM information_schema.columns WHERE table_schema = database() AND table_name = 'alltypes' AND column_name IN ('id', 'ti', 'tu', 'b3', 'ts', 'gen') ORDER BY ordinal_position",
		"id|int(11)|NO|-|auto_increment\nti|tinyint(4)|YES|7|\ntu|tinyint(3) unsigned zerofill|YES|NULL|\nb3|bit(3)|YES|b'101'|\n"+
			"ts|timestamp(6)|YES|current_timestamp(6)|on update current_timestamp(6)\ngen|bigint(20)|YES|NULL|VIRTUAL GENERATED")
}
