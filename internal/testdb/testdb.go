// Package testdb gives each test its own database on a real PostgreSQL or
// MariaDB/MySQL server.
//
// Servers come from, in order:
//
//  1. TEST_PG_DSN / TEST_MYSQL_DSN: an existing server; each test gets a new
//     database in it.
//  2. Otherwise one throwaway server per test process, started lazily on first
//     use in a temporary directory (dbmig-testdb-* under os.TempDir()) on a
//     free loopback port from the server binaries on the machine, and stopped
//     by Main when the tests end.
//  3. If neither is possible the test is skipped, or fails when
//     DBMIG_REQUIRE_SERVERS=1.
//
// Every test package that uses testdb must have
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
//
// This package is for _test.go files only.
package testdb

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// mainCalled records that Main runs this process's tests, so that the servers
// started here are stopped at the end.
var mainCalled atomic.Bool

// running holds the servers this process started, and closers run before
// they are stopped.
var running struct {
	sync.Mutex
	servers []*server
	closers []func()
}

// Main runs the package's tests and then stops every server this process started.
// Every test package that uses testdb has: func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
func Main(m *testing.M) int {
	mainCalled.Store(true)
	code := m.Run()
	stopAll()
	return code
}

// register hands a started server (if not nil) to Main for stopping; closer, if not nil,
// runs before the servers stop (e.g. closing an admin connection pool).
func register(s *server, closer func()) {
	running.Lock()
	defer running.Unlock()
	if s != nil {
		running.servers = append(running.servers, s)
	}
	if closer != nil {
		running.closers = append(running.closers, closer)
	}
}

// stopAll closes admin connections and stops every registered server in parallel.
func stopAll() {
	running.Lock()
	servers, closers := running.servers, running.closers
	running.servers, running.closers = nil, nil
	running.Unlock()
	for _, c := range closers {
		c()
	}
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(s.stop)
	}
	wg.Wait()
}

// requireMain fails the test when the package has no TestMain calling Main:
// without it the servers would outlive the tests.
func requireMain(t testing.TB) {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testdb: this test package needs func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }")
	}
}

// unavailable skips the test because no server could be had, or fails it
// when DBMIG_REQUIRE_SERVERS=1 (CI: a missing server must fail loudly).
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("DBMIG_REQUIRE_SERVERS") == "1" {
		t.Fatalf("testdb: "+format+" (DBMIG_REQUIRE_SERVERS=1)", args...)
	}
	t.Skipf("testdb: "+format+" (set DBMIG_REQUIRE_SERVERS=1 to fail instead)", args...)
}

// dbName returns a new database name for t: t_<test name>_<8 hex>, lowercase
// letters, digits and underscores only, at most 61 characters (PostgreSQL
// allows 63, MySQL 64).
func dbName(t testing.TB) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	s := strings.TrimSuffix(b.String(), "_")
	if len(s) > 50 {
		s = strings.TrimRight(s[:50], "_")
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	if s == "" {
		return "t_" + hex.EncodeToString(rnd[:])
	}
	return "t_" + s + "_" + hex.EncodeToString(rnd[:])
}
