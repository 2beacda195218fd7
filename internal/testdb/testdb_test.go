package testdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

func TestMain(m *testing.M) {
	if os.Getenv("DBMIG_TESTDB_SLEEPER") != "" { // a stand-in server for TestSweep
		time.Sleep(5 * time.Minute)
		os.Exit(0)
	}
	os.Exit(Main(m))
}

func TestPostgres(t *testing.T) {
	var p *PG
	var walsender *pgconn.PgConn
	t.Run("db", func(t *testing.T) {
		p = Postgres(t)
		ctx := t.Context()
		conn, err := pgx.Connect(ctx, p.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var wal, db string
		if err := conn.QueryRow(ctx, "SELECT current_setting('wal_level'), current_database()").Scan(&wal, &db); err != nil {
			t.Fatal(err)
		}
		if wal != "logical" || db != p.Database {
			t.Fatalf("wal_level %q, database %q; want logical, %q", wal, db, p.Database)
		}
		p.Exec(t, "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a')",
			"CREATE PUBLICATION pub FOR ALL TABLES")
		if _, err := conn.Exec(ctx, "SELECT pg_create_logical_replication_slot('idle_slot', 'pgoutput')"); err != nil {
			t.Fatal(err)
		}
		// A second slot kept active by a walsender streaming from it: the
		// cleanup must end the walsender before it can drop the slot. The
		// connection stays open past the subtest on purpose.
		walsender = startStreaming(t, p.DSN, "busy_slot")
		var slots, active int
		if err := conn.QueryRow(ctx, "SELECT count(*), count(*) FILTER (WHERE active) FROM pg_replication_slots WHERE database = $1",
			p.Database).Scan(&slots, &active); err != nil {
			t.Fatal(err)
		}
		if slots != 2 || active != 1 {
			t.Fatalf("%d slots, %d active; want 2, 1", slots, active)
		}
	})
	if p == nil {
		t.Skip("no PostgreSQL")
	}
	if walsender != nil {
		defer walsender.Close(context.Background())
	}
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, p.AdminDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var dbs, slots int
	if err := admin.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_database WHERE datname = $1), (SELECT count(*) FROM pg_replication_slots WHERE database = $1)",
		p.Database).Scan(&dbs, &slots); err != nil {
		t.Fatal(err)
	}
	if dbs != 0 || slots != 0 {
		t.Fatalf("after cleanup: %d databases, %d slots named for %s; want none", dbs, slots, p.Database)
	}
}

// startStreaming creates a logical slot on a replication connection and starts
// streaming from it, leaving the slot active.
func startStreaming(t *testing.T, dsn, slot string) *pgconn.PgConn {
	t.Helper()
	ctx := t.Context()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["replication"] = "database"
	rc, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Exec(ctx, "CREATE_REPLICATION_SLOT "+slot+" LOGICAL pgoutput").ReadAll(); err != nil {
		t.Fatal(err)
	}
	rc.Frontend().Send(&pgproto3.Query{String: "START_REPLICATION SLOT " + slot +
		" LOGICAL 0/0 (proto_version '1', publication_names 'pub')"})
	if err := rc.Frontend().Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := rc.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		switch msg := msg.(type) {
		case *pgproto3.CopyBothResponse:
			return rc
		case *pgproto3.ErrorResponse:
			t.Fatalf("START_REPLICATION: %s", msg.Message)
		}
	}
}

func TestMySQL(t *testing.T) {
	var m *MySQLDB
	t.Run("db", func(t *testing.T) {
		m = MySQL(t)
		db, err := sql.Open("mysql", m.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var format, image, metadata, charset, current string
		var logBin, localInfile int
		if err := db.QueryRow("SELECT @@binlog_format, @@binlog_row_image, @@binlog_row_metadata, @@character_set_server, @@log_bin, @@local_infile, DATABASE()").
			Scan(&format, &image, &metadata, &charset, &logBin, &localInfile, &current); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(format, image, metadata, charset, logBin, localInfile, current)
		if want := fmt.Sprint("ROW", "FULL", "FULL", "utf8mb4", 1, 1, m.Database); got != want {
			t.Fatalf("server settings %s; want %s", got, want)
		}
		m.Exec(t, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO items VALUES (1, 'a')")
		file := filepath.Join(t.TempDir(), "items.tsv")
		if err := os.WriteFile(file, []byte("2\tb\n3\tc\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mysql.RegisterLocalFile(file)
		defer mysql.DeregisterLocalFile(file)
		// LOAD DATA cannot take the file name as a parameter; it is our own temp path.
		if _, err := db.Exec("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE items"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM items").Scan(&n); err != nil || n != 3 {
			t.Fatalf("%d rows, %v; want 3", n, err)
		}
		if want := fmt.Sprintf("mysql://root@%s:%d/%s", m.Host, m.Port, m.Database); os.Getenv("TEST_MYSQL_DSN") == "" && m.URL != want {
			t.Errorf("URL %q; want %q", m.URL, want)
		}
	})
	if m == nil {
		t.Skip("no MySQL")
	}
	cfg, err := mysql.ParseDSN(m.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = ""
	db, err := openMySQL(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", m.Database).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still there after cleanup", m.Database)
	}
}

func TestParallelDatabases(t *testing.T) {
	var mu sync.Mutex
	names := map[string]map[string]bool{"pg": {}, "mysql": {}}
	t.Run("group", func(t *testing.T) {
		for i := range 2 {
			t.Run(fmt.Sprint("pg", i), func(t *testing.T) {
				t.Parallel()
				p := Postgres(t)
				p.Exec(t, "CREATE TABLE same_name (id int)") // fails if the databases were shared
				mu.Lock()
				names["pg"][p.Database] = true
				mu.Unlock()
			})
			t.Run(fmt.Sprint("mysql", i), func(t *testing.T) {
				t.Parallel()
				m := MySQL(t)
				m.Exec(t, "CREATE TABLE same_name (id int)")
				mu.Lock()
				names["mysql"][m.Database] = true
				mu.Unlock()
			})
		}
	})
	for kind, got := range names {
		if len(got) == 1 {
			t.Errorf("%s: two parallel tests got the same database %v", kind, got)
		}
	}
}

func TestDBName(t *testing.T) {
	valid := regexp.MustCompile(`^t_[a-z0-9_]*[0-9a-f]{8}$`)
	for _, name := range []string{"", "Ünïcode / spaces & CAPS", strings.Repeat("Long_", 30)} {
		t.Run(name, func(t *testing.T) {
			a, b := dbName(t), dbName(t)
			if a == b || len(a) > 63 || !valid.MatchString(a) || strings.Contains(a, "__") {
				t.Errorf("dbName: %q, %q", a, b)
			}
		})
	}
}

func TestParseMySQLDSN(t *testing.T) {
	for _, c := range []struct{ in, user, pass, addr, db string }{
		{"mysql://u:p%2F%40ss@db.example:3307/app?parseTime=true", "u", "p/@ss", "db.example:3307", "app"},
		{"mysql://root@127.0.0.1", "root", "", "127.0.0.1:3306", ""},
		{"u:p@tcp(10.0.0.1:3308)/app?parseTime=true", "u", "p", "10.0.0.1:3308", "app"},
	} {
		cfg, err := parseMySQLDSN(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got := []string{cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName}
		if want := []string{c.user, c.pass, "tcp", c.addr, c.db}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: got %q; want %q", c.in, got, want)
		}
		if !cfg.ParseTime && strings.Contains(c.in, "parseTime") {
			t.Errorf("%s: parameters lost", c.in)
		}
	}
}

func TestPGWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:p@h:5433/other?sslmode=disable": "postgres://u:p@h:5433/t_x?sslmode=disable",
		"postgresql://u@h":                            "postgresql://u@h/t_x",
		"host=h port=5433 user=u dbname=other":        "host=h port=5433 user=u dbname=other dbname=t_x",
	} {
		got, err := pgWithDatabase(in, "t_x")
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
		if cfg, err := pgx.ParseConfig(got); err != nil || cfg.Database != "t_x" {
			t.Errorf("%s: does not parse to database t_x: %v", got, err)
		}
	}
}

func TestSweep(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadOwner := fmt.Sprintf("%d 0\n", dead.Process.Pid)
	self := os.Getpid()
	liveOwner := fmt.Sprintf("%d %d\n", self, procStartTime(self))
	reusedOwner := fmt.Sprintf("%d %d\n", self, procStartTime(self)+1) // our PID, another start time

	type fake struct {
		owner, pidFile string
		mention        bool // the sleeper's command line names the directory
		wantKilled     bool
		wantRemoved    bool
		dir            string
		exited         chan struct{}
	}
	fakes := map[string]*fake{
		"stale":   {owner: deadOwner, pidFile: serverPIDKey, mention: true, wantKilled: true, wantRemoved: true},
		"reused":  {owner: reusedOwner, pidFile: "data/postmaster.pid", mention: true, wantKilled: true, wantRemoved: true},
		"live":    {owner: liveOwner, pidFile: serverPIDKey, mention: true},
		"foreign": {owner: deadOwner, pidFile: mysqlPIDFile, wantRemoved: true},
	}
	for _, f := range fakes {
		dir, err := os.MkdirTemp("", dirPrefix+"pg-")
		if err != nil {
			t.Fatal(err)
		}
		f.dir = dir
		t.Cleanup(func() { os.RemoveAll(dir) })
		arg := "unrelated"
		if f.mention {
			arg = filepath.Base(dir)
		}
		sleeper := exec.Command(os.Args[0], "sleeper", arg)
		sleeper.Env = append(os.Environ(), "DBMIG_TESTDB_SLEEPER=1")
		if err := sleeper.Start(); err != nil {
			t.Fatal(err)
		}
		f.exited = make(chan struct{})
		go func() { sleeper.Wait(); close(f.exited) }()
		t.Cleanup(func() { sleeper.Process.Kill(); <-f.exited })
		pidPath := filepath.Join(dir, f.pidFile)
		if err := os.MkdirAll(filepath.Dir(pidPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pidPath, []byte(strconv.Itoa(sleeper.Process.Pid)+"\n/some/data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(f.owner), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	sweep()

	for name, f := range fakes {
		wait := 300 * time.Millisecond // sweep has already waited for the processes it stopped
		if f.wantKilled {
			wait = 5 * time.Second
		}
		select {
		case <-f.exited:
			if !f.wantKilled {
				t.Errorf("%s: server process killed", name)
			}
		case <-time.After(wait):
			if f.wantKilled {
				t.Errorf("%s: server process still running", name)
			}
		}
		_, err := os.Stat(f.dir)
		if removed := os.IsNotExist(err); removed != f.wantRemoved {
			t.Errorf("%s: directory removed = %v; want %v", name, removed, f.wantRemoved)
		}
	}
}
