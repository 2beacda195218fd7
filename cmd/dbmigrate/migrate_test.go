package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/migrate"
)

// buildBinary builds dbmigrate into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dbmigrate")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func pgInt(t *testing.T, dsn, q string) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int64
	if err := c.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestMigrateBinaryKilled runs the dbmigrate binary while the source
// changes, SIGKILLs it during the copy and during change capture, reruns
// it, then cuts over and validates with the binary.
func TestMigrateBinaryKilled(t *testing.T) {
	bin := buildBinary(t)
	src, dst := testdb.Postgres(t), testdb.Postgres(t)
	src.Exec(t, `CREATE TABLE items (id bigserial PRIMARY KEY, v int NOT NULL, note text)`,
		`INSERT INTO items (v, note) SELECT g, repeat('x', 100) || g FROM generate_series(1, 200000) g`,
		`CREATE TABLE small (k text PRIMARY KEY, n int)`, `INSERT INTO small SELECT 'k' || g, g FROM generate_series(1, 100) g`)
	state := t.TempDir()
	st, err := migrate.OpenState(state)
	if err != nil {
		t.Fatal(err)
	}
	slot := "b_" + strings.ReplaceAll(strings.ToLower(src.Database), "-", "_")
	if len(slot) > 60 {
		slot = slot[:60]
	}

	var writes atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := context.Background()
		c, err := pgx.Connect(ctx, src.DSN)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close(ctx)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			q := fmt.Sprintf("INSERT INTO items (v, note) VALUES (%d, 'live')", i)
			if i%2 == 1 {
				q = fmt.Sprintf("UPDATE items SET v = -v WHERE id = %d", 1+(i*7919)%200000)
			}
			if _, err := c.Exec(ctx, q); err != nil {
				t.Error(err)
				return
			}
			writes.Add(1)
			time.Sleep(3 * time.Millisecond)
		}
	}()

	var stderr bytes.Buffer
	var mu sync.Mutex
	start := func() (*exec.Cmd, chan error) {
		cmd := exec.Command(bin, "migrate", "--source", src.DSN, "--target", dst.DSN, "--state", state, "--slot", slot, "--log-level", "warn")
		cmd.Stderr = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stderr.Write(p) })
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, done
	}
	waitFor := func(what string, done chan error, cond func(migrate.Progress) bool) migrate.Progress {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			p, err := st.Progress()
			if err == nil && cond(p) {
				return p
			}
			select {
			case err := <-done:
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("waiting for %s: dbmigrate exited: %v\n%s", what, err, stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: progress %+v", what, p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	kill := func(cmd *exec.Cmd, done chan error) {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}

	// 1. Killed during the copy: the snapshot is taken again.
	t0 := time.Now()
	cmd, done := start()
	waitFor("the copy", done, func(p migrate.Progress) bool { return p.Phase == migrate.PhaseSnapshot && p.PID == cmd.Process.Pid })
	time.Sleep(150 * time.Millisecond)
	kill(cmd, done)

	// 2. Rerun: the copy completes; killed while streaming changes.
	cmd, done = start()
	p := waitFor("streaming", done, func(p migrate.Progress) bool { return p.Phase == migrate.PhaseStreaming && p.PID == cmd.Process.Pid })
	t.Logf("copy after a kill: %d rows in %.2fs (%.1f MB/s), whole run %s", p.Rows, p.CopySeconds, p.MBPerSec, time.Since(t0).Round(time.Millisecond))
	chunks := pgInt(t, dst.DSN, "SELECT count(*) FROM dbmig.load_chunks")
	loadedAt := pgInt(t, dst.DSN, "SELECT extract(epoch FROM max(loaded_at))::bigint * 1000000 + extract(microseconds FROM max(loaded_at))::bigint FROM dbmig.load_chunks")
	time.Sleep(700 * time.Millisecond)
	kill(cmd, done)

	// 3. Rerun: resumes from the target's checkpoint, no chunk copied again.
	cmd, done = start()
	p = waitFor("streaming again", done, func(p migrate.Progress) bool {
		return p.Phase == migrate.PhaseStreaming && p.PID == cmd.Process.Pid && p.Changes > 0
	})
	if p.ChunksDone != 0 || pgInt(t, dst.DSN, "SELECT count(*) FROM dbmig.load_chunks") != chunks ||
		pgInt(t, dst.DSN, "SELECT extract(epoch FROM max(loaded_at))::bigint * 1000000 + extract(microseconds FROM max(loaded_at))::bigint FROM dbmig.load_chunks") != loadedAt {
		t.Errorf("chunks copied again after a kill during change capture: progress %+v, load_chunks %d before", p, chunks)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	// 4. Cutover with the binary, while migrate runs.
	out, err := exec.Command(bin, "cutover", "--state", state, "--read-only-source", "--max-lag", "1s", "--json", "--log-level", "warn").Output()
	if err != nil {
		mu.Lock()
		t.Fatalf("cutover: %v\n%s\nmigrate stderr:\n%s", err, errText(err), stderr.String())
	}
	var res migrate.CutoverResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("cutover output: %v\n%s", err, out)
	}
	t.Logf("cutover: write freeze %.3fs, fence %s, %d source writes, sequences %+v", res.WriteFreezeSeconds, res.Fence, writes.Load(), res.Sequences)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("migrate after the fence: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("migrate did not exit at the fence")
	}
	if res.Validation == nil || !res.Validation.Equal || res.DrainedBy != "migrate" {
		t.Errorf("cutover result: %s", out)
	}
	if out, err := exec.Command(bin, "validate", "--state", state, "--log-level", "warn").Output(); err != nil {
		t.Errorf("validate: %v\n%s%s", err, out, errText(err))
	}
	out, err = exec.Command(bin, "status", "--state", state, "--json").Output()
	var s struct {
		Running  bool
		Progress struct{ Phase, Fence string }
	}
	if err != nil || json.Unmarshal(out, &s) != nil || s.Running || s.Progress.Phase != migrate.PhaseFenced || s.Progress.Fence != res.Fence {
		t.Errorf("status --json: %v\n%s", err, out)
	}
	if text, err := exec.Command(bin, "status", "--state", state).Output(); err != nil || !strings.Contains(string(text), "write freeze") {
		t.Errorf("status: %v\n%s", err, text)
	}
}

func errText(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
