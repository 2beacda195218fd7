package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

// TestLoadCancelledThenRerun cancels a load after some chunks committed;
// the rerun of the same stream loads exactly the missing ones.
func TestLoadCancelledThenRerun(t *testing.T) {
	db := testdb.MySQL(t)
	const chunks, rows = 20, 2000
	stream := writeStream(t, idName(chunks, rows)...)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex // OnChunk runs on the workers
	committed := 0
	cfg := Config{DSN: db.URL, Create: true, Parallel: 2, OnChunk: func(ChunkDone) {
		mu.Lock()
		defer mu.Unlock()
		if committed++; committed == 5 {
			cancel()
		}
	}}
	_, err := Load(ctx, cfg, format.NewReader(bytes.NewReader(stream), format.ReaderOptions{Allocator: mem}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled load: %v", err)
	}
	mem.AssertSize(t, 0)
	pool := open(t, db)
	first := query(t, pool, "SELECT count(*) FROM people")
	if first == fmt.Sprint(chunks*rows) || first == "0" {
		t.Fatalf("cancelled load left %s rows: want a part", first)
	}
	// Only whole chunks: rows in the table = rows recorded.
	if got, rec := query(t, pool, "SELECT count(*) FROM people"), query(t, pool, "SELECT CAST(COALESCE(SUM(`rows`), 0) AS CHAR) FROM dbmig.load_chunks WHERE database_name = database()"); got != rec {
		t.Fatalf("table has %s rows, bookkeeping says %s", got, rec)
	}

	st, err := load(t, db, Config{Create: true}, stream)
	if err != nil {
		t.Fatal(err)
	}
	if st.Chunks+st.ChunksSkipped != chunks || st.ChunksSkipped == 0 {
		t.Errorf("rerun stats %+v", st)
	}
	if got := query(t, pool, "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM people"); got != fmt.Sprintf("%d|%d|0|%d", chunks*rows, chunks*rows, chunks*rows-1) {
		t.Errorf("after rerun: %s", got)
	}
}

// TestLoadBadChunkRollsBack has one chunk whose value the column cannot
// hold: the load fails naming table, column and row key, that chunk leaves
// nothing, and after the table is fixed a rerun completes it.
func TestLoadBadChunkRollsBack(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, "CREATE TABLE people (id int PRIMARY KEY, name varchar(5))")
	segs := idName(3, 100)
	for i := range segs {
		segs[i].h.Table.Engine = "postgres" // appending: the dialect does not matter
	}
	// Chunk 1 has a name too long for varchar(5) at id 150.
	segs[1].build = func(b *array.RecordBuilder) {
		for i := 100; i < 200; i++ {
			b.Field(0).(*array.Int32Builder).Append(int32(i))
			name := "ok"
			if i == 150 {
				name = "far too long"
			}
			b.Field(1).(*array.StringBuilder).Append(name)
		}
	}
	segs[0].build, segs[2].build = shortNames(0), shortNames(200)
	stream := writeStream(t, segs...)
	_, err := load(t, db, Config{Parallel: 1}, stream)
	if err == nil {
		t.Fatal("load of a too-long value succeeded")
	}
	for _, want := range []string{"people", "chunk 2/3", "'name'", "row 51", "key id=150"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	pool := open(t, db)
	if got := query(t, pool, "SELECT count(*) FROM people WHERE id BETWEEN 100 AND 199"); got != "0" {
		t.Errorf("failed chunk left %s rows", got)
	}
	db.Exec(t, "ALTER TABLE people MODIFY name varchar(20)")
	if _, err := load(t, db, Config{}, stream); err != nil {
		t.Fatal(err)
	}
	if got := query(t, pool, "SELECT count(*), count(DISTINCT id) FROM people"); got != "300|300" {
		t.Errorf("after rerun: %s", got)
	}
}

func shortNames(from int) func(b *array.RecordBuilder) {
	return func(b *array.RecordBuilder) {
		for i := from; i < from+100; i++ {
			b.Field(0).(*array.Int32Builder).Append(int32(i))
			b.Field(1).(*array.StringBuilder).Append("ok")
		}
	}
}

// TestLoadRefusesForeignDialectKey: a PostgreSQL stream with a text
// primary key has no plain MySQL mapping; the message says what to do.
func TestLoadRefusesForeignDialectKey(t *testing.T) {
	db := testdb.MySQL(t)
	stream := writeStream(t, segSpec{
		h: format.Header{Table: format.TableID{Engine: "postgres", Schema: "public", Name: "k"}, PrimaryKey: []string{"k"}},
		cols: []format.Column{{Name: "k", Type: arrow.BinaryTypes.String, SourceType: "text", PKOrdinal: 1},
			{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true, SourceType: "bigint"}},
	})
	_, err := load(t, db, Config{Create: true}, stream)
	if err == nil || !strings.Contains(err.Error(), "dbconvert --to mysql") {
		t.Fatalf("got %v, want a hint to run dbconvert --to mysql", err)
	}
}
