// Dbconvert reads a dbmig stream on stdin (or a file) and writes it on
// stdout converted for another engine: types, defaults, generated
// expressions, keys, indexes and views rewritten in the target's SQL.
//
// Usage:
//
//	dbconvert --to postgres|mysql [flags] [FILE] < stream > stream
//
// Examples:
//
//	$ dbextract mysql://app@db1/shop | dbconvert --to postgres | dbload --create postgres://app@db2/shop
//	$ dbconvert --to postgres --identifiers snake --zero-dates null --report-json conv.json shop.arrows > shop.pg.arrows
//
// The report (every rule applied per column, every lossy choice, every
// item dropped and object left for manual work) goes to stderr at the end
// and, with --report-json FILE, to FILE. See docs/CONVERT.md.
//
// Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted. See
// internal/command.
package main

import (
	"os"

	"github.com/dbmig/dbmig/internal/command"
)

func main() {
	command.Main(newEnv(os.Stdin, os.Stdout, os.Stderr).app())
}
