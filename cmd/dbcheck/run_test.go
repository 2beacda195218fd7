package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/internal/testdb"
)

// TestMain clears the environment variables the flags read, so a
// developer's settings do not change what the tests see.
func TestMain(m *testing.M) {
	for _, f := range newEnv(nil, nil, nil).app().Flags {
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
			for _, name := range ev.GetEnvVars() {
				_ = os.Unsetenv(name)
			}
		}
	}
	os.Exit(testdb.Main(m))
}

func runCheck(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := run(ctx, append([]string{"dbcheck", "--log-level=error"}, args...), strings.NewReader(""), &out, &errb)
	command.Report(&errb, "dbcheck", err)
	return command.ExitCode(err), out.String(), errb.String()
}

// Exit statuses as diff(1): 0 equal, 1 differences, 2 trouble.
func TestExitStatus(t *testing.T) {
	dbA, dbB := testdb.Postgres(t), testdb.Postgres(t)
	const table = `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;`
	dbA.Exec(t, table)
	dbB.Exec(t, table)

	code, out, errs := runCheck(t, dbA.DSN, dbB.DSN)
	// Both servers are on this host: auto streams rows rather than push digests down.
	if code != 0 || !strings.Contains(out, "public.t: equal (rows A 1000, B 1000; stream") || errs != "" {
		t.Errorf("equal: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	dbB.Exec(t, `UPDATE t SET v = 'changed' WHERE id = 7`)
	code, out, errs = runCheck(t, "--mode", "stream", dbA.DSN, dbB.DSN)
	if code != 1 || !strings.Contains(out, "public.t  id=7  changed     v       v7  changed") || errs != "" {
		t.Errorf("different: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runCheck(t, "--json", dbA.DSN, dbB.DSN)
	var rep struct {
		Equal  bool
		Tables []struct {
			Rows []struct {
				Kind string
				Key  map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.Equal || len(rep.Tables) != 1 ||
		len(rep.Tables[0].Rows) != 1 || rep.Tables[0].Rows[0].Key["id"] != "7" {
		t.Errorf("--json: exit %d, %v, %s", code, err, out)
	}

	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{dbA.DSN}, "want two arguments"},
		{[]string{"mysql://u:hunter22@127.0.0.1:1/db", dbB.DSN}, "connection refused"},
		{[]string{"postgres://app:hunter22@127.0.0.1:1/x", dbB.DSN}, "connection refused"},
		{[]string{"--mode", "fast", dbA.DSN, dbB.DSN}, "want auto, pushdown or stream"},
		{[]string{"no-such.arrows", dbB.DSN}, "no-such.arrows"},
	} {
		code, _, errs := runCheck(t, tc.args...)
		if code != 2 || !strings.Contains(errs, tc.err) || strings.Contains(errs, "hunter22") {
			t.Errorf("%q: exit %d, stderr %q", tc.args, code, errs)
		}
	}
}

// mysql:// URLs work on either side; two MySQL servers compare by pushdown.
func TestMySQLSides(t *testing.T) {
	ma, mb := testdb.MySQL(t), testdb.MySQL(t)
	if ma.URL == "" || mb.URL == "" {
		t.Skip("the MySQL test server has no URL (unix socket)")
	}
	for _, m := range []*testdb.MySQLDB{ma, mb} {
		m.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, v varchar(10))", "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')")
	}
	code, out, errs := runCheck(t, ma.URL, mb.URL)
	if code != 0 || !strings.Contains(out, ": equal (rows A 3, B 3; pushdown") || errs != "" {
		t.Errorf("equal: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	mb.Exec(t, "UPDATE t SET v = 'B' WHERE id = 2")
	code, out, errs = runCheck(t, "--mode", "stream", ma.URL, mb.URL)
	if code != 1 || !strings.Contains(out, "id=2  changed     v       b  B") || errs != "" {
		t.Errorf("different: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
