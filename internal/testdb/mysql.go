package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mysqlPIDFile is the MariaDB pid file in the server directory.
const mysqlPIDFile = "mysqld.pid"

// MySQLDB is a fresh, empty MariaDB/MySQL database for one test.
// (The type cannot be named MySQL: that is the function returning it.)
type MySQLDB struct {
	DSN      string // go-sql-driver form: root@tcp(127.0.0.1:port)/dbname; read it with mysql.ParseDSN to add parameters
	URL      string // mysql://root@127.0.0.1:port/dbname (no driver parameters; empty for a unix-socket server)
	Database string // the database's name
	Host     string // server host, 127.0.0.1 for a throwaway server
	Port     int    // server port
}

// mysqlServer is where the per-test databases are made.
type mysqlServer struct {
	cfg      *mysql.Config // admin connection, no database
	db       *sql.DB       // admin pool
	external bool          // from TEST_MYSQL_DSN
	startup  time.Duration // time to install and start the throwaway server
}

var mysqlState struct {
	once sync.Once
	srv  *mysqlServer
	err  error
}

// MySQL returns a fresh database on a MariaDB/MySQL server with ROW binlog, full row image,
// full row metadata, utf8mb4. Dropped in t.Cleanup.
//
// The server is TEST_MYSQL_DSN's (a mysql:// URL or a go-sql-driver DSN), or
// else a throwaway MariaDB this process starts on first use, where root has no
// password and LOAD DATA LOCAL INFILE is allowed.
func MySQL(t testing.TB) *MySQLDB {
	t.Helper()
	requireMain(t)
	started := false
	mysqlState.once.Do(func() {
		started = true
		mysqlState.srv, mysqlState.err = mysqlConnectOrStart()
	})
	srv, err := mysqlState.srv, mysqlState.err
	switch {
	case err != nil && os.Getenv("TEST_MYSQL_DSN") != "":
		t.Fatalf("testdb: TEST_MYSQL_DSN: %v", err)
	case err != nil:
		unavailable(t, "no MariaDB/MySQL server: %v", err)
	case started && !srv.external:
		t.Logf("testdb: started a throwaway MariaDB server in %v", srv.startup.Round(time.Millisecond))
	}

	name := dbName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := srv.db.ExecContext(ctx, "CREATE DATABASE "+mysqlQuote(name)+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("testdb: create MySQL database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := srv.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+mysqlQuote(name)); err != nil {
			t.Errorf("testdb: drop MySQL database %s: %v", name, err)
		}
	})

	cfg := srv.cfg.Clone()
	cfg.DBName = name
	db := &MySQLDB{DSN: cfg.FormatDSN(), Database: name}
	if cfg.Net == "tcp" {
		host, port, _ := net.SplitHostPort(cfg.Addr)
		db.Host = host
		db.Port, _ = strconv.Atoi(port)
		u := url.URL{Scheme: "mysql", User: url.User(cfg.User), Host: cfg.Addr, Path: "/" + name}
		if cfg.Passwd != "" {
			u.User = url.UserPassword(cfg.User, cfg.Passwd)
		}
		db.URL = u.String()
	}
	return db
}

// Exec runs each SQL text in the test's database on one connection (several
// statements per text are allowed) and fails the test on the first error. It may
// be called from t.Cleanup.
func (m *MySQLDB) Exec(t testing.TB, sql ...string) {
	t.Helper()
	cfg, err := mysql.ParseDSN(m.DSN)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	cfg.MultiStatements = true
	db, err := openMySQL(cfg)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", m.Database, err)
	}
	defer conn.Close()
	for _, s := range sql {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("testdb: %v\nin: %s", err, s)
		}
	}
}

// mysqlQuote quotes a MySQL identifier.
func mysqlQuote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

func openMySQL(cfg *mysql.Config) (*sql.DB, error) {
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// mysqlConnectOrStart uses TEST_MYSQL_DSN or starts a throwaway server, and
// opens the admin pool.
func mysqlConnectOrStart() (*mysqlServer, error) {
	srv := &mysqlServer{}
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		cfg, err := parseMySQLDSN(dsn)
		if err != nil {
			return nil, err
		}
		srv.cfg, srv.external = cfg, true
	} else {
		begin := time.Now()
		cfg, err := startMariaDB()
		if err != nil {
			return nil, err
		}
		srv.cfg, srv.startup = cfg, time.Since(begin)
	}
	srv.cfg.DBName = ""
	db, err := openMySQL(srv.cfg)
	if err != nil {
		return nil, err
	}
	srv.db = db
	register(nil, func() { db.Close() })
	return srv, nil
}

// parseMySQLDSN reads a mysql:// (or mariadb://) URL or a go-sql-driver DSN.
func parseMySQLDSN(s string) (*mysql.Config, error) {
	if !strings.HasPrefix(s, "mysql://") && !strings.HasPrefix(s, "mariadb://") {
		cfg, err := mysql.ParseDSN(s)
		if err != nil {
			return nil, fmt.Errorf("bad MySQL DSN: %w", err)
		}
		return cfg, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad MySQL URL: %w", err)
	}
	cfg, err := mysql.ParseDSN("/?" + u.RawQuery) // driver parameters, if any
	if err != nil {
		return nil, fmt.Errorf("bad MySQL URL parameters: %w", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	host, port := u.Hostname(), u.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "3306"
	}
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	cfg.TLS = nil // recomputed for the new address from cfg.TLSConfig by the round trip
	return mysql.ParseDSN(cfg.FormatDSN())
}

// startMariaDB installs a data directory in a new temporary directory, starts
// mariadbd with a full-metadata row binlog and returns the admin config.
func startMariaDB() (*mysql.Config, error) {
	install, err1 := findBin("mariadb-install-db", "mysql_install_db")
	daemon, err2 := findBin("mariadbd", "mysqld")
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%w: install mariadb-server or set TEST_MYSQL_DSN", err)
	}
	// As root, run the server as the mysql user: mariadbd's own --user switch
	// would clear the parent-death signal. Without a mysql user, run as root.
	var userArg []string
	cred, err := serviceUser("mysql")
	if err != nil {
		cred, userArg = nil, []string{"--user=root"}
	} else if cred != nil {
		userArg = []string{"--user=mysql"}
	}
	dir, err := newServerDir("mysql", cred)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	data := filepath.Join(dir, "data")
	installArgs := append([]string{"--no-defaults", "--datadir=" + data,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, userArg...)
	if out, err := runCmd(exec.Command(install, installArgs...), dir, nil); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", filepath.Base(install), err, out)
	}
	cfgFor := func(port int) *mysql.Config {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Net, cfg.Addr = "root", "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		return cfg
	}
	serverArgs := func(port int) []string {
		args := []string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(port),
			"--bind-address=127.0.0.1", "--socket=" + filepath.Join(dir, "mysqld.sock"),
			"--pid-file=" + filepath.Join(dir, mysqlPIDFile), "--log-bin=" + filepath.Join(data, "binlog"),
			"--binlog-format=ROW", "--binlog-row-image=FULL", "--binlog-row-metadata=FULL",
			"--server-id=1", "--character-set-server=utf8mb4", "--innodb-buffer-pool-size=128M",
			"--local-infile=1", "--innodb-flush-log-at-trx-commit=2",
			// Its own temp dir: a sweep of /tmp by another process must not
			// pull internal temporary tables from under a test.
			"--tmpdir=" + dir}
		if cred == nil {
			args = append(args, userArg...)
		}
		return args
	}
	s, port, err := launch(launchSpec{
		name:    "MariaDB",
		dir:     dir,
		cred:    cred,
		stopSig: syscall.SIGTERM,
		command: func(port int) *exec.Cmd { return exec.Command(daemon, serverArgs(port)...) },
		ready: func(ctx context.Context, port int) error {
			db, err := openMySQL(cfgFor(port))
			if err != nil {
				return err
			}
			defer db.Close()
			return db.PingContext(ctx)
		},
	})
	if err != nil {
		return nil, err
	}
	ok = true
	register(s, nil)
	return cfgFor(port), nil
}

// findBin finds the first of names on PATH or in the usual system directories.
func findBin(names ...string) (string, error) {
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
			if p := filepath.Join(d, name); isExecutable(p) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("none of %s found", strings.Join(names, ", "))
}
