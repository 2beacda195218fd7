package convert

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dbmig/dbmig/internal/testdb"
)

// TestRoundTripBinaries runs the acceptance round trip through the real
// commands, both ways:
//
//	dbextract A | dbconvert --to postgres --zero-dates null --schema app | dbload --create PG
//	dbextract --unsupported text --tables app.all_types PG | dbconvert --to mysql --like B | dbload B
func TestRoundTripBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "github.com/dbmig/dbmig/cmd/dbextract", "github.com/dbmig/dbmig/cmd/dbconvert", "github.com/dbmig/dbmig/cmd/dbload")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	a := testdb.MySQL(t)
	a.Exec(t, allTypesSQL(t)...)
	pg := testdb.Postgres(t)
	b := testdb.MySQL(t)
	b.Exec(t, showCreateTable(t, a, "all_types"))
	pipe := func(cmd string) {
		t.Helper()
		sh := exec.Command("bash", "-o", "pipefail", "-c", cmd)
		sh.Env = append(os.Environ(), "PATH="+bin+string(filepath.ListSeparator)+os.Getenv("PATH"))
		out, err := sh.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
		t.Logf("%s\n%s", cmd, lastLines(string(out), 3))
	}
	pipe("dbextract '" + a.URL + "' | dbconvert --to postgres --zero-dates null --schema app | dbload --create '" + pg.DSN + "'")
	pipe("dbextract --unsupported text --tables app.all_types '" + pg.DSN + "' | dbconvert --to mysql --like '" + b.URL + "' | dbload '" + b.URL + "'")
	want, got := canonicalRows(t, a, "all_types"), canonicalRows(t, b, "all_types")
	want[0]["dt"], want[0]["dtm"] = "NULL", "NULL"
	if len(got) != len(want) {
		t.Fatalf("%d rows back, want %d", len(got), len(want))
	}
	for r := range want {
		for col, w := range want[r] {
			if g := got[r][col]; g != w {
				t.Errorf("row id=%s, column %s: %s, want %s", want[r]["id"], col, short(g), short(w))
			}
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
