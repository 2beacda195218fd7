// Dbmigrate runs whole migration jobs in one process, composing the
// packages the small binaries are made of. Verbs:
//
//	dbmigrate analyze --source DSN --target-engine postgres|mysql [--target DSN] [--json FILE] [--html FILE] [--ddl FILE]
//
// analyze reads the source catalog and a sample of the data and writes a
// report (Markdown on stdout): per table rows, bytes and every column's
// conversion, every lossy or unsupported conversion and why, data that
// breaks a migration, objects left for manual work and an estimated copy
// time.
//
//	dbmigrate migrate --source DSN --target DSN [--state DIR] [--parallel N] [--tables PATTERNS]
//	dbmigrate sync | validate | cutover [--read-only-source] [--max-lag 1s] | status [--json]
//
// migrate copies and keeps the target in sync (package migrate), sharing
// a state directory with the other verbs; cutover fences the source and
// prints the write freeze. rollback is not built yet and says so. See
// docs/MIGRATE.md.
//
// Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.
package main

import (
	"os"

	"github.com/dbmig/dbmig/internal/command"
)

func main() {
	e := newEnv(os.Stdout, os.Stderr)
	app := e.app()
	os.Args = subcommandArgs(app, os.Args)
	command.Main(app)
}
