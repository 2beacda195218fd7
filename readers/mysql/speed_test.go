package mysql

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

// TestReadSpeed times reading a 1M-row table (set DBMIG_MYSQL_SPEED=1; it
// takes a minute to load).
func TestReadSpeed(t *testing.T) {
	if os.Getenv("DBMIG_MYSQL_SPEED") != "1" {
		t.Skip("set DBMIG_MYSQL_SPEED=1 to time a 1M-row read")
	}
	db := testdb.MySQL(t)
	db.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, n bigint, d decimal(12,2), s varchar(40), ts datetime(6))",
		"INSERT INTO t SELECT seq, seq * 7919, seq / 100, CONCAT('row number ', seq), '2024-01-01' + INTERVAL seq SECOND FROM seq_1_to_1000000",
		"ANALYZE TABLE t")
	for _, parallel := range []int{1, 2} {
		w := format.NewWriter(io.Discard, format.WriterOptions{Compression: format.CompressionNone})
		start := time.Now()
		st, err := Extract(context.Background(), Config{DSN: db.URL, Parallel: parallel}, w)
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(start)
		t.Logf("parallel %d: %d rows in %v: %.0f rows/s", parallel, st.Rows, el.Round(time.Millisecond), float64(st.Rows)/el.Seconds())
	}
}
