package testdb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PG is a fresh, empty PostgreSQL database for one test.
type PG struct {
	DSN      string // postgres://user@127.0.0.1:port/dbname?sslmode=disable for a fresh per-test database
	Database string // the database's name
	AdminDSN string // same server, database "postgres"
	Host     string // server host, 127.0.0.1 for a throwaway server
	Port     int    // server port
}

// pgServer is where the per-test databases are made.
type pgServer struct {
	adminDSN string        // a DSN of database "postgres", URL or keyword/value form
	external bool          // from TEST_PG_DSN
	startup  time.Duration // time to initdb and start the throwaway server
}

var pgState struct {
	once sync.Once
	srv  *pgServer
	err  error
}

// Postgres returns a fresh, empty database (its own CREATE DATABASE) on a PostgreSQL server
// with wal_level=logical. Dropped (WITH (FORCE)) in t.Cleanup, after dropping any replication
// slots that were created in that database.
//
// The server is TEST_PG_DSN's (URL or keyword/value form; PostgreSQL 14 or
// newer, a role that may create databases), or else a throwaway one this
// process starts on first use, where user postgres needs no password.
func Postgres(t testing.TB) *PG {
	t.Helper()
	requireMain(t)
	started := false
	pgState.once.Do(func() {
		started = true
		pgState.srv, pgState.err = pgConnectOrStart()
	})
	srv, err := pgState.srv, pgState.err
	switch {
	case err != nil && os.Getenv("TEST_PG_DSN") != "":
		t.Fatalf("testdb: TEST_PG_DSN: %v", err)
	case err != nil:
		unavailable(t, "no PostgreSQL server: %v", err)
	case started && !srv.external:
		t.Logf("testdb: started a throwaway PostgreSQL server in %v", srv.startup.Round(time.Millisecond))
	}

	name := dbName(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := pgAdminExec(ctx, srv.adminDSN, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testdb: create PostgreSQL database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := pgDropDatabase(ctx, srv.adminDSN, name); err != nil {
			t.Errorf("testdb: drop PostgreSQL database %s: %v", name, err)
		}
	})

	dsn, err := pgWithDatabase(srv.adminDSN, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return &PG{DSN: dsn, Database: name, AdminDSN: srv.adminDSN, Host: cfg.Host, Port: int(cfg.Port)}
}

// Exec runs each SQL text in the test's database (several statements per text are
// allowed: texts go by the simple query protocol) on one connection and fails the
// test on the first error. It may be called from t.Cleanup.
func (p *PG) Exec(t testing.TB, sql ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		t.Fatalf("testdb: connect to %s: %v", p.Database, err)
	}
	defer conn.Close(context.Background())
	for _, s := range sql {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("testdb: %v\nin: %s", err, s)
		}
	}
}

// pgConnectOrStart uses TEST_PG_DSN or starts a throwaway server.
func pgConnectOrStart() (*pgServer, error) {
	if dsn := os.Getenv("TEST_PG_DSN"); dsn != "" {
		admin, err := pgWithDatabase(dsn, "postgres")
		if err != nil {
			return nil, err
		}
		return &pgServer{adminDSN: admin, external: true}, nil
	}
	begin := time.Now()
	admin, err := startPostgres()
	if err != nil {
		return nil, err
	}
	return &pgServer{adminDSN: admin, startup: time.Since(begin)}, nil
}

// startPostgres initializes a cluster in a new temporary directory, starts it
// with logical decoding enabled and returns its admin DSN.
func startPostgres() (adminDSN string, err error) {
	bindir, err := pgBinDir()
	if err != nil {
		return "", err
	}
	cred, err := serviceUser("postgres") // initdb and postgres refuse to run as root
	if err != nil {
		return "", err
	}
	dir, err := newServerDir("pg", cred)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bindir, "initdb"), "-D", data,
		"-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := runCmd(initdb, dir, cred); err != nil {
		return "", fmt.Errorf("initdb: %v\n%s", err, out)
	}
	dsnFor := func(port int) string {
		return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	}
	s, port, err := launch(launchSpec{
		name:    "PostgreSQL",
		dir:     dir,
		cred:    cred,
		stopSig: syscall.SIGINT, // fast shutdown: does not wait for clients to leave
		command: func(port int) *exec.Cmd {
			return exec.Command(filepath.Join(bindir, "postgres"), "-D", data, "-p", strconv.Itoa(port),
				"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
				"-c", "wal_level=logical", "-c", "max_replication_slots=20", "-c", "max_wal_senders=20",
				"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
				"-c", "shared_buffers=128MB", "-c", "max_connections=200")
		},
		ready: func(ctx context.Context, port int) error {
			conn, err := pgx.Connect(ctx, dsnFor(port))
			if err != nil {
				return err
			}
			return conn.Close(ctx)
		},
	})
	if err != nil {
		return "", err
	}
	register(s, nil)
	return dsnFor(port), nil
}

// pgBinDir finds the directory holding initdb and postgres: pg_config
// --bindir, else the newest /usr/lib/postgresql/*/bin, else initdb on PATH.
func pgBinDir() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(d)), 64)
		return v
	}
	slices.SortFunc(debian, func(a, b string) int { return int(version(b)*1000 - version(a)*1000) })
	dirs = append(dirs, debian...)
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) found via pg_config, /usr/lib/postgresql or PATH: install postgresql or set TEST_PG_DSN")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// pgWithDatabase returns dsn (URL or keyword/value form) naming database db.
func pgWithDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("bad PostgreSQL DSN: %w", err)
		}
		u.Path, u.RawPath = "/"+db, ""
		return u.String(), nil
	}
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return "", fmt.Errorf("bad PostgreSQL DSN: %w", err)
	}
	// Keyword/value form: a later keyword wins. Names from dbName need no quoting.
	return dsn + " dbname=" + db, nil
}

// pgAdminExec runs one statement on the admin database.
func pgAdminExec(ctx context.Context, adminDSN, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// pgDropDatabase ends every session in db (walsenders included), drops the
// replication slots of db (which would otherwise block the drop and pin WAL),
// and drops db.
func pgDropDatabase(ctx context.Context, adminDSN, db string) error {
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	// pg_terminate_backend(pid, timeout) waits for the backend to be gone (PostgreSQL 14+).
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, db); err != nil {
		return fmt.Errorf("terminate sessions: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(active_pid, 10000) FROM pg_replication_slots
		WHERE database = $1 AND active_pid IS NOT NULL`, db); err != nil {
		return fmt.Errorf("terminate walsenders: %w", err)
	}
	// A terminated walsender releases its slot a moment after it is gone: retry.
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
			WHERE database = $1`, db)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("drop replication slots: %w", err)
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	return nil
}
