package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/internal/testdb"
)

// mysqlPipeline is dbcdc | dbconvert --to postgres | dbload --apply.
type mysqlPipeline struct {
	cmds   []*exec.Cmd
	stderr *strings.Builder
}

func buildMySQLBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir+"/", "../dbcdc", "../dbconvert", "../dbload").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

func startMySQLPipeline(t *testing.T, bin, src, dst string, extra ...string) *mysqlPipeline {
	t.Helper()
	var stderr strings.Builder
	var mu sync.Mutex
	errw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })
	args := append([]string{"--ack-from", dst, "--window", "200ms", "--heartbeat", "500ms", "--compression", "lz4"}, extra...)
	p := &mysqlPipeline{stderr: &stderr, cmds: []*exec.Cmd{
		exec.Command(filepath.Join(bin, "dbcdc"), append(args, src)...),
		exec.Command(filepath.Join(bin, "dbconvert"), "--to", "postgres", "--schema", "public", "--compression", "lz4"),
		exec.Command(filepath.Join(bin, "dbload"), "--apply", "--create", "--lag-every", "2s", dst),
	}}
	for i := range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		p.cmds[i].Stdout, p.cmds[i+1].Stdin = w, r
		defer r.Close()
		defer w.Close()
	}
	for _, c := range p.cmds {
		c.Stderr = errw
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *mysqlPipeline) kill() {
	for _, c := range p.cmds {
		_ = c.Process.Signal(syscall.SIGKILL)
	}
	for _, c := range p.cmds {
		_ = c.Wait()
	}
}

func (p *mysqlPipeline) wait(t *testing.T) {
	t.Helper()
	timer := time.AfterFunc(60*time.Second, func() {
		for _, c := range p.cmds {
			_ = c.Process.Signal(syscall.SIGQUIT)
		}
		time.Sleep(time.Second)
		t.Errorf("pipeline did not finish in 60s")
		p.kill()
	})
	defer timer.Stop()
	var errs []string
	for i, c := range p.cmds {
		if err := c.Wait(); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", []string{"dbcdc", "dbconvert", "dbload"}[i], err))
		}
	}
	if len(errs) > 0 {
		t.Fatalf("pipeline: %s\n%s", strings.Join(errs, ", "), p.stderr.String())
	}
}

// TestMySQLLiveCopyExactlyOnce runs dbcdc --snapshot on MariaDB | dbconvert
// | dbload --apply --create on PostgreSQL while a writer changes three
// tables (multi-table transactions, updates, deletes), kills all three
// processes at random moments and restarts them, then stops at a fence and
// compares every table row by row.
func TestMySQLLiveCopyExactlyOnce(t *testing.T) {
	bin := buildMySQLBinaries(t)
	src, dst := testdb.MySQL(t), testdb.Postgres(t)
	src.Exec(t, `
CREATE TABLE accounts (id int PRIMARY KEY, name varchar(200) NOT NULL, doc text, balance decimal(12,2), flags int unsigned);
CREATE TABLE orders (id bigint PRIMARY KEY, account int, amount decimal(12,2), at datetime(6));
CREATE TABLE events (id int PRIMARY KEY, kind varchar(500));
INSERT INTO accounts SELECT seq, CONCAT('a', seq), REPEAT(MD5(seq), 20), seq, seq * 1000 FROM seq_1_to_300;
INSERT INTO orders SELECT seq, 1 + seq % 300, seq / 10, '2024-01-02 03:04:05.123456' FROM seq_1_to_2000;
INSERT INTO events SELECT seq, 'k' FROM seq_1_to_100;`)
	db := openSQL(t, src.DSN)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		next := int64(100000)
		for i := 0; !stop.Load(); i++ {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Error(err)
				return
			}
			acc := 1 + rng.IntN(300)
			next++
			stmts := []struct {
				sql  string
				args []any
			}{
				{"INSERT INTO orders (id, account, amount, at) VALUES (?, ?, ?, NOW(6))", []any{next, acc, rng.IntN(10000)}},
				{"UPDATE accounts SET balance = balance + 1, name = CONCAT(name, '.') WHERE id = ?", []any{acc}},
				{"DELETE FROM orders WHERE id = ?", []any{1 + rng.Int64N(next)}},
				{"UPDATE orders SET amount = amount + 1 WHERE id = ?", []any{1 + rng.Int64N(next)}},
				{"INSERT INTO events VALUES (?, 'x') ON DUPLICATE KEY UPDATE kind = CONCAT(kind, 'y')", []any{rng.IntN(500)}},
			}
			for _, s := range stmts[:1+rng.IntN(len(stmts))] {
				if _, err := tx.ExecContext(ctx, s.sql, s.args...); err != nil {
					t.Error(err)
					_ = tx.Rollback()
					return
				}
			}
			if err := tx.Commit(); err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
			if i%50 == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	})

	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 3 {
		p := startMySQLPipeline(t, bin, src.URL, dst.DSN, "--snapshot")
		time.Sleep(time.Duration(700+rng.IntN(2500)) * time.Millisecond)
		p.kill()
		t.Logf("round %d: killed all three after %d source transactions", round, writes.Load())
	}
	stop.Store(true)
	wg.Wait()
	fence := masterStatus(t, db)
	// A transaction after the fence, as a cutover writes one: it must not
	// reach the target.
	src.Exec(t, "INSERT INTO events VALUES (100000, 'after the fence')")
	p := startMySQLPipeline(t, bin, src.URL, dst.DSN, "--snapshot", "--until", fence)
	p.wait(t)
	t.Logf("source transactions: %d, fence %s\n%s", writes.Load(), fence, lastLines(p.stderr.String(), 8))

	src.Exec(t, "DELETE FROM events WHERE id = 100000")
	dc := connect(t, dst.DSN)
	queries := map[string][2]string{
		"accounts": {"SELECT id, name, COALESCE(doc, 'NULL'), CAST(balance AS CHAR), flags FROM accounts x ORDER BY x.id",
			"SELECT id::text, name, COALESCE(doc, 'NULL'), balance::text, flags::text FROM accounts x ORDER BY x.id"},
		"orders": {"SELECT id, account, CAST(amount AS CHAR), DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f') FROM orders ORDER BY id",
			"SELECT id::text, account::text, amount::text, to_char(at, 'YYYY-MM-DD HH24:MI:SS.US') FROM orders x ORDER BY x.id"},
		"events": {"SELECT id, kind FROM events ORDER BY id", "SELECT id::text, kind FROM events x ORDER BY x.id"},
	}
	for table, q := range queries {
		a := mysqlRows(t, db, q[0])
		rows, err := dc.Query(context.Background(), q[1])
		if err != nil {
			t.Fatal(err)
		}
		var b []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, fmt.Sprint(vals...))
		}
		rows.Close()
		if diff := firstDiff(a, b); diff != "" {
			t.Errorf("table %s: source %d rows, target %d: %s", table, len(a), len(b), diff)
		} else {
			t.Logf("table %s: %d rows equal", table, len(a))
		}
	}
}

func openSQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db
}

func masterStatus(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("SHOW MASTER STATUS: no binlog")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	return string(vals[0]) + ":" + string(vals[1])
}

func mysqlRows(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []any
		for _, v := range vals {
			parts = append(parts, v.String)
		}
		out = append(out, fmt.Sprint(parts...))
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d: source %q, target %q", i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("row counts %d and %d", len(a), len(b))
	}
	return ""
}

// TestMeasureMySQL measures MariaDB → PostgreSQL: the apply rate of a
// backlog, and the lag at light load (DBMIG_MEASURE=1).
func TestMeasureMySQL(t *testing.T) {
	if os.Getenv("DBMIG_MEASURE") == "" {
		t.Skip("DBMIG_MEASURE=1 measures")
	}
	bin := buildMySQLBinaries(t)
	src, dst := testdb.MySQL(t), testdb.Postgres(t)
	src.Exec(t, "CREATE TABLE m (id int PRIMARY KEY, v int, s varchar(40))")
	dst.Exec(t, "CREATE TABLE m (id int PRIMARY KEY, v int, s varchar(40))")
	db := openSQL(t, src.DSN)
	from := masterStatus(t, db)
	for i := range 20 { // 100k inserts in 20 transactions, 100k updates in 100
		src.Exec(t, fmt.Sprintf("INSERT INTO m SELECT seq, seq, MD5(seq) FROM seq_%d_to_%d", i*5000+1, (i+1)*5000))
	}
	for i := range 100 {
		src.Exec(t, fmt.Sprintf("UPDATE m SET v = v + 1 WHERE id BETWEEN %d AND %d", i*1000+1, (i+1)*1000))
	}
	fence := masterStatus(t, db)
	start := time.Now()
	p := startMySQLPipeline(t, bin, src.URL, dst.DSN, "--from", from, "--until", fence)
	p.wait(t)
	el := time.Since(start)
	t.Logf("backlog: 200000 row changes applied in %v (%.0f changes/s, process start included)", el.Round(time.Millisecond), 200000/el.Seconds())

	// Light load: one small transaction every 200 ms for 6 s.
	p = startMySQLPipeline(t, bin, src.URL, dst.DSN)
	time.Sleep(time.Second)
	var lags []time.Duration
	dc := connect(t, dst.DSN)
	for i := range 30 {
		id := 200001 + i
		if _, err := db.Exec("INSERT INTO m VALUES (?, 1, 'x')", id); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		for {
			var n int
			if err := dc.QueryRow(context.Background(), "SELECT count(*) FROM m WHERE id = $1", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				lags = append(lags, time.Since(at))
				break
			}
			if time.Since(at) > 10*time.Second {
				t.Fatalf("row %d not applied in 10s\n%s", id, p.stderr.String())
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
	t.Logf("light load: mean %v from source commit to visible on the target (%d transactions)", (sum / time.Duration(len(lags))).Round(time.Millisecond), len(lags))
}
