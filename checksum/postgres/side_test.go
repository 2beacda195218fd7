package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/checksum/postgres"
	"github.com/dbmig/dbmig/checksum/streamfile"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	reader "github.com/dbmig/dbmig/readers/postgres"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func open(t *testing.T, db *testdb.PG, name string) *postgres.Side {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := postgres.Open(ctx, postgres.Config{DSN: db.DSN, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// diffLines renders a report's row differences as "table kind key [col a b]"
// lines, for exact comparison.
func diffLines(rep *compare.Report) []string {
	var out []string
	for _, tr := range rep.Tables {
		for _, s := range tr.Schema {
			out = append(out, fmt.Sprintf("%s schema %s %s %s|%s", tr.Table, s.What, s.Name, s.A, s.B))
		}
		for _, d := range tr.Rows {
			var key []string
			for k, v := range d.Key {
				key = append(key, k+"="+v)
			}
			slices.Sort(key)
			line := fmt.Sprintf("%s %s %s", tr.Table, d.Kind, strings.Join(key, ","))
			for _, c := range d.Columns {
				line += fmt.Sprintf(" %s:%s|%s", c.Column, c.A, c.B)
			}
			out = append(out, line)
		}
	}
	return out
}

func check(t *testing.T, a, b compare.Side, cfg compare.Config, want []string) *compare.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := compare.Compare(ctx, a, b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := diffLines(rep)
	if !slices.Equal(got, want) {
		if len(got) > 20 {
			got = append(got[:20:20], fmt.Sprintf("… %d more", len(got)-20))
		}
		t.Errorf("mode %s: differences\n got  %q\n want %q", cfg.Mode, got, want)
	}
	if rep.Equal() != (len(want) == 0) {
		t.Errorf("mode %s: Equal() = %v with differences %q", cfg.Mode, rep.Equal(), got)
	}
	return rep
}

const fourTable = `CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL, n numeric(10,2), f double precision);
INSERT INTO t SELECT g, 'v' || g, g / 100.0, g * 1.5 FROM generate_series(1, 20000) g;
ANALYZE t;`

// The four kinds of difference, found exactly, by pushdown and by stream,
// with ranges small enough that the bisection goes down more than one level.
func TestFourDifferences(t *testing.T) {
	dbA, dbB := testdb.Postgres(t), testdb.Postgres(t)
	dbA.Exec(t, fourTable)
	dbB.Exec(t, fourTable, `UPDATE t SET n = 999.99 WHERE id = 1234;
DELETE FROM t WHERE id = 5000;
INSERT INTO t VALUES (30001, 'new', 1, 1);
UPDATE t SET id = 40000 WHERE id = 17777;`)
	a, b := open(t, dbA, "A"), open(t, dbB, "B")
	want := []string{
		"public.t changed id=1234 n:12.34|999.99",
		"public.t missing id=5000",
		"public.t missing id=17777",
		"public.t extra id=30001",
		"public.t extra id=40000",
	}
	for _, mode := range []string{compare.ModePushdown, compare.ModeStream} {
		rep := check(t, a, b, compare.Config{Mode: mode, RangeRows: 300}, want)
		if tr := rep.Tables[0]; tr.Mode != mode || tr.RowsA != 20000 || tr.RowsB != 20000 {
			t.Errorf("mode %s: report %+v", mode, tr)
		}
	}
	// The same table on both sides is equal.
	a2 := open(t, dbA, "A2")
	check(t, a, a2, compare.Config{RangeRows: 300}, nil)
	// --sample compares rows of sampled keys only: the changed row is found
	// when sampled; nothing else is reported.
	check(t, a, a2, compare.Config{Sample: 100}, nil)
	// --live re-checks after a delay: a difference fixed meanwhile (CDC
	// catching up) is not reported.
	rep := check(t, a, b, compare.Config{RangeRows: 300, Live: time.Millisecond}, want)
	if !strings.Contains(rep.Tables[0].Note, "re-checked") {
		t.Errorf("note %q", rep.Tables[0].Note)
	}
}

// Values that are equal but written differently by each side compare
// equal: numeric trailing zeros, -0 and 0, NaN, timestamps with and without
// zone, json spacing and key order, booleans; composite keys with text
// that sorts differently in each side's collation.
func TestCanonicalValues(t *testing.T) {
	dbA, dbB := testdb.Postgres(t), testdb.Postgres(t)
	dbA.Exec(t, `CREATE TABLE c (k1 int, k2 text COLLATE "und-x-icu", n numeric(12,4), f double precision, r real,
  ts timestamptz, j jsonb, b boolean, PRIMARY KEY (k1, k2));
INSERT INTO c SELECT g % 7, w || g, g / 8.0, CASE WHEN g % 5 = 0 THEN '-0' WHEN g % 5 = 1 THEN 'NaN' ELSE g / 3.0 END,
  g / 4.0, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute', jsonb_build_object('b', g, 'a', 'x'), g % 2 = 0
FROM generate_series(1, 3000) g, unnest(ARRAY['a', 'B', 'é', 'E', 'z']) w;`)
	dbB.Exec(t, `CREATE TABLE c (k1 bigint, k2 varchar(20) COLLATE "C", n numeric, f double precision, r double precision,
  ts timestamp, j json, b boolean, PRIMARY KEY (k1, k2));
INSERT INTO c SELECT g % 7, w || g, (g / 8.0)::numeric(20, 8), CASE WHEN g % 5 = 0 THEN '0' WHEN g % 5 = 1 THEN 'NaN' ELSE g / 3.0 END,
  (g / 4.0)::real, '2024-01-01 00:00:00'::timestamp + g * interval '1 minute',
  json_build_object('a', 'x', 'b', g), g % 2 = 0
FROM generate_series(1, 3000) g, unnest(ARRAY['a', 'B', 'é', 'E', 'z']) w;
UPDATE c SET j = '{"a": "y", "b": 7}' WHERE k1 = 0 AND k2 = 'é7';`)
	a, b := open(t, dbA, "A"), open(t, dbB, "B")
	schema := []string{
		"public.c schema type k1 integer|bigint",
		"public.c schema type k2 text|character varying(20)",
		"public.c schema type n numeric(12,4)|numeric",
		"public.c schema type r real|double precision",
		"public.c schema type ts timestamp with time zone|timestamp without time zone",
		"public.c schema type j jsonb|json",
	}
	want := append(slices.Clone(schema), `public.c changed k1=0,k2=é7 j:{"a": "x", "b": 7}|{"a": "y", "b": 7}`)
	for _, mode := range []string{compare.ModeAuto, compare.ModeStream} {
		rep := check(t, a, b, compare.Config{Mode: mode, RangeRows: 200}, want)
		if tr := rep.Tables[0]; tr.Mode != compare.ModeStream || tr.RowsA != 15000 || tr.RowsB != 15000 {
			t.Errorf("mode %s: report %+v", mode, tr)
		}
	}
	if _, err := compare.Compare(context.Background(), a, b, compare.Config{Mode: compare.ModePushdown}); err == nil ||
		!strings.Contains(err.Error(), "column k1 is integer in A, bigint in B") {
		t.Errorf("forced pushdown across types: %v", err)
	}
}

// A stream written by dbextract's reader compares with a database: the
// stream side is read (and re-read) from a file.
func TestStreamFileSide(t *testing.T) {
	dbA, dbB := testdb.Postgres(t), testdb.Postgres(t)
	dbA.Exec(t, fourTable, `CREATE TABLE u (k text PRIMARY KEY, x int); INSERT INTO u VALUES ('a', 1), ('B', 2);`)
	dbB.Exec(t, fourTable, `CREATE TABLE u (k text PRIMARY KEY, x int); INSERT INTO u VALUES ('a', 1), ('B', 3);
DELETE FROM t WHERE id = 42;`)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.arrows")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := format.NewWriter(f, format.WriterOptions{Compression: format.CompressionLZ4})
	if _, err := reader.Extract(ctx, reader.Config{DSN: dbA.DSN, ChunkBytes: 256 << 10, SplitBy: "pk"}, w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := streamfile.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := open(t, dbB, "B")
	want := []string{"public.t missing id=42", "public.u changed k=B x:2|3"}
	check(t, s, b, compare.Config{RangeRows: 500}, want)
	// stdin is spooled to a file first.
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	stdin, err := streamfile.Open(ctx, "-", in)
	if err != nil {
		t.Fatal(err)
	}
	check(t, b, stdin, compare.Config{Filter: compare.Filter{Tables: []string{"u"}}}, []string{"public.u changed k=B x:3|2"})
	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
}
