package mysql

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

func TestExtractAllTypes(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, testdb.Statements(t, "../../examples/testdata/mysql_alltypes.sql")...)
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
