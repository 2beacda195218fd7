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

	"github.com/jackc/pgx/v5"

	"github.com/dbmig/dbmig/checksum/compare"
	mysqlside "github.com/dbmig/dbmig/checksum/mysql"
	pgside "github.com/dbmig/dbmig/checksum/postgres"
	"github.com/dbmig/dbmig/internal/testdb"
)

// buildPipelineBinaries builds dbcdc, dbconvert and dbload: the fault test
// kills real processes.
func buildPipelineBinaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir+"/", "../dbcdc", "../dbconvert", "../dbload").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// pgToMySQL is dbcdc | dbconvert --to mysql | dbload --apply, joined by
// pipes, confirming the slot through an ack file.
type pgToMySQL struct {
	cmds   []*exec.Cmd
	stderr *lockedBuilder
}

type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startPGToMySQL starts the pipeline; dbcdc reads what the target holds
// from ackFrom (the ack file dbload writes, or the target's DSN).
func startPGToMySQL(t *testing.T, bin, src, dst, slot, ack, ackFrom string, extra ...string) *pgToMySQL {
	t.Helper()
	p := &pgToMySQL{stderr: &lockedBuilder{}, cmds: []*exec.Cmd{
		exec.Command(filepath.Join(bin, "dbcdc"), append([]string{"--snapshot", "--slot", slot, "--ack-from", ackFrom,
			"--window", "200ms", "--heartbeat", "500ms", "--compression", "lz4", src}, extra...)...),
		exec.Command(filepath.Join(bin, "dbconvert"), "--to", "mysql", "--compression", "lz4"),
		exec.Command(filepath.Join(bin, "dbload"), "--apply", "--create", "--ack-file", ack, "--lag-every", "2s", dst),
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
		c.Stderr = p.stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *pgToMySQL) kill() {
	for _, c := range p.cmds {
		_ = c.Process.Signal(syscall.SIGKILL)
	}
	for _, c := range p.cmds {
		_ = c.Wait()
	}
}

func (p *pgToMySQL) wait(t *testing.T) {
	t.Helper()
	timer := time.AfterFunc(60*time.Second, func() {
		for _, c := range p.cmds {
			_ = c.Process.Signal(syscall.SIGQUIT) // goroutine dumps say where it hangs
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

// TestApplyPostgresToMySQLExactlyOnce runs dbcdc --snapshot on PostgreSQL |
// dbconvert --to mysql | dbload --apply --create on MariaDB while a writer
// changes three tables (multi-table transactions, updates next to an
// unchanged TOASTed value, deletes, a truncate), kills the three processes
// at random moments and restarts them, then stops at a fence and compares
// every table with the checksum comparer.
func TestApplyPostgresToMySQLExactlyOnce(t *testing.T) {
	bin := buildPipelineBinaries(t)
	src, dst := testdb.Postgres(t), testdb.MySQL(t)
	if dst.URL == "" {
		t.Skip("the MySQL test server has no URL (unix socket)")
	}
	slot := "t_" + strings.ReplaceAll(strings.ToLower(src.Database), "-", "_")
	if len(slot) > 60 {
		slot = slot[:60]
	}
	ctx := context.Background()
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, src.DSN)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, slot)
	})
	src.Exec(t, `
CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL, doc text, balance numeric(12,2));
ALTER TABLE accounts ALTER doc SET STORAGE EXTERNAL;
CREATE TABLE orders (id bigint PRIMARY KEY, account int REFERENCES accounts, amount numeric(12,2), at timestamptz DEFAULT now());
CREATE TABLE events (id int PRIMARY KEY, kind text);
INSERT INTO accounts SELECT g, 'a' || g, repeat(md5(g::text), 200), g FROM generate_series(1, 300) g;
INSERT INTO orders SELECT g, 1 + g % 300, g / 10.0 FROM generate_series(1, 2000) g;
INSERT INTO events SELECT g, 'k' FROM generate_series(1, 100) g;`)
	sc, err := pgx.Connect(ctx, src.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close(ctx)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Go(func() {
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
					_ = tx.Rollback(ctx)
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

	ack := filepath.Join(t.TempDir(), "ack.json")
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 2 {
		p := startPGToMySQL(t, bin, src.DSN, dst.URL, slot, ack, ack)
		time.Sleep(time.Duration(800+rng.IntN(2500)) * time.Millisecond)
		p.kill()
		t.Logf("round %d: killed all three after %d source transactions", round, writes.Load())
	}
	stop.Store(true)
	wg.Wait()
	var fence string
	if err := sc.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&fence); err != nil {
		t.Fatal(err)
	}
	// A transaction after the fence, as a cutover writes one: dbcdc stops
	// when it sees it.
	src.Exec(t, `INSERT INTO events VALUES (100000, 'after the fence')`)
	// The last run reads the target's checkpoint row itself (--ack-from
	// mysql://...) instead of the ack file.
	p := startPGToMySQL(t, bin, src.DSN, dst.URL, slot, ack, dst.URL, "--until", fence)
	p.wait(t)
	t.Logf("source transactions: %d", writes.Load())
	if testing.Verbose() {
		t.Log(p.stderr.String())
	}
	src.Exec(t, `DELETE FROM events WHERE id = 100000`)

	a, err := pgside.Open(ctx, pgside.Config{DSN: src.DSN, Name: "source"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := mysqlside.Open(ctx, mysqlside.Config{DSN: dst.URL, Name: "target"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rep, err := compare.Compare(ctx, a, b, compare.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Rows only: MySQL adds an index for each foreign key, a schema
	// difference the comparer reports.
	rowsEqual := len(rep.Tables) == 3
	for _, tr := range rep.Tables {
		rowsEqual = rowsEqual && len(tr.Rows) == 0 && tr.MoreRows == 0 && !tr.Differs && tr.RowsA == tr.RowsB && tr.RowsA > 0
	}
	if !rowsEqual {
		var out strings.Builder
		_ = rep.WriteText(&out)
		t.Errorf("source and target rows differ (%d tables):\n%s", len(rep.Tables), out.String())
	}
}
