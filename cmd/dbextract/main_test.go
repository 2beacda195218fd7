package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbmig/dbmig/internal/testdb"
)

// buildBinaries builds the real dbextract and dbload into a temporary
// directory and returns it.
func buildBinaries(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binaries with")
	}
	dir := t.TempDir()
	cmd := exec.Command(goBin, "build", "-o", dir+"/", ".", "../dbload")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running the binary: %v", err)
	return -1
}

func TestBinary(t *testing.T) {
	dir := buildBinaries(t)
	dbextract, dbload := filepath.Join(dir, "dbextract"), filepath.Join(dir, "dbload")
	runBin := func(args ...string) (code int, stdout, stderr string) {
		cmd := exec.Command(dbextract, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb // a pipe, not a terminal
		return exitCode(t, cmd.Run()), out.String(), errb.String()
	}

	t.Run("mysql", func(t *testing.T) {
		db := testdb.MySQL(t)
		db.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, s varchar(10))", "INSERT INTO t VALUES (1, 'a'), (2, 'b')")
		code, stdout, stderr := runBin(db.URL, "--compression", "lz4")
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if rows := readStream(t, []byte(stdout)); rows != 2 {
			t.Errorf("%d rows in the stream", rows)
		}
	})
	t.Run("bad compression", func(t *testing.T) {
		code, _, stderr := runBin("postgres://h/db", "--compression", "brotli")
		if code != 2 || !strings.HasPrefix(stderr, `dbextract: invalid value "brotli" for flag -compression: want none, lz4 or zstd`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		for _, dsn := range []string{
			"postgres://app:hunter22@127.0.0.1:1/shop",
			"host=127.0.0.1 port=1 user=app password=hunter22 dbname=shop",
		} {
			code, stdout, stderr := runBin("--log-level=error", dsn)
			if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "dbextract: ") ||
				!strings.Contains(stderr, "connection refused") || stdout != "" {
				t.Errorf("%s: exit %d, stderr %q", dsn, code, stderr)
			}
			// With the default log level the DSN is logged too, redacted.
			_, _, stderr = runBin(dsn)
			if strings.Contains(stderr, "hunter22") || !strings.Contains(stderr, "xxxxx") {
				t.Errorf("%s: password shown, or the DSN not logged: %q", dsn, stderr)
			}
		}
	})
	t.Run("failed extract into dbload", func(t *testing.T) {
		ex := exec.Command(dbextract, "--log-level=error", "postgres://app:hunter22@127.0.0.1:1/shop")
		ld := exec.Command(dbload, "--log-level=error", "--create", "postgres://app:hunter22@127.0.0.1:1/copy")
		pipe, err := ex.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		ld.Stdin = pipe
		var exErr, ldErr bytes.Buffer
		ex.Stderr, ld.Stderr = &exErr, &ldErr
		if err := ex.Start(); err != nil {
			t.Fatal(err)
		}
		if err := ld.Start(); err != nil {
			t.Fatal(err)
		}
		exCode, ldCode := exitCode(t, ex.Wait()), exitCode(t, ld.Wait())
		if exCode != 1 || !strings.Contains(exErr.String(), "connection refused") {
			t.Errorf("dbextract: exit %d, stderr %q", exCode, exErr.String())
		}
		// dbload names the upstream as the likely culprit, and never
		// reached its target (a connection error would say so).
		if ldCode != 1 || ldErr.String() != "dbload: stream segment 0 at byte offset 0: empty input: no stream (did the upstream command fail?)\n" {
			t.Errorf("dbload: exit %d, stderr %q", ldCode, ldErr.String())
		}
	})
}
