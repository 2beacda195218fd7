package main

import (
	"context"
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

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// buildBinaries builds dbcdc and dbload into a temporary directory: the
// fault tests kill real processes.
func buildBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir+"/", "../dbcdc", "../dbload").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// pipeline is dbcdc | dbload --apply as two processes joined by a pipe.
type pipeline struct {
	cdc, load *exec.Cmd
	stderr    *strings.Builder
}

func startPipeline(t *testing.T, bin, src, dst, slot string, extra ...string) *pipeline {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	var mu sync.Mutex
	errw := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })
	args := append([]string{"--snapshot", "--slot", slot, "--ack-from", dst, "--window", "200ms", "--heartbeat", "500ms", src}, extra...)
	p := &pipeline{stderr: &stderr}
	p.cdc = exec.Command(filepath.Join(bin, "dbcdc"), args...)
	p.cdc.Stdout, p.cdc.Stderr = w, errw
	p.load = exec.Command(filepath.Join(bin, "dbload"), "--apply", "--create", "--lag-every", "2s", dst)
	p.load.Stdin, p.load.Stderr = r, errw
	if err := p.cdc.Start(); err != nil {
		t.Fatal(err)
	}
	if err := p.load.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	return p
}

func (p *pipeline) kill() {
	_ = p.cdc.Process.Kill()
	_ = p.load.Process.Kill()
	_ = p.cdc.Wait()
	_ = p.load.Wait()
}

func (p *pipeline) wait(t *testing.T) {
	t.Helper()
	timer := time.AfterFunc(90*time.Second, func() {
		// Goroutine dumps say where it hangs.
		_ = p.cdc.Process.Signal(syscall.SIGQUIT)
		_ = p.load.Process.Signal(syscall.SIGQUIT)
		time.Sleep(time.Second)
		t.Errorf("pipeline did not finish in 90s")
		_ = p.cdc.Process.Kill()
		_ = p.load.Process.Kill()
	})
	defer timer.Stop()
	errc, errl := p.cdc.Wait(), p.load.Wait()
	if errc != nil || errl != nil {
		t.Fatalf("pipeline: dbcdc %v, dbload %v\n%s", errc, errl, p.stderr.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// digest is an order-independent-of-storage digest of a table's rows.
func digest(t *testing.T, c *pgx.Conn, table string) string {
	t.Helper()
	var n int64
	var d *string
	if err := c.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*), md5(string_agg(x::text, '|' ORDER BY x.id)) FROM %s x`, table)).Scan(&n, &d); err != nil {
		t.Fatalf("digest %s: %v", table, err)
	}
	if d == nil {
		return fmt.Sprintf("%d:-", n)
	}
	return fmt.Sprintf("%d:%s", n, *d)
}

// TestLiveCopyExactlyOnce runs dbcdc --snapshot | dbload --apply --create
// while a writer changes three tables (multi-table transactions, updates of
// a column next to an unchanged TOASTed value, deletes, a truncate), kills
// both processes at random moments and restarts them, then stops at a fence
// and compares every table row by row.
func TestLiveCopyExactlyOnce(t *testing.T) {
	bin := buildBinaries(t)
	src, dst := testdb.Postgres(t), testdb.Postgres(t)
	slot := "t_" + strings.ReplaceAll(strings.ToLower(src.Database), "-", "_")
	if len(slot) > 60 {
		slot = slot[:60]
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), src.DSN)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, slot)
	})
	src.Exec(t, `
CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, doc text, balance numeric(12,2));
ALTER TABLE accounts ALTER doc SET STORAGE EXTERNAL;
CREATE TABLE orders (id bigint PRIMARY KEY, account int REFERENCES accounts, amount numeric(12,2), at timestamptz DEFAULT now());
CREATE TABLE events (id int PRIMARY KEY, kind text);
INSERT INTO accounts SELECT g, 'a' || g, repeat(md5(g::text), 200), g FROM generate_series(1, 300) g;
INSERT INTO orders SELECT g, 1 + g % 300, g / 10.0 FROM generate_series(1, 2000) g;
INSERT INTO events SELECT g, 'k' FROM generate_series(1, 100) g;`)

	sc := connect(t, src.DSN)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(1, 2))
		next := int64(100000)
		for i := 0; !stop.Load(); i++ {
			tx, err := sc.Begin(ctx)
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
				{`INSERT INTO orders (id, account, amount) VALUES ($1, $2, $3)`, []any{next, acc, rng.IntN(10000)}},
				{`UPDATE accounts SET balance = balance + 1, name = name || '.' WHERE id = $1`, []any{acc}}, // doc is TOASTed and unchanged
				{`DELETE FROM orders WHERE id = $1`, []any{1 + rng.Int64N(next)}},
				{`UPDATE orders SET amount = amount + 1 WHERE id = $1`, []any{1 + rng.Int64N(next)}},
				{`INSERT INTO events VALUES ($1, 'x') ON CONFLICT (id) DO UPDATE SET kind = events.kind || 'y'`, []any{rng.IntN(500)}},
			}
			for _, s := range stmts[:1+rng.IntN(len(stmts))] {
				if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
					t.Error(err)
					tx.Rollback(ctx)
					return
				}
			}
			if i%500 == 250 {
				if _, err := tx.Exec(ctx, `TRUNCATE events`); err != nil {
					t.Error(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
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
		p := startPipeline(t, bin, src.DSN, dst.DSN, slot)
		time.Sleep(time.Duration(500+rng.IntN(2500)) * time.Millisecond)
		p.kill()
		t.Logf("round %d: killed both after %d source transactions", round, writes.Load())
	}
	stop.Store(true)
	wg.Wait()
	var fence string
	if err := sc.QueryRow(context.Background(), `SELECT pg_current_wal_insert_lsn()::text`).Scan(&fence); err != nil {
		t.Fatal(err)
	}
	// A transaction after the fence, as a cutover writes one: dbcdc stops
	// when it sees it begin.
	src.Exec(t, `CREATE TABLE after_fence (id int PRIMARY KEY)`, `INSERT INTO after_fence VALUES (1)`)
	p := startPipeline(t, bin, src.DSN, dst.DSN, slot, "--until", fence)
	p.wait(t)
	t.Logf("source transactions: %d\n%s", writes.Load(), lastLines(p.stderr.String(), 6))

	dc := connect(t, dst.DSN)
	for _, table := range []string{"accounts", "orders", "events"} {
		if a, b := digest(t, sc, table), digest(t, dc, table); a != b {
			t.Errorf("table %s differs: source %s, target %s\n%s", table, a, b, diffRows(t, sc, dc, table))
		}
	}
	var nulls int
	if err := dc.QueryRow(context.Background(), `SELECT count(*) FROM accounts WHERE doc IS NULL`).Scan(&nulls); err != nil || nulls != 0 {
		t.Errorf("unchanged TOAST values lost: %d NULL docs (%v)", nulls, err)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func rowsOf(t *testing.T, c *pgx.Conn, table string) map[string]string {
	rows, err := c.Query(context.Background(), fmt.Sprintf(`SELECT x.id::text, left(x::text, 120) FROM %s x`, table))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var id, v string
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error { out[id] = v; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffRows(t *testing.T, a, b *pgx.Conn, table string) string {
	ra, rb := rowsOf(t, a, table), rowsOf(t, b, table)
	var out []string
	for id, v := range ra {
		if rb[id] != v && len(out) < 6 {
			out = append(out, fmt.Sprintf("  id %s: source %q target %q", id, v, rb[id]))
		}
	}
	for id, v := range rb {
		if _, ok := ra[id]; !ok && len(out) < 10 {
			out = append(out, fmt.Sprintf("  id %s: only in target %q", id, v))
		}
	}
	return strings.Join(out, "\n")
}
