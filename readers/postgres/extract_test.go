package postgres

import (
	"bytes"
	"context"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func TestSelected(t *testing.T) {
	id := format.TableID{Schema: "app", Name: "orders"}
	for _, c := range []struct {
		include, exclude []string
		want             bool
	}{
		{nil, nil, true},
		{[]string{"orders"}, nil, true},
		{[]string{"app.orders"}, nil, true},
		{[]string{"public.orders"}, nil, false},
		{[]string{"app.*"}, nil, true},
		{[]string{"ord*"}, []string{"app.*"}, false},
		{nil, []string{"orders"}, false},
		{[]string{"x", "app.ord?rs"}, nil, true},
	} {
		if got := selected(id, c.include, c.exclude); got != c.want {
			t.Errorf("selected(%v, %v) = %v", c.include, c.exclude, got)
		}
	}
}

func TestCtidRanges(t *testing.T) {
	rs := ctidRanges(10, 3)
	if len(rs) != 3 || rs[0].where != "ctid < '(4,0)'::tid" || rs[1].where != "ctid >= '(4,0)'::tid AND ctid < '(8,0)'::tid" || rs[2].where != "ctid >= '(8,0)'::tid" {
		t.Errorf("%+v", rs)
	}
	if rs := ctidRanges(0, 4); len(rs) != 1 || rs[0].where != "" {
		t.Errorf("empty heap: %+v", rs)
	}
}

// readStream reads every segment of data: table -> rows, in stream order.
func readStream(t *testing.T, data []byte) (map[string]int64, []format.Header) {
	t.Helper()
	r := format.NewReader(bytes.NewReader(data), format.ReaderOptions{})
	rows := map[string]int64{}
	var hs []format.Header
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return rows, hs
		}
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, seg.Header)
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rows[seg.Header.Table.String()] += rec.NumRows()
		}
	}
}

func extractBytes(t *testing.T, cfg Config) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Compression: format.CompressionLZ4})
	_, err := Extract(context.Background(), cfg, w)
	if err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), nil
}

func TestRefusals(t *testing.T) {
	db := testdb.Postgres(t)
	db.Exec(t, `CREATE TABLE pts (id int PRIMARY KEY, p point);
CREATE TABLE parted (id int) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE ok (id int)`)
	_, err := extractBytes(t, Config{DSN: db.DSN, Tables: []string{"pts"}})
	if err == nil || !strings.Contains(err.Error(), "table public.pts column p") || !strings.Contains(err.Error(), "--unsupported=text") {
		t.Errorf("unsupported type: %v", err)
	}
	_, err = extractBytes(t, Config{DSN: db.DSN, Tables: []string{"parted*"}})
	if err == nil || !strings.Contains(err.Error(), "partitioned") {
		t.Errorf("partitioned table: %v", err)
	}
	_, err = extractBytes(t, Config{DSN: db.DSN, Tables: []string{"nothing"}})
	if err == nil || !strings.Contains(err.Error(), "no tables match") {
		t.Errorf("no match: %v", err)
	}
	data, err := extractBytes(t, Config{DSN: db.DSN, Exclude: []string{"parted*", "pts"}})
	if err != nil {
		t.Fatal(err)
	}
	if rows, hs := readStream(t, data); len(hs) != 1 || hs[0].Table.Name != "ok" || rows["public.ok"] != 0 {
		t.Errorf("exclude: %v %+v", rows, hs)
	}
}

func TestUnsupportedAsText(t *testing.T) {
	db := testdb.Postgres(t)
	db.Exec(t, `CREATE TABLE pts (id int PRIMARY KEY, p point, b bit varying(8)); INSERT INTO pts VALUES (1, '(1.5,2)', B'101'), (2, NULL, NULL)`)
	data, err := extractBytes(t, Config{DSN: db.DSN, UnsupportedAsText: true})
	if err != nil {
		t.Fatal(err)
	}
	r := format.NewReader(bytes.NewReader(data), format.ReaderOptions{})
	seg, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	c := seg.Columns[1]
	if c.Logical != "text-cast" || c.SourceType != "point" || c.Type.ID().String() != "STRING" {
		t.Fatalf("column p: %+v", c)
	}
	rec, err := seg.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Column(1).ValueStr(0) + " " + rec.Column(2).ValueStr(0); got != "(1.5,2) 101" {
		t.Errorf("values %q", got)
	}
}

// Rows written while the extraction runs are not in it, whichever worker
// reads which chunk: every worker reads the one exported snapshot.
func TestSnapshotConsistency(t *testing.T) {
	db := testdb.Postgres(t)
	db.Exec(t, `CREATE TABLE a (id bigint PRIMARY KEY, pad text); CREATE TABLE b (id bigint PRIMARY KEY, pad text);
INSERT INTO a SELECT g, repeat('x', 300) FROM generate_series(1, 20000) g;
INSERT INTO b SELECT g, repeat('y', 300) FROM generate_series(1, 20000) g;`)
	ctx := context.Background()
	// Hold a snapshot, change both tables, then extract in the held snapshot
	// with several workers and small chunks of every kind.
	conn, err := pgx.Connect(ctx, db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var snap string
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil {
		t.Fatal(err)
	}
	db.Exec(t, `INSERT INTO a SELECT g, 'new' FROM generate_series(20001, 25000) g; DELETE FROM b WHERE id <= 5000`)
	for _, split := range []string{"scan", "pk", "ctid"} {
		data, err := extractBytes(t, Config{DSN: db.DSN, Snapshot: snap, SplitBy: split, ChunkBytes: 512 << 10, Parallel: 3})
		if err != nil {
			t.Fatal(err)
		}
		rows, hs := readStream(t, data)
		if rows["public.a"] != 20000 || rows["public.b"] != 20000 {
			t.Errorf("%s: extracted %v, want 20000 rows of each table as of the snapshot", split, rows)
		}
		chunks := map[string]bool{}
		for _, h := range hs {
			if h.Snapshot["snapshot"] != snap {
				t.Errorf("%s: segment snapshot %v, want %s", split, h.Snapshot, snap)
			}
			chunks[h.Table.Name+" "+h.Chunk.ID] = true
		}
		ids := make([]string, 0, len(chunks))
		for k := range chunks {
			ids = append(ids, k)
		}
		sort.Strings(ids)
		if len(ids) < 6 || len(ids) != len(hs) {
			t.Errorf("%s: chunk ids %v for %d segments: want several, all distinct", split, ids, len(hs))
		}
	}
}
