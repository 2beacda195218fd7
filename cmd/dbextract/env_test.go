package main

import (
	"os"
	"testing"
)

// TestMain clears the environment variables the flags read, so that a
// developer's settings (DBMIG_LOG_FORMAT=json, ...) do not change what the
// tests see, here or in the binaries they run.
func TestMain(m *testing.M) {
	for _, f := range newEnv(nil, nil).app().Flags {
		if ev, ok := f.(interface{ GetEnvVars() []string }); ok {
			for _, name := range ev.GetEnvVars() {
				_ = os.Unsetenv(name)
			}
		}
	}
	os.Exit(m.Run())
}
