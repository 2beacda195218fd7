package mysql

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/transforms/convert"
)

// TestMeasureMillion times a stream-mode compare of a 1M-row MariaDB table
// with its PostgreSQL copy against a plain full scan of each side. It runs
// only with DBMIG_MEASURE=1 (it takes a while).
func TestMeasureMillion(t *testing.T) {
	if os.Getenv("DBMIG_MEASURE") == "" {
		t.Skip("set DBMIG_MEASURE=1 to measure")
	}
	my := testdb.MySQL(t)
	my.Exec(t, "CREATE TABLE big (id int unsigned PRIMARY KEY, a bigint, b varchar(40), c double, d datetime(6), e decimal(12,2))",
		"INSERT INTO big SELECT seq, seq * 7, CONCAT('name-', seq), seq / 3, '2024-01-01' + INTERVAL seq SECOND, seq / 100 FROM seq_1_to_1000000")
	start := time.Now()
	pg := migrate(t, my, convert.Options{Schema: "public"})
	t.Logf("migrate: %s", time.Since(start))
	a, b := openMySQL(t, my), openPG(t, pg)
	ctx := context.Background()
	for _, s := range []compare.Side{a, b} {
		ts, err := s.Tables(ctx, compare.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var n int64
		if err := s.Scan(ctx, ts[0], nil, func(rec arrow.RecordBatch) error { n += rec.NumRows(); return nil }); err != nil {
			t.Fatal(err)
		}
		t.Logf("full scan %s: %d rows in %s", s.Name(), n, time.Since(start))
	}
	start = time.Now()
	rep := check(t, a, b, compare.Config{Mode: compare.ModeStream})
	t.Logf("compare (stream): equal %v in %s\n%s", rep.Equal(), time.Since(start), reportText(rep))
}
