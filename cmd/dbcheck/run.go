package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/checksum/mysql"
	"github.com/dbmig/dbmig/checksum/postgres"
	"github.com/dbmig/dbmig/checksum/streamfile"
	"github.com/dbmig/dbmig/internal/command"
)

const usage = "compare two databases or dbmig streams and report the rows that differ"

const description = `Compares A and B table by table: row counts, schema (columns, types,
nullability, primary key, indexes, foreign keys) and rows, reporting the keys
that are missing in B, extra in B, or changed (with the columns and both
values). A and B are each a postgres:// URL or key=value DSN, a mysql:// or
mariadb:// URL (password from MYSQL_PWD when the URL has none), a stream
file written by dbextract, or "-" for a stream on stdin.

Both sides cut each table into the same primary-key ranges, compare an
order-independent digest per range, and split only the ranges that differ,
down to rows. Between two PostgreSQL servers of one major version (14 or
later), or two MySQL (or MariaDB) servers of one release series, the
digests are computed in the servers (pushdown); otherwise rows are streamed
from both sides at once and hashed here (stream), in an encoding where a
value equals its converted form (MySQL to PostgreSQL after dbconvert).

Examples:
  dbcheck postgres://app@db1/shop postgres://app@db2/shop
  dbcheck --json --tables public.orders postgres://app@db1/shop postgres://app@db2/shop
  dbextract postgres://app@db1/shop | dbcheck postgres://app@db2/shop -
  dbcheck snap-monday.arrows snap-tuesday.arrows
  MYSQL_PWD=... dbcheck mysql://app@old/shop postgres://app@new/shop
  dbcheck --live 30s --max-rows-per-sec 200000 postgres://prod/shop postgres://replica/shop

Exit status, as diff(1): 0 equal, 1 differences found, 2 trouble.`

// env is what the command runs against; tests replace its parts.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr}
}

// run runs dbcheck with args (args[0] is the program name).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return command.Run(ctx, newEnv(stdin, stdout, stderr).app(), args)
}

func (e *env) app() *cli.App {
	return &cli.App{
		Name:        "dbcheck",
		Usage:       usage,
		UsageText:   "dbcheck [flags] A B",
		Description: description,
		Flags:       append(flags(), command.CommonFlags()...),
		Writer:      e.stdout,
		ErrWriter:   e.stderr,
		Action:      e.action,
	}
}

func flags() []cli.Flag {
	env := func(name string) []string { return []string{"DBCHECK_" + name} }
	return []cli.Flag{
		&cli.BoolFlag{Name: "json", Usage: "write the report as one JSON document"},
		&cli.GenericFlag{Name: "mode", Value: command.NewChoice(compare.ModeAuto, compare.ModeAuto, compare.ModePushdown, compare.ModeStream), EnvVars: env("MODE"),
			Usage: "compute range digests `MODE`: auto, pushdown (in the databases: PostgreSQL 14+, or MySQL, on both sides) or stream (rows hashed here)"},
		&cli.StringSliceFlag{Name: "tables", Aliases: []string{"t"}, EnvVars: env("TABLES"),
			Usage: "compare only these `TABLES`: schema.table or table, * matches anything; comma list, repeatable (default: all)"},
		&cli.StringSliceFlag{Name: "exclude", Aliases: []string{"T"}, EnvVars: env("EXCLUDE"),
			Usage: "leave out these `TABLES` (same patterns as --tables)"},
		&cli.StringFlag{Name: "where", EnvVars: env("WHERE"),
			Usage: "compare only rows matching this SQL `CONDITION` (applied on both sides; databases only)"},
		&cli.IntFlag{Name: "sample", EnvVars: env("SAMPLE"),
			Usage: "compare about `N` rows per table picked at random from A, instead of all rows (extra rows in B are then not found)"},
		&cli.Int64Flag{Name: "max-rows-per-sec", EnvVars: env("MAX_ROWS_PER_SEC"),
			Usage: "read at most `N` rows per second from each side (0: no limit)"},
		&cli.DurationFlag{Name: "live", EnvVars: env("LIVE"),
			Usage: "re-check differing rows after `DELAY` (e.g. 30s) and report only those that still differ, for sources still being replicated"},
		&cli.IntFlag{Name: "range-rows", Value: 10000, EnvVars: env("RANGE_ROWS"),
			Usage: "compare rows one by one in key ranges of about `N` rows"},
		&cli.IntFlag{Name: "max-report", Value: 1000, EnvVars: env("MAX_REPORT"),
			Usage: "list at most `N` differing rows per table (the others are counted)"},
	}
}

// troubleError makes an error exit 2, as diff(1) does for trouble.
type troubleError struct{ err error }

func (e *troubleError) Error() string { return e.err.Error() }
func (e *troubleError) Unwrap() error { return e.err }
func (e *troubleError) ExitCode() int { return command.ExitUsage }

// errDifferent exits 1 and prints nothing: the report has said it.
var errDifferent = cli.Exit("", command.ExitFailure)

func (e *env) action(c *cli.Context) error {
	if c.NArg() != 2 {
		return command.Usagef("want two arguments A and B (DSNs, stream files or -), got %d", c.NArg())
	}
	cfg := compare.Config{
		Filter:        compare.Filter{Tables: patterns(c.StringSlice("tables")), Exclude: patterns(c.StringSlice("exclude"))},
		Mode:          command.ChoiceOf(c, "mode"),
		RangeRows:     c.Int("range-rows"),
		Sample:        c.Int("sample"),
		MaxRowsPerSec: c.Int64("max-rows-per-sec"),
		Live:          c.Duration("live"),
		MaxReport:     c.Int("max-report"),
	}
	switch {
	case cfg.RangeRows < 1:
		return command.Usagef("--range-rows must be at least 1, got %d", cfg.RangeRows)
	case cfg.Sample < 0 || cfg.MaxRowsPerSec < 0 || cfg.Live < 0 || cfg.MaxReport < 1:
		return command.Usagef("--sample, --max-rows-per-sec and --live must not be negative, --max-report at least 1")
	}
	argA, argB := c.Args().Get(0), c.Args().Get(1)
	if argA == "-" && argB == "-" {
		return command.Usagef("only one of A and B can be stdin (-)")
	}
	con := command.NewConsole(c, e.stderr, argA, argB)
	cfg.Logger = con.Logger
	where := c.String("where")

	ctx := c.Context
	a, err := e.open(ctx, argA, "A", where, cfg)
	if err != nil {
		return trouble(err, argA, argB)
	}
	defer a.Close()
	b, err := e.open(ctx, argB, "B", where, cfg)
	if err != nil {
		return trouble(err, argA, argB)
	}
	defer b.Close()

	start := time.Now()
	rep, err := compare.Compare(ctx, a, b, cfg)
	if err != nil {
		return trouble(err, argA, argB)
	}
	con.Logger.Info("check done", "tables", len(rep.Tables), "equal", rep.Equal(), "elapsed", time.Since(start).Round(time.Millisecond).String())
	if c.Bool("json") {
		err = rep.WriteJSON(e.stdout)
	} else {
		err = rep.WriteText(e.stdout)
	}
	if err != nil {
		return trouble(fmt.Errorf("write report: %w", err), argA, argB)
	}
	if !rep.Equal() {
		return errDifferent
	}
	return nil
}

// trouble makes err exit 2 (usage errors and signals keep their own
// status), with the passwords of the DSNs masked.
func trouble(err error, dsns ...string) error {
	var usage *command.UsageError
	if errors.As(err, &usage) {
		return err
	}
	return &troubleError{command.RedactError(err, dsns...)}
}

// open opens one side: a stream file, stdin ("-"), or a database.
func (e *env) open(ctx context.Context, arg, which, where string, cfg compare.Config) (compare.Side, error) {
	if arg == "-" || !looksLikeDSN(arg) {
		if where != "" {
			return nil, command.Usagef("--where applies to databases only; %s is a stream", which)
		}
		s, err := streamfile.Open(ctx, arg, e.stdin)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", which, err)
		}
		return s, nil
	}
	engine, err := command.Engine(arg, which)
	if err != nil {
		return nil, err
	}
	if engine == command.EngineMySQL {
		// The password comes from the URL or MYSQL_PWD (readers/mysql.ParseDSN).
		s, err := mysql.Open(ctx, mysql.Config{DSN: arg, Where: where, Name: which + " " + command.Redact(arg), Logger: cfg.Logger})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", which, err)
		}
		return s, nil
	}
	s, err := postgres.Open(ctx, postgres.Config{DSN: arg, Where: where, Name: which + " " + command.Redact(arg), Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", which, err)
	}
	return s, nil
}

// looksLikeDSN tells a connection string from a file name: a URL scheme,
// or key=value pairs.
func looksLikeDSN(arg string) bool {
	return strings.Contains(arg, "://") || strings.Contains(arg, "=")
}

// patterns trims the table patterns of a comma list and drops empty ones.
func patterns(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
