package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

// allTypesSQL has every type of docs/TYPES-MYSQL.md with edge values.
var allTypesSQL = []string{`CREATE TABLE all_types (
  id int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti tinyint, tiu tinyint unsigned, t1 tinyint(1), si smallint, siu smallint unsigned,
  mi mediumint, miu mediumint unsigned, i int, iu int(10) unsigned zerofill, bi bigint, biu bigint unsigned,
  d10 decimal(10,2) DEFAULT 1.50, d38 decimal(38,10), d65 decimal(65,30),
  f float, dbl double, b1 bit(1), b64 bit(64) DEFAULT b'101',
  y year, dt date, dtm datetime, dtm6 datetime(6), ts timestamp(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  tm time, tm6 time(6),
  c char(5), vc varchar(40) DEFAULT 'it''s', tt tinytext, tx text, mt mediumtext, lt longtext,
  l1 varchar(20) CHARACTER SET latin1 COLLATE latin1_swedish_ci,
  bn binary(4), vb varbinary(10), bl blob, lb longblob,
  e enum('a','b,c','d''e','') , st set('x','y''z','w"q'),
  j json,
  g_stored bigint AS (bi DIV 2) STORED, g_virtual varchar(50) AS (concat(vc, '!')) VIRTUAL,
  KEY ix_prefix (vc(5), c DESC),
  FULLTEXT KEY ft (tx),
  UNIQUE KEY uq (si, mi),
  CONSTRAINT ck_pos CHECK (siu >= 0)
) AUTO_INCREMENT = 100`,
	`SET sql_mode = ''`,
	// Minimums and zero values.
	`INSERT INTO all_types (id, ti, tiu, t1, si, siu, mi, miu, i, iu, bi, biu, d10, d38, d65, f, dbl, b1, b64, y, dt, dtm, dtm6, ts,
  tm, tm6, c, vc, tt, tx, mt, lt, l1, bn, vb, bl, lb, e, st, j) VALUES
 (1, -128, 0, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, -99999999.99,
  -9999999999999999999999999999.9999999999, -99999999999999999999999999999999999.999999999999999999999999999999,
  -3.40282e38, -1.7976931348623157e308, b'0', b'0', 1901, '0000-00-00', '0000-00-00 00:00:00', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000',
  '-838:59:59', '-838:59:59.000000', '', '', '', '', '', '', '', x'00000000', x'', x'', x'', '', '', '[]')`,
	// Maximums.
	`INSERT INTO all_types (id, ti, tiu, t1, si, siu, mi, miu, i, iu, bi, biu, d10, d38, d65, f, dbl, b1, b64, y, dt, dtm, dtm6, ts,
  tm, tm6, c, vc, tt, tx, mt, lt, l1, bn, vb, bl, lb, e, st, j) VALUES
 (2, 127, 255, 1, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615, 99999999.99,
  9999999999999999999999999999.9999999999, 99999999999999999999999999999999999.999999999999999999999999999999,
  3.40282e38, 1.7976931348623157e308, b'1', b'1111111111111111111111111111111111111111111111111111111111111111', 2155,
  '9999-12-31', '9999-12-31 23:59:59', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999',
  '838:59:59', '838:59:59.000000', 'abcde', 'x', 'tiny', 'text', 'medium', 'long', 'Grüße, Ça va? ÿ', x'FFFFFFFF', x'00FF00', x'DEADBEEF', x'00', 'b,c', 'x,y''z,w"q',
  '{"k": "✓ 𝄞 \u00e9", "n": [1, 2.5, null]}')`,
	// Everyday values, 4-byte UTF-8, zeros.
	`INSERT INTO all_types (id, ti, tiu, t1, si, siu, mi, miu, i, iu, bi, biu, d10, d38, d65, f, dbl, b1, b64, y, dt, dtm, dtm6, ts,
  tm, tm6, c, vc, tt, tx, mt, lt, l1, bn, vb, bl, lb, e, st, j) VALUES
 (3, 0, 1, 5, 0, 1, 0, 1, 0, 42, 0, 9223372036854775808, 0, 0.0000000001, 0.000000000000000000000000000001,
  16777217, 0.30000000000000004, NULL, b'101', 0, '2024-02-29', '1969-12-31 23:59:59', '2000-01-01 00:00:00.000001', '2024-06-30 12:00:00.5',
  '00:00:00', '-00:00:00.000001', 'a  ', 'emoji 😀 𝄞', 'é', 'ñ', 'ß', '中文', 'àéîõü', x'01', x'0102', x'', x'FF', 'd''e', 'x', 'null')`,
	`INSERT INTO all_types (id) VALUES (4)`,
}

func TestExtractAllTypes(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, allTypesSQL...)
	// A 16 MB longblob (under MariaDB's default 16 MiB max_allowed_packet,
	// with the row around it).
	db.Exec(t, "SET sql_mode = ''; INSERT INTO all_types (id, lb) VALUES (5, REPEAT(UNHEX('00FF7F80'), 4000000))")
	segs, st := extract(t, Config{DSN: db.URL, BatchBytes: 1 << 20})
	if st.Rows != 5 {
		t.Errorf("%d rows", st.Rows)
	}
	compareTable(t, db, segs, "all_types", "id")

	// The blob was compared by digest (serverRows); check its length too.
	ts := tableSegments(segs, "all_types")
	var n int
	if err := rawConn(t, db).QueryRowContext(context.Background(), "SELECT LENGTH(lb) FROM all_types WHERE id = 5").Scan(&n); err != nil || n != 16_000_000 {
		t.Errorf("blob length %d: %v", n, err)
	}

	cols := ts[0].cols
	check := func(name string, typ arrow.DataType, logical string, extra map[string]string) {
		t.Helper()
		c := column(t, cols, name)
		if !arrow.TypeEqual(c.Type, typ) || c.Logical != logical {
			t.Errorf("%s: %s %q, want %s %q", name, c.Type, c.Logical, typ, logical)
		}
		for k, v := range extra {
			if c.Extra[k] != v {
				t.Errorf("%s: %s = %q, want %q", name, k, c.Extra[k], v)
			}
		}
	}
	check("t1", arrow.PrimitiveTypes.Int8, "", nil)
	check("mi", arrow.PrimitiveTypes.Int32, "", nil)
	check("iu", arrow.PrimitiveTypes.Uint32, "", map[string]string{FieldZerofill: "1"})
	check("biu", arrow.PrimitiveTypes.Uint64, "", nil)
	check("d38", &arrow.Decimal128Type{Precision: 38, Scale: 10}, "", nil)
	check("d65", arrow.BinaryTypes.String, "numeric", nil)
	check("f", arrow.PrimitiveTypes.Float32, "", nil)
	check("b64", arrow.PrimitiveTypes.Uint64, "bit", nil)
	check("y", arrow.PrimitiveTypes.Int16, "year", nil)
	check("dtm6", &arrow.TimestampType{Unit: arrow.Microsecond}, "", nil)
	check("ts", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "", map[string]string{FieldOnUpdate: "current_timestamp(3)"})
	check("tm6", arrow.FixedWidthTypes.Duration_us, "time", nil)
	check("l1", arrow.BinaryTypes.String, "", map[string]string{FieldCharset: "latin1"})
	check("bn", arrow.BinaryTypes.Binary, "", nil)
	check("e", arrow.BinaryTypes.String, "enum", map[string]string{FieldValues: `["a","b,c","d'e",""]`})
	check("st", arrow.BinaryTypes.String, "set", map[string]string{FieldValues: `["x","y'z","w\"q"]`})
	check("j", arrow.BinaryTypes.String, "json", nil)
	check("g_stored", arrow.PrimitiveTypes.Int64, "", map[string]string{FieldGeneratedKind: "stored"})
	check("g_virtual", arrow.BinaryTypes.String, "", map[string]string{FieldGeneratedKind: "virtual"})

	id := column(t, cols, "id")
	if id.Identity != "by default" || id.Sequence == nil || id.Sequence.LastValue != 100 || id.PKOrdinal != 1 {
		t.Errorf("id: identity %q, sequence %+v, pk %d", id.Identity, id.Sequence, id.PKOrdinal)
	}
	if c := column(t, cols, "vc"); c.Default != "'it''s'" || c.Collation == "" {
		t.Errorf("vc: default %q collation %q", c.Default, c.Collation)
	}
	if c := column(t, cols, "ts"); !strings.HasPrefix(strings.ToLower(c.Default), "current_timestamp") {
		t.Errorf("ts: default %q", c.Default)
	}
	if c := column(t, cols, "g_stored"); c.Generated == "" || c.Default != "" {
		t.Errorf("g_stored: generated %q default %q", c.Generated, c.Default)
	}

	h := ts[0].header
	if h.Table.Engine != "mysql" || h.Table.Database != db.Database || h.Table.Schema != db.Database ||
		strings.Join(h.PrimaryKey, ",") != "id" || h.Snapshot["flavor"] != FlavorMariaDB || h.Snapshot["file"] == "" {
		t.Errorf("header %+v", h)
	}
	kinds := map[string]string{}
	for _, c := range h.Constraints {
		kinds[c.Name] = c.Kind + " " + c.Definition
	}
	if kinds["PRIMARY"] != "primary PRIMARY KEY (`id`)" || kinds["uq"] != "unique UNIQUE (`si`, `mi`)" ||
		!strings.HasPrefix(kinds["ck_pos"], "check CHECK (") {
		t.Errorf("constraints %v", kinds)
	}
	defs := map[string]string{}
	for _, ix := range h.Indexes {
		defs[ix.Name] = ix.Definition
	}
	q := "`" + db.Database + "`.`all_types`"
	if defs["ix_prefix"] != "CREATE INDEX `ix_prefix` ON "+q+" (`vc`(5), `c` DESC)" && defs["ix_prefix"] != "CREATE INDEX `ix_prefix` ON "+q+" (`vc`(5), `c`)" {
		t.Errorf("ix_prefix: %s", defs["ix_prefix"])
	}
	if defs["ft"] != "CREATE FULLTEXT INDEX `ft` ON "+q+" (`tx`)" {
		t.Errorf("ft: %s", defs["ft"])
	}
}

func TestExtractObjectsAndForeignKeys(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, "CREATE TABLE p (id int PRIMARY KEY)",
		"CREATE TABLE c (id int PRIMARY KEY, pid int, CONSTRAINT fk_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE)",
		"CREATE VIEW v AS SELECT id FROM p WHERE id > 1",
		"CREATE TRIGGER trg BEFORE INSERT ON c FOR EACH ROW SET NEW.pid = NEW.pid",
		"CREATE PROCEDURE pr(IN x int) SELECT x",
		"CREATE FUNCTION fn(x int) RETURNS int DETERMINISTIC RETURN x + 1")
	segs, _ := extract(t, Config{DSN: db.URL})
	var objs []format.Object
	for _, s := range segs {
		if s.header.Kind == format.KindCatalog {
			objs = append(objs, s.header.Objects...)
		}
	}
	got := map[string]format.Object{}
	for _, o := range objs {
		got[o.Kind+" "+o.Name] = o
	}
	for _, k := range []string{"trigger trg", "procedure pr", "function fn"} {
		if o, ok := got[k]; !ok || !strings.Contains(o.Definition, "CREATE") {
			t.Errorf("%s: %+v", k, o)
		}
	}
	// A view carries its SELECT alone (format.Object), not SHOW CREATE VIEW's statement.
	if v := got["view v"].Definition; !strings.HasPrefix(v, "select ") || strings.Contains(v, "CREATE") {
		t.Errorf("view v: %q, want the SELECT alone", v)
	}
	if got["trigger trg"].Table != "c" {
		t.Errorf("trigger table %q", got["trigger trg"].Table)
	}
	fk := tableSegments(segs, "c")[0].header.Constraints
	found := false
	for _, c := range fk {
		if c.Kind == "foreign" {
			found = true
			if c.RefTable != "p" || strings.Join(c.RefColumns, ",") != "id" ||
				!strings.Contains(c.Definition, "REFERENCES `"+db.Database+"`.`p` (`id`) ON DELETE CASCADE") {
				t.Errorf("fk %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("no foreign key in %+v", fk)
	}
}

func TestExtractErrors(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, "SET sql_mode = ''; CREATE TABLE z (id int PRIMARY KEY, d date); INSERT INTO z VALUES (1, '2020-01-01'), (7, '2020-00-15')")
	_, err := extractErr(t, Config{DSN: db.URL})
	if err == nil || !strings.Contains(err.Error(), "table "+db.Database+".z column d at id=7") || !strings.Contains(err.Error(), "zero month or day") {
		t.Errorf("zero-in-date: %v", err)
	}
	db.Exec(t, "CREATE TABLE g (id int PRIMARY KEY, p point)", "INSERT INTO g VALUES (1, POINT(1, 2))")
	_, err = extractErr(t, Config{DSN: db.URL, Tables: []string{"g"}})
	if err == nil || !strings.Contains(err.Error(), "column p") || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("point: %v", err)
	}
	segs, _ := extract(t, Config{DSN: db.URL, Tables: []string{"g"}, Unsupported: "text"})
	if r := tableSegments(segs, "g")[0]; r.rows[0][1].text != "POINT(1 2)" || r.cols[1].Logical != "text-cast" {
		t.Errorf("point as text: %+v %+v", r.rows, r.cols[1])
	}
}
