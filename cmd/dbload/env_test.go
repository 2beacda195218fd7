package main

import (
	"os"
	"testing"

	"github.com/dbmig/dbmig/internal/testdb"
)

// TestMain clears the environment variables the flags read, so that a
// developer's settings (DBMIG_LOG_FORMAT=json, ...) do not change what the
// tests see, here or in the binaries they run.
func TestMain(m *testing.M) {
	for _, f := range newEnv(nil, nil, nil).app().Flags {
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
			for _, name := range ev.GetEnvVars() {
				_ = os.Unsetenv(name)
			}
		}
	}
	os.Exit(testdb.Main(m)) // stops the servers the MySQL tests start
}
