package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/jackc/pgx/v5"
)

// TestMeasureBacklogAndLag measures, once, the apply rate draining a backlog
// of 200k row changes, and the lag at light load. It runs only with
// DBMIG_MEASURE=1 (it takes about a minute on two cores).
func TestMeasureBacklogAndLag(t *testing.T) {
	if os.Getenv("DBMIG_MEASURE") != "1" {
		t.Skip("set DBMIG_MEASURE=1 to measure")
	}
	bin := buildBinaries(t)
	src, dst := testdb.Postgres(t), testdb.Postgres(t)
	slot := "m_" + strings.ToLower(src.Database)[:min(40, len(src.Database))]
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), src.DSN)
		if err == nil {
			_, _ = c.Exec(context.Background(), `SELECT pg_drop_replication_slot($1)`, slot)
			c.Close(context.Background())
		}
	})
	src.Exec(t, `CREATE TABLE items (id int PRIMARY KEY, v text, n int)`)
	// The snapshot is empty; the backlog is 100k inserts and 100k updates in
	// 2000 transactions, all queued in the slot before the pipeline starts.
	p := startPipeline(t, bin, src.DSN, dst.DSN, slot, "--until", "0/1")
	p.wait(t)
	for i := range 20 {
		src.Exec(t, `INSERT INTO items SELECT g, md5(g::text), 0 FROM generate_series(`+itoa(i*5000+1)+`, `+itoa(i*5000+5000)+`) g`)
	}
	src.Exec(t, `DO $$ BEGIN FOR i IN 0..99 LOOP UPDATE items SET n = n + 1 WHERE id > i * 1000 AND id <= i * 1000 + 1000; COMMIT; END LOOP; END $$`)
	sc := connect(t, src.DSN)
	var fence string
	if err := sc.QueryRow(context.Background(), `SELECT pg_current_wal_insert_lsn()::text`).Scan(&fence); err != nil {
		t.Fatal(err)
	}
	src.Exec(t, `INSERT INTO items VALUES (0, 'fence', 0)`)
	start := time.Now()
	p = startPipeline(t, bin, src.DSN, dst.DSN, slot, "--until", fence)
	p.wait(t)
	el := time.Since(start)
	t.Logf("backlog: 200000 row changes applied in %v: %.0f rows/s (process start included)", el.Round(time.Millisecond), 200000/el.Seconds())

	// Light load: one small transaction every 200ms for 5s; dbload reports
	// the lag of each commit.
	p = startPipeline(t, bin, src.DSN, dst.DSN, slot)
	time.Sleep(time.Second)
	dc := connect(t, dst.DSN)
	var lags []time.Duration
	for i := range 25 {
		var now time.Time
		if err := sc.QueryRow(context.Background(), `INSERT INTO items VALUES ($1, 'light', 0) RETURNING clock_timestamp()`, 300000+i).Scan(&now); err != nil {
			t.Fatal(err)
		}
		for {
			var n int
			if err := dc.QueryRow(context.Background(), `SELECT count(*) FROM items WHERE id = $1`, 300000+i).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				lags = append(lags, time.Since(now))
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.kill()
	var sum time.Duration
	for _, l := range lags {
		sum += l
	}
	t.Logf("light load: lag source commit -> visible on target: mean %v over %d transactions", (sum / time.Duration(len(lags))).Round(time.Millisecond), len(lags))
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
