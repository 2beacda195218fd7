package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/internal/testdb"
)

// TestLoadMySQL loads a stream into a real MariaDB through dbload's command
// line, with --create, and again (every chunk skipped).
func TestLoadMySQL(t *testing.T) {
	db := testdb.MySQL(t)
	stream := writeStream(t, 3, 500)
	res := runLoad(t, runOpts{stdin: bytes.NewReader(stream)}, "--create", "-j", "3", db.URL)
	if res.err != nil || !strings.Contains(res.stderr, "chunks=3 skipped=0 rows=1500") {
		t.Fatalf("%v\n%s", res.err, res.stderr)
	}
	if got := count(t, db, "SELECT count(DISTINCT id) FROM t"); got != 1500 {
		t.Errorf("%d rows", got)
	}
	res = runLoad(t, runOpts{stdin: bytes.NewReader(stream)}, db.URL, "--create")
	if res.err != nil || !strings.Contains(res.stderr, "chunks=0 skipped=3 rows=0") {
		t.Fatalf("rerun: %v\n%s", res.err, res.stderr)
	}
}

// TestMySQLPassword: the password comes from $MYSQL_PWD when the URL has
// none, and a wrong one in the URL is masked in the error.
func TestMySQLPassword(t *testing.T) {
	db := testdb.MySQL(t)
	user := "u" + db.Database[len(db.Database)-8:]
	db.Exec(t, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'hunter22secret'", user),
		fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%%'", db.Database, user),
		fmt.Sprintf("GRANT ALL ON `dbmig`.* TO '%s'@'%%'", user))
	t.Cleanup(func() { db.Exec(t, fmt.Sprintf("DROP USER '%s'@'%%'", user)) })
	u := url.URL{Scheme: "mysql", User: url.User(user), Host: fmt.Sprintf("%s:%d", db.Host, db.Port), Path: "/" + db.Database}

	t.Setenv("MYSQL_PWD", "hunter22secret")
	res := runLoad(t, runOpts{}, "--create", u.String())
	if res.err != nil || !strings.Contains(res.stderr, "rows=20") {
		t.Fatalf("with MYSQL_PWD: %v\n%s", res.err, res.stderr)
	}

	u.User = url.UserPassword(user, "wrongpass99")
	res = runLoad(t, runOpts{}, u.String())
	if res.code != 1 || strings.Contains(res.stderr, "wrongpass99") || !strings.Contains(res.stderr, "Access denied") {
		t.Errorf("wrong password: exit %d, stderr %q", res.code, res.stderr)
	}
}

func count(t *testing.T, db *testdb.MySQLDB, q string) int {
	t.Helper()
	cfg, err := mysql.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sql.OpenDB(c)
	defer pool.Close()
	var n int
	if err := pool.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
