package mysql

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

func mysqlTable(name string) format.TableID {
	return format.TableID{Engine: "mysql", Database: "src", Schema: "src", Name: name}
}

// idName is a table of (id int primary key, name varchar(20)) in chunks of
// rows rows each.
func idName(chunks, rows int) []segSpec {
	var segs []segSpec
	for c := range chunks {
		segs = append(segs, segSpec{
			h: format.Header{Table: mysqlTable("people"), PrimaryKey: []string{"id"},
				Chunk: format.Chunk{ID: fmt.Sprintf("pk:[%d,%d)", c*rows, (c+1)*rows), Index: c, Count: chunks}},
			cols: []format.Column{
				{Name: "id", Type: arrow.PrimitiveTypes.Int32, SourceType: "int(11)", PKOrdinal: 1},
				{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "varchar(20)", Collation: "utf8mb4_bin",
					Extra: map[string]string{fieldCharset: "utf8mb4"}},
			},
			build: func(b *array.RecordBuilder) {
				for i := c * rows; i < (c+1)*rows; i++ {
					b.Field(0).(*array.Int32Builder).Append(int32(i))
					if i%7 == 3 {
						b.Field(1).AppendNull()
					} else {
						b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name %d", i))
					}
				}
			},
		})
	}
	return segs
}

func TestLoadIntVarchar(t *testing.T) {
	db := testdb.MySQL(t)
	stream := writeStream(t, idName(3, 100)...)
	st, err := load(t, db, Config{Create: true}, stream)
	if err != nil {
		t.Fatal(err)
	}
	if st.Chunks != 3 || st.Rows != 300 || st.Tables != 1 {
		t.Fatalf("stats %+v", st)
	}
	pool := open(t, db)
	if got := query(t, pool, "SELECT count(*), count(name), min(id), max(id), sum(id) FROM people"); got != "300|257|0|299|44850" {
		t.Errorf("got %s", got)
	}
	if got := query(t, pool, "SELECT name FROM people WHERE id = 42"); got != "name 42" {
		t.Errorf("got %q", got)
	}
	if got := query(t, pool, "SELECT count(*) FROM dbmig.load_chunks WHERE stream = ?", st.Stream); got != "3" {
		t.Errorf("bookkeeping rows %s", got)
	}
	ddl := query(t, pool, "SELECT column_type, is_nullable, collation_name FROM information_schema.columns WHERE table_schema = database() AND table_name = 'people' ORDER BY ordinal_position")
	if want := "int(11)|NO|NULL\nvarchar(20)|YES|utf8mb4_bin"; ddl != want {
		t.Errorf("columns:\n%s\nwant\n%s", ddl, want)
	}

	// A rerun of the same stream skips every chunk.
	st, err = load(t, db, Config{Create: true}, stream)
	if err != nil {
		t.Fatal(err)
	}
	if st.Chunks != 0 || st.ChunksSkipped != 3 {
		t.Fatalf("rerun stats %+v", st)
	}
	if got := query(t, pool, "SELECT count(*) FROM people"); got != "300" {
		t.Errorf("after rerun: %s rows", got)
	}
}
