package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// segSpec is one segment of a hand-built stream: build appends its rows.
type segSpec struct {
	h     format.Header
	cols  []format.Column
	build func(b *array.RecordBuilder)
}

// writeStream returns a complete stream of segs, with a checked allocator.
func writeStream(t testing.TB, segs ...segSpec) []byte {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	w := format.NewWriter(&out, format.WriterOptions{Allocator: mem, Compression: format.CompressionNone})
	for _, sp := range segs {
		s, err := w.Begin(sp.h, sp.cols)
		if err != nil {
			t.Fatal(err)
		}
		if sp.build != nil {
			b := array.NewRecordBuilder(mem, s.Schema())
			sp.build(b)
			rec := b.NewRecordBatch()
			if rec.NumRows() > 0 {
				if err := s.Write(rec); err != nil {
					t.Fatal(err)
				}
			}
			rec.Release()
			b.Release()
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// load runs Load on stream into db.
func load(t testing.TB, db *testdb.MySQLDB, cfg Config, stream []byte) (Stats, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg.DSN = db.URL
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return Load(ctx, cfg, format.NewReader(bytes.NewReader(stream), format.ReaderOptions{Allocator: mem}))
}

// open returns a connection pool on db for checks, in UTC.
func open(t testing.TB, db *testdb.MySQLDB) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sql.OpenDB(c)
	t.Cleanup(func() { pool.Close() })
	return pool
}

// query returns every row of q as strings ("NULL" for NULL), rows joined by
// newlines and columns by "|".
func query(t testing.TB, pool *sql.DB, q string, args ...any) string {
	t.Helper()
	rows, err := pool.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out bytes.Buffer
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		for i, v := range vals {
			if i > 0 {
				out.WriteByte('|')
			}
			if v == nil {
				out.WriteString("NULL")
			} else {
				out.Write(v)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
