package testdb

import (
	"os"
	"strings"
	"testing"
)

// Statements reads an SQL file whose statements each end with ";" at the end
// of a line, and returns them without that ";". Lines starting with "--" are
// comments. Tests of several packages share fixtures this way (for example
// examples/testdata/mysql_alltypes.sql).
func Statements(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "--") {
			continue
		}
		cur.WriteString(line)
		if strings.HasSuffix(line, ";") {
			stmts = append(stmts, strings.TrimSpace(strings.TrimSuffix(cur.String(), ";")))
			cur.Reset()
			continue
		}
		cur.WriteString("\n")
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		t.Fatalf("testdb: %s: text after the last statement: %.60q", path, s)
	}
	return stmts
}
