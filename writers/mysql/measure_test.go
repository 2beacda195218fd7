package mysql

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

// TestMeasureLoadRate prints the load rate of a few hundred thousand rows,
// with the primary key in CREATE TABLE and with it added after the data.
// It runs only with DBMIG_MEASURE=1 (the machine's cores are shared).
func TestMeasureLoadRate(t *testing.T) {
	if os.Getenv("DBMIG_MEASURE") != "1" {
		t.Skip("set DBMIG_MEASURE=1 to measure")
	}
	const chunks, rows = 10, 30000
	var segs []segSpec
	for c := range chunks {
		segs = append(segs, segSpec{
			h: format.Header{Table: mysqlTable("orders"), PrimaryKey: []string{"id"},
				Chunk: format.Chunk{ID: fmt.Sprint(c), Index: c, Count: chunks}},
			cols: []format.Column{
				{Name: "id", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint(20)", PKOrdinal: 1},
				{Name: "customer", Type: arrow.BinaryTypes.String, SourceType: "varchar(40)"},
				{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, SourceType: "decimal(12,2)"},
				{Name: "created", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, SourceType: "datetime(6)"},
				{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "text"},
			},
			build: func(b *array.RecordBuilder) {
				for i := c * rows; i < (c+1)*rows; i++ {
					b.Field(0).(*array.Int64Builder).Append(int64(i))
					b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("customer %d", i%9973))
					b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i%100000) * 7))
					b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1700000000000000 + int64(i)*1000003))
					b.Field(4).(*array.StringBuilder).Append("a note with a\ttab and some more text to make the row wider")
				}
			},
		})
	}
	stream := writeStream(t, segs...)
	var arrowBytes atomic.Int64 // OnChunk runs on the workers
	db := testdb.MySQL(t)
	start := time.Now()
	st, err := load(t, db, Config{Create: true, Parallel: 2, OnChunk: func(c ChunkDone) { arrowBytes.Add(c.Bytes) }}, stream)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	t.Logf("PK in CREATE TABLE: %d rows in %v: %.0f rows/s, %.1f MB/s of Arrow data (%d bytes), data phase %v",
		st.Rows, d.Round(time.Millisecond), float64(st.Rows)/d.Seconds(), float64(arrowBytes.Load())/d.Seconds()/1e6, arrowBytes.Load(), st.DataPhase.Round(time.Millisecond))

	db2 := testdb.MySQL(t)
	db2.Exec(t, "CREATE TABLE orders (id bigint NOT NULL, customer varchar(40) NOT NULL, amount decimal(12,2) NOT NULL, created datetime(6) NOT NULL, note text) ENGINE=InnoDB")
	start = time.Now()
	if _, err := load(t, db2, Config{Parallel: 2}, stream); err != nil {
		t.Fatal(err)
	}
	data := time.Since(start)
	db2.Exec(t, "ALTER TABLE orders ADD PRIMARY KEY (id)")
	t.Logf("PK after the data: load %v + ALTER TABLE ADD PRIMARY KEY %v = %v",
		data.Round(time.Millisecond), (time.Since(start) - data).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
