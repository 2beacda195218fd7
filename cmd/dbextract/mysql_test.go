package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/readers/mysql"
)

// runMySQL runs dbextract with the MySQL reader replaced by fake (or the
// real one when fake is nil) and returns the config it got.
func runMySQL(t *testing.T, fake extractMySQL, args ...string) (result, mysql.Config) {
	t.Helper()
	var res result
	var got mysql.Config
	var stdout, stderr bytes.Buffer
	e := newEnv(&stdout, &stderr)
	e.isTerminal = func(any) bool { return false }
	real := e.extractMySQL
	e.extractMySQL = func(ctx context.Context, cfg mysql.Config, w *format.Writer) (mysql.Stats, error) {
		got, res.called = cfg, true
		if fake == nil {
			return real(ctx, cfg, w)
		}
		return fake(ctx, cfg, w)
	}
	res.err = command.Run(t.Context(), e.app(), append([]string{"dbextract"}, args...))
	command.Report(&stderr, "dbextract", res.err)
	res.code = command.ExitCode(res.err)
	res.stdout, res.stderr = stdout.String(), stderr.String()
	return res, got
}

func TestMySQLFlags(t *testing.T) {
	none := func(context.Context, mysql.Config, *format.Writer) (mysql.Stats, error) { return mysql.Stats{}, nil }
	res, cfg := runMySQL(t, none, "mysql://app@db1/shop", "--tables", "a,b*", "--exclude", "c", "-j", "3",
		"--chunk-size", "1MiB", "--batch-rows", "10", "--batch-size", "2MiB", "--unsupported", "text")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if cfg.DSN != "mysql://app@db1/shop" || strings.Join(cfg.Tables, "|") != "a|b*" || strings.Join(cfg.Exclude, "|") != "c" ||
		cfg.Parallel != 3 || cfg.ChunkBytes != 1<<20 || cfg.BatchRows != 10 || cfg.BatchBytes != 2<<20 || cfg.Unsupported != "text" {
		t.Errorf("config %+v", cfg)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--snapshot", "x"}, "--snapshot names a PostgreSQL exported snapshot"},
		{[]string{"--numeric", "text"}, "--numeric=text is for PostgreSQL sources"},
		{[]string{"--split-by", "ctid"}, "--split-by ctid is for PostgreSQL sources"},
	} {
		res, _ := runMySQL(t, none, append([]string{"mysql://app@db1/shop"}, c.args...)...)
		if res.code != 2 || !strings.Contains(res.stderr, c.want) || res.called {
			t.Errorf("%v: exit %d, stderr %q", c.args, res.code, res.stderr)
		}
	}
}

func TestMySQLErrorsRedacted(t *testing.T) {
	t.Setenv("MYSQL_PWD", "s3cret-env")
	fail := func(_ context.Context, cfg mysql.Config, _ *format.Writer) (mysql.Stats, error) {
		return mysql.Stats{}, fmt.Errorf("connect %s: Access denied (password s3cret-env, hunter22)", cfg.DSN)
	}
	res, _ := runMySQL(t, fail, "mysql://app:hunter22@db1/shop")
	if res.code != 1 || strings.Contains(res.stderr, "hunter22") || strings.Contains(res.stderr, "s3cret-env") ||
		!strings.Contains(res.stderr, "mysql://app:xxxxx@db1/shop") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestMySQLExtract(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, "CREATE TABLE a (id int PRIMARY KEY, s varchar(10))", "INSERT INTO a VALUES (1, 'x'), (2, 'y')",
		"CREATE TABLE b (k varchar(5) PRIMARY KEY)", "INSERT INTO b VALUES ('k')", "CREATE VIEW v AS SELECT id FROM a")
	res, _ := runMySQL(t, nil, db.URL, "--exclude", "b", "--compression", "none")
	if res.code != 0 {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
	if rows := readStream(t, []byte(res.stdout)); rows != 2 {
		t.Errorf("%d rows", rows)
	}
	res, _ = runMySQL(t, nil, strings.Replace(db.URL, "/t_", "/nosuchdb_", 1))
	if res.code != 1 || !strings.Contains(res.stderr, "nosuchdb_") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
	if errors.Is(res.err, context.Canceled) {
		t.Error("cancelled?")
	}
}
