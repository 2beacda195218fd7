// Package examples runs the README's pipelines with the real binaries
// against real servers, the way a user runs them: a shell, pipes, files,
// signals.
package examples

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	code := testdb.Main(m)
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// bin builds the commands once per test run and returns their directory.
func bin(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "dbmig-bin-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+"/", "../cmd/...").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// sh runs a bash script with the binaries first on PATH; it returns stdout,
// stderr and the exit status.
func sh(t *testing.T, script string) (string, string, int) {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -o pipefail\n"+script)
	cmd.Env = append(os.Environ(), "PATH="+bin(t)+":"+os.Getenv("PATH"), "DBMIG_LOG_LEVEL=warn")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func mustSh(t *testing.T, script string) string {
	t.Helper()
	out, errs, code := sh(t, script)
	if code != 0 {
		t.Fatalf("exit %d\n%s\nstderr:\n%s", code, script, errs)
	}
	return out
}

func query(t *testing.T, dsn, sql string, dest ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// tableSums returns "count md5" of each table, rows in key order.
func tableSums(t *testing.T, dsn string, tables map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for tbl, key := range tables {
		var n int64
		var sum string
		query(t, dsn, fmt.Sprintf("SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY %s)), '') FROM %s x", key, tbl), &n, &sum)
		out[tbl] = fmt.Sprintf("%d %s", n, sum)
	}
	return out
}

var demoTables = map[string]string{"customers": "id", "products": "id", "orders": "id", "order_items": "order_id, line_no", "events": "id"}

// The README's first pipeline, on the demo's sample database.
func TestPipeCopyCreate(t *testing.T) {
	src, dst := testdb.Postgres(t), testdb.Postgres(t)
	mustSh(t, fmt.Sprintf(`psql -X -q -v ON_ERROR_STOP=1 -v rows=20000 %q -f ../scripts/demo.sql`, src.DSN))
	mustSh(t, fmt.Sprintf(`dbextract %q | dbload --create %q`, src.DSN, dst.DSN))
	want, got := tableSums(t, src.DSN, demoTables), tableSums(t, dst.DSN, demoTables)
	for tbl := range want {
		if want[tbl] != got[tbl] {
			t.Errorf("%s: source %s, target %s", tbl, want[tbl], got[tbl])
		}
	}
}

// bigSource makes a table of about 60 MB, cut into many chunks.
func bigSource(t *testing.T) (*testdb.PG, string) {
	t.Helper()
	src := testdb.Postgres(t)
	src.Exec(t, `CREATE TABLE big (id bigint PRIMARY KEY, n numeric(12,2), at timestamptz, pad text);
INSERT INTO big SELECT g, g / 7.0, '2024-01-01'::timestamptz + g * interval '1 s', repeat(md5(g::text), 4) FROM generate_series(1, 400000) g;
CREATE INDEX big_at ON big (at);`)
	file := filepath.Join(t.TempDir(), "big.arrows")
	mustSh(t, fmt.Sprintf(`dbextract %q --chunk-size 1MB -o %q`, src.DSN, file))
	return src, file
}

// A dbload killed with SIGKILL halfway through, then rerun on the same
// stream file, leaves exactly the source's rows.
func TestKillDuringLoadThenRerun(t *testing.T) {
	src, file := bigSource(t)
	dst := testdb.Postgres(t)
	var total int64
	query(t, src.DSN, "SELECT count(*) FROM big", &total)

	cmd := exec.Command(filepath.Join(bin(t), "dbload"), "--create", "-j", "2", "-i", file, dst.DSN)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Once a few chunks are committed, stall the loader by locking its
	// bookkeeping table (each chunk starts with an insert there), then kill
	// it: the kill lands halfway, however fast the load runs.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dst.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(2 * time.Minute)
	var chunks int64
	for chunks < 5 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no chunk committed in time; dbload said: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
		var exists bool
		// The table is named in its own query: PostgreSQL resolves every
		// name of a statement before running it.
		if err := conn.QueryRow(ctx, "SELECT to_regclass('dbmig.load_chunks') IS NOT NULL").Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists {
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM dbmig.load_chunks").Scan(&chunks); err != nil {
				t.Fatal(err)
			}
		}
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE dbmig.load_chunks IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	var rows, recorded, committed int64
	query(t, dst.DSN, "SELECT (SELECT count(*) FROM big), (SELECT coalesce(sum(rows), 0) FROM dbmig.load_chunks), (SELECT count(*) FROM dbmig.load_chunks)", &rows, &recorded, &committed)
	t.Logf("killed after %d chunks committed: %d of %d rows in the target", committed, rows, total)
	if rows != recorded {
		t.Fatalf("after the kill the target holds %d rows but its committed chunks hold %d: a partial chunk", rows, recorded)
	}
	if rows >= total {
		t.Fatalf("the load finished before the kill (%d rows): make the table bigger", rows)
	}

	_, errs, code := sh(t, fmt.Sprintf(`dbload --create -j 2 -i %q %q`, file, dst.DSN))
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, errs)
	}
	want, got := tableSums(t, src.DSN, map[string]string{"big": "id"}), tableSums(t, dst.DSN, map[string]string{"big": "id"})
	if want["big"] != got["big"] {
		t.Fatalf("after the rerun: source %s, target %s", want["big"], got["big"])
	}
	var idx int
	query(t, dst.DSN, "SELECT count(*) FROM pg_indexes WHERE tablename = 'big'", &idx)
	if idx != 2 {
		t.Errorf("target has %d indexes on big, want 2", idx)
	}
}

// A cut or damaged stream file stops dbload with the segment and byte offset,
// and the target holds only whole chunks.
func TestDamagedStreamFile(t *testing.T) {
	src, file := bigSource(t)
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_ = src
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"truncated", data[:len(data)*3/5]},
		{"corrupted", func() []byte { d := bytes.Clone(data); d[len(d)/2] ^= 0x40; return d }()},
	} {
		t.Run(c.name, func(t *testing.T) {
			dst := testdb.Postgres(t)
			bad := filepath.Join(t.TempDir(), "bad.arrows")
			if err := os.WriteFile(bad, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, errs, code := sh(t, fmt.Sprintf(`dbload --create -i %q %q`, bad, dst.DSN))
			if code != 1 || !strings.Contains(errs, "segment") || !strings.Contains(errs, "byte offset") {
				t.Fatalf("exit %d, stderr %q; want 1 and a message naming segment and byte offset", code, errs)
			}
			t.Log(strings.TrimSpace(errs))
			var rows, recorded int64
			query(t, dst.DSN, "SELECT (SELECT count(*) FROM big), (SELECT coalesce(sum(rows), 0) FROM dbmig.load_chunks)", &rows, &recorded)
			if rows != recorded {
				t.Fatalf("target holds %d rows, its committed chunks %d", rows, recorded)
			}
		})
	}
}

// dbextract into a pipe whose reader goes away exits 141 with one line.
func TestDownstreamClosesPipe(t *testing.T) {
	src, _ := bigSource(t)
	_, errs, code := sh(t, fmt.Sprintf(`dbextract %q | head -c 1000 > /dev/null; exit ${PIPESTATUS[0]}`, src.DSN))
	if code != 141 || !strings.Contains(errs, "downstream closed the pipe") || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
		t.Fatalf("exit %d, stderr %q; want 141 and one line saying downstream closed the pipe", code, errs)
	}
}

// Passwords never appear in messages.
func TestPasswordNotPrinted(t *testing.T) {
	_, errs, code := sh(t, `dbextract 'postgres://app:s3cretpw@127.0.0.1:1/shop' > /dev/null`)
	if code != 1 || strings.Contains(errs, "s3cretpw") || !strings.Contains(errs, "dbextract:") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

// Every type with edge values, 50 MB bytea included, through the binaries:
// the acceptance check of the issue, md5 of every row in key order.
func TestEveryTypeRoundTrip(t *testing.T) {
	src, dst := testdb.Postgres(t), testdb.Postgres(t)
	mustSh(t, fmt.Sprintf(`psql -X -q -v ON_ERROR_STOP=1 %q -f testdata/alltypes.sql`, src.DSN))
	for _, comp := range []string{"zstd", "none"} {
		mustSh(t, fmt.Sprintf(`psql -X -q %q -c 'DROP SCHEMA IF EXISTS app CASCADE; DROP SCHEMA IF EXISTS dbmig CASCADE; DROP TYPE IF EXISTS mood; DROP DOMAIN IF EXISTS posint'`, dst.DSN))
		mustSh(t, fmt.Sprintf(`dbextract %q --compression %s | dbload --create %q`, src.DSN, comp, dst.DSN))
		const q = `SELECT count(*), md5(string_agg(t::text, '|' ORDER BY id)) FROM app.types t`
		var n1, n2 int64
		var s1, s2 string
		query(t, src.DSN, q, &n1, &s1)
		query(t, dst.DSN, q, &n2, &s2)
		t.Logf("%s: %d rows, source md5 %s, target md5 %s", comp, n1, s1, s2)
		if n1 != n2 || s1 != s2 || n1 != 7 {
			t.Fatalf("%s: source %d %s, target %d %s", comp, n1, s1, n2, s2)
		}
	}
}
