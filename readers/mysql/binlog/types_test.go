package binlog

import (
	"fmt"
	"strings"
	"testing"
)

// typeCases are the types of docs/TYPES-MYSQL.md with edge values: the
// minimum (row 1), the maximum (row 2), and NULL (row 3, also some odd
// values where NULL is not the interesting case).
var typeCases = []struct {
	decl   string
	kind   Kind
	v1, v2 string
	v3     string // "" means NULL
}{
	{"tinyint", KindInt8, "-128", "127", ""},
	{"tinyint(1)", KindInt8, "0", "1", ""},
	{"tinyint unsigned", KindUint8, "0", "255", ""},
	{"smallint", KindInt16, "-32768", "32767", ""},
	{"smallint unsigned", KindUint16, "0", "65535", ""},
	{"mediumint", KindInt32, "-8388608", "8388607", "-1"},
	{"mediumint unsigned", KindUint32, "0", "16777215", ""},
	{"int", KindInt32, "-2147483648", "2147483647", ""},
	{"int unsigned", KindUint32, "0", "4294967295", "2147483648"},
	{"bigint", KindInt64, "-9223372036854775808", "9223372036854775807", ""},
	{"bigint unsigned", KindUint64, "0", "18446744073709551615", "9223372036854775808"},
	{"decimal(10,4)", KindDecimal, "-12.3400", "999999.9999", "0.0001"},
	{"decimal(5,0)", KindDecimal, "-99999", "99999", "0"},
	{"decimal(18,9)", KindDecimal, "-999999999.999999999", "123456789.000000001", ""},
	{"decimal(38,10)", KindDecimal, "-9999999999999999999999999999.9999999999", "1234567890123456789012345678.0123456789", "-0.0000000001"},
	{"decimal(65,30)", KindDecimalText, "-99999999999999999999999999999999999.999999999999999999999999999999", "12345.000000000000000000000000000001", "-0.500000000000000000000000000000"},
	{"float", KindFloat32, "-3.40282e38", "3.40282e38", "1.5"},
	{"double", KindFloat64, "-1.7976931348623157e308", "1.7976931348623157e308", "2.2250738585072014e-308"},
	{"bit(1)", KindBit, "b'0'", "b'1'", ""},
	{"bit(10)", KindBit, "b'0000000001'", "b'1000000001'", ""},
	{"bit(64)", KindBit, "0", "b'1111111111111111111111111111111111111111111111111111111111111111'", "b'1000000000000000000000000000000000000000000000000000000000000000'"},
	{"year", KindYear, "1901", "2155", "0"},
	{"date", KindDate, "'1000-01-01'", "'9999-12-31'", "'0000-00-00'"},
	{"datetime", KindDatetime, "'1000-01-01 00:00:00'", "'9999-12-31 23:59:59'", "'0000-00-00 00:00:00'"},
	{"datetime(6)", KindDatetime, "'1000-01-01 00:00:00.000000'", "'9999-12-31 23:59:59.999999'", "'1970-01-01 00:00:00.000001'"},
	{"datetime(3)", KindDatetime, "'1969-12-31 23:59:59.999'", "'2024-02-29 12:34:56.789'", ""},
	{"timestamp(3) NULL", KindTimestamp, "'1970-01-01 00:00:01.000'", "'2038-01-19 03:14:07.999'", "'0000-00-00 00:00:00'"},
	{"timestamp(6) NULL", KindTimestamp, "'1970-01-01 00:00:01.000001'", "'2038-01-19 03:14:07.999999'", ""},
	{"time", KindTime, "'-838:59:59'", "'838:59:59'", "'00:00:00'"},
	{"time(1)", KindTime, "'-838:59:58.9'", "'838:59:58.9'", "'-00:00:00.1'"},
	{"time(4)", KindTime, "'-00:00:01.0001'", "'12:34:56.7891'", "'-12:00:00.5'"},
	{"time(6)", KindTime, "'-838:59:59.000000'", "'838:59:59.000000'", "'-00:00:00.000001'"},
	{"char(5)", KindText, "''", "'ab   '", "' a'"},
	{"varchar(300)", KindText, "''", "CONCAT(REPEAT('x', 290), 'é€😀')", "'tab\there'"},
	{"varchar(10) CHARACTER SET latin1", KindText, "''", "'é€Ÿ'", "'abc'"},
	{"text CHARACTER SET latin1", KindText, "''", "'ÿ ü ƒ'", ""},
	{"tinytext", KindText, "''", "REPEAT('é', 127)", ""},
	{"mediumtext", KindText, "''", "REPEAT('ab', 40000)", ""},
	{"longtext", KindText, "''", "'😀'", ""},
	{"binary(4)", KindBinary, "0x00000000", "0x61000000", "''"},
	{"varbinary(20)", KindBinary, "''", "0x00FF0080", ""},
	{"blob", KindBinary, "''", "REPEAT(0xFF, 70000) ", ""},
	{"tinyblob", KindBinary, "0x00", "0xDEADBEEF", ""},
	{"enum('a','bé','c')", KindEnum, "'a'", "'bé'", "'zzz'"}, // 'zzz' is stored as the invalid index 0 (non-strict mode)
	{"set('a','b','c','d')", KindSet, "''", "'a,b,c,d'", "'d,a'"},
	{"json", KindText, "'{}'", `'{"a": [1, 2.5, "é"], "b": null}'`, ""},
	{"uuid", KindUUID, "'00000000-0000-0000-0000-000000000000'", "'123e4567-e89b-12d3-a456-426614174000'", "'ffffffff-ffff-4fff-bfff-ffffffffffff'"},
	{"inet6", KindInet, "'::'", "'2001:db8::ff00:42:8329'", "'::ffff:1.2.3.4'"},
	{"inet4", KindInet, "'0.0.0.0'", "'255.255.255.255'", ""},
}

func TestAllTypesInsertUpdateDelete(t *testing.T) {
	src := newSource(t)
	cols := []string{"id int PRIMARY KEY"}
	for i, c := range typeCases {
		cols = append(cols, fmt.Sprintf("c%d %s", i, c.decl))
	}
	src.Exec(t, "CREATE TABLE t ("+strings.Join(cols, ", ")+")")
	values := func(id int, pick func(i int) string) string {
		vs := []string{fmt.Sprint(id)}
		for i := range typeCases {
			v := pick(i)
			if v == "" {
				v = "NULL"
			}
			vs = append(vs, v)
		}
		return "(" + strings.Join(vs, ", ") + ")"
	}
	row := func(n int) func(int) string {
		return func(i int) string { return [...]string{typeCases[i].v1, typeCases[i].v2, typeCases[i].v3}[n] }
	}
	set := func(id, n int) string {
		var sets []string
		for i := range typeCases {
			v := row(n)(i)
			if v == "" {
				v = "NULL"
			}
			sets = append(sets, fmt.Sprintf("c%d = %s", i, v))
		}
		return fmt.Sprintf("UPDATE t SET %s WHERE id = %d", strings.Join(sets, ", "), id)
	}
	const mode = "SET sql_mode = '', time_zone = '+00:00'; "
	start := src.position(t)
	src.Exec(t, mode+"INSERT INTO t VALUES "+values(1, row(0))+", "+values(2, row(1))+", "+values(3, row(2)))

	st := src.open(t, start)
	ins := next(t, st)
	tb := ins.Changes[0].Table
	for i, c := range typeCases {
		if got := tb.Columns[i+1].Kind; got != c.kind {
			t.Errorf("%s: kind %s, want %s", c.decl, got, c.kind)
		}
	}
	inserted := src.selectRows(t, tb)
	compare := func(what string, got []Change, op Op, before, after [][]string) {
		t.Helper()
		if len(got) != 3 {
			t.Fatalf("%s: %d changes, want 3", what, len(got))
		}
		for r, c := range got {
			if c.Op != op {
				t.Errorf("%s row %d: op %s", what, r+1, c.Op)
			}
			for side, pair := range map[string]struct {
				got  []Value
				want [][]string
			}{"before": {c.Before, before}, "after": {c.After, after}} {
				if pair.want == nil {
					if pair.got != nil {
						t.Errorf("%s row %d: has a %s image", what, r+1, side)
					}
					continue
				}
				g := texts(c.Table, pair.got)
				for i := range g {
					if g[i] != pair.want[r][i] {
						t.Errorf("%s row %d %s %s (%s): got %.80q, server says %.80q", what, r+1, side,
							c.Table.Columns[i].Name, typeName(i), g[i], pair.want[r][i])
					}
				}
			}
		}
	}
	compare("insert", ins.Changes, OpInsert, nil, inserted)

	// Each row takes the values of the next one.
	src.Exec(t, mode+"START TRANSACTION; "+set(1, 1)+"; "+set(2, 2)+"; "+set(3, 0)+"; COMMIT")
	updated := src.selectRows(t, tb)
	upd := next(t, st)
	compare("update", upd.Changes, OpUpdate, inserted, updated)

	src.Exec(t, "DELETE FROM t")
	del := next(t, st)
	compare("delete", del.Changes, OpDelete, updated, nil)
}

func typeName(col int) string {
	if col == 0 {
		return "int"
	}
	return typeCases[col-1].decl
}
