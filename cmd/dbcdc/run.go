package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/readers/postgres"
	mysqlwriter "github.com/dbmig/dbmig/writers/mysql"
	writer "github.com/dbmig/dbmig/writers/postgres"
)

const usage = "stream the changes of a database as a dbmig change stream on stdout"

const description = `Reads the changes of SOURCE_DSN through a logical replication slot (pgoutput)
and writes them as a dbmig change stream: change segments per table, grouped
by whole source transactions, each group followed by a checkpoint. dbload
--apply applies it. With --snapshot, a slot is created with an exported
snapshot, the tables are extracted in it, and the changes follow from the
slot's consistent point: no gap, no overlap.

A mysql:// or mariadb:// SOURCE_DSN reads the binlog instead (ROW format, FULL
row image and row metadata); the password comes from the URL or MYSQL_PWD.
With --snapshot, the snapshot's binlog position is where the changes start;
a rerun resumes right after the position the target recorded.

The slot is confirmed only up to what the target has durably applied, read
from --ack-from (the target's DSN, or the file dbload --ack-file writes);
never on receipt. Rerunning the same command after a crash resumes: the
target's checkpoint says where. A snapshot that did not complete on the
target is redone with a new slot.

Examples:
  dbcdc --snapshot --slot s --ack-from postgres://app@db2/shop postgres://app@db1/shop | dbload --apply --create postgres://app@db2/shop
  dbcdc --slot s --create-slot --ack-from postgres://app@db2/shop postgres://app@db1/shop | dbload --apply postgres://app@db2/shop
  dbcdc --slot s --until 0/5A000000 --ack-from postgres://app@db2/shop postgres://app@db1/shop | dbload --apply postgres://app@db2/shop

Exit status: 0 done (stopped or fence reached), 1 failed, 2 usage error, 130 interrupted twice.`

type env struct {
	stdout, stderr io.Writer
	isTerminal     func(any) bool
}

func newEnv(stdout, stderr io.Writer) *env {
	return &env{stdout: stdout, stderr: stderr, isTerminal: command.IsTerminal}
}

// run runs dbcdc with args (args[0] is the program name).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return command.Run(ctx, newEnv(stdout, stderr).app(), args)
}

func (e *env) app() *cli.App {
	return &cli.App{
		Name:        "dbcdc",
		Usage:       usage,
		UsageText:   "dbcdc [flags] SOURCE_DSN > stream",
		Description: description,
		Flags:       append(flags(), command.CommonFlags()...),
		Writer:      e.stdout,
		ErrWriter:   e.stderr,
		Action:      e.action,
	}
}

func flags() []cli.Flag {
	env := func(name string) []string { return []string{"DBCDC_" + name} }
	return []cli.Flag{
		&cli.StringFlag{Name: "slot", EnvVars: env("SLOT"),
			Usage: "logical replication slot `NAME` (required for PostgreSQL; MySQL: names the feed, default dbcdc)"},
		&cli.StringFlag{Name: "publication", Value: "dbmig", EnvVars: env("PUBLICATION"),
			Usage: "publication `NAME` (created FOR ALL TABLES when missing)"},
		&cli.BoolFlag{Name: "create-slot", Usage: "create the slot when it does not exist"},
		&cli.BoolFlag{Name: "snapshot", Usage: "start with a consistent snapshot of the tables at the slot's start"},
		&cli.StringFlag{Name: "ack-from", EnvVars: env("ACK_FROM"),
			Usage: "confirm to the source what the target applied, read from `TARGET` (a postgres:// DSN or the file dbload --ack-file writes)"},
		&cli.StringFlag{Name: "until", Usage: "stop cleanly once every transaction before `LSN` is written (a cutover fence; MySQL: FILE:POS or X/Y)"},
		&cli.StringFlag{Name: "from", Usage: "MySQL: start at `FILE:POS` when the target has applied nothing of the feed (default: the current end of binlog)"},
		&cli.StringSliceFlag{Name: "tables", Aliases: []string{"t"}, EnvVars: env("TABLES"),
			Usage: "only these `TABLES`: schema.table or table, * matches anything"},
		&cli.StringSliceFlag{Name: "exclude", Aliases: []string{"T"}, EnvVars: env("EXCLUDE"),
			Usage: "leave out these `TABLES`"},
		&cli.IntFlag{Name: "parallel", Aliases: []string{"j"}, Value: 2, EnvVars: env("PARALLEL"),
			Usage: "snapshot with `N` connections"},
		&cli.DurationFlag{Name: "window", Value: postgres.DefaultWindowDelay, EnvVars: env("WINDOW"),
			Usage: "group transactions for at most `DURATION` per checkpoint (groups also end at 50000 rows, 16 MiB, or when the source goes quiet)"},
		&cli.DurationFlag{Name: "heartbeat", Value: 5 * time.Second, EnvVars: env("HEARTBEAT"),
			Usage: "write a heartbeat checkpoint every `DURATION` while idle"},
		&cli.GenericFlag{Name: "compression", Value: command.NewChoice("lz4", "none", "lz4", "zstd"), EnvVars: env("COMPRESSION"),
			Usage: "compress record batches with `CODEC`: none, lz4 (default: a pipe to dbload) or zstd"},
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "write to stdout even when it is a terminal"},
	}
}

func (e *env) action(c *cli.Context) error {
	source, err := command.Arg(c, "SOURCE_DSN")
	if err != nil {
		return err
	}
	engine, err := command.Engine(source, "SOURCE_DSN")
	if err != nil {
		return err
	}
	if engine == command.EngineMySQL {
		return e.actionMySQL(c, source)
	}
	if engine != command.EnginePostgres {
		return fmt.Errorf("dbcdc reads PostgreSQL and MySQL/MariaDB, not %s", engine)
	}
	cfg := postgres.CDCConfig{
		DSN: source, Slot: c.String("slot"), Publication: c.String("publication"),
		CreateSlot: c.Bool("create-slot"), Snapshot: c.Bool("snapshot"),
		Tables: patterns(c.StringSlice("tables")), Exclude: patterns(c.StringSlice("exclude")),
		WindowDelay: c.Duration("window"), Heartbeat: c.Duration("heartbeat"),
		Extract: postgres.Config{Parallel: c.Int("parallel")},
	}
	if cfg.Slot == "" {
		return command.Usagef("--slot is required")
	}
	if c.String("from") != "" {
		return command.Usagef("--from is for MySQL sources (a PostgreSQL stream starts where its slot is)")
	}
	if u := c.String("until"); u != "" {
		if cfg.Until, err = pglogrepl.ParseLSN(u); err != nil {
			return command.Usagef("--until: %v", err)
		}
	}
	comp, err := format.ParseCompression(command.ChoiceOf(c, "compression"))
	if err != nil {
		return command.Usagef("--compression: %v", err)
	}
	if !c.Bool("force") && e.isTerminal(e.stdout) {
		return command.ErrStdoutTerminal
	}
	con := command.NewConsole(c, e.stderr, source, c.String("ack-from"))
	log := con.Logger
	cfg.Logger = log
	if ack := c.String("ack-from"); ack != "" {
		cfg.Acked = acker(ack)
	} else {
		log.Warn("no --ack-from: the slot is never confirmed and keeps its WAL; a rerun cannot resume a snapshot")
	}
	w := format.NewWriter(e.stdout, format.WriterOptions{Compression: comp})
	st, err := postgres.Stream(c.Context, cfg, w)
	if err != nil {
		return command.RedactError(err, source)
	}
	log.Info("stopped", "feed", st.Feed, "transactions", st.Transactions, "changes", st.Changes,
		"snapshot_rows", st.Snapshot.Rows, "confirmed", st.Confirmed.String())
	return nil
}

// acker reads what the target applied: from its dbmig.cdc_checkpoints
// table, or from the ack file dbload --ack-file writes.
func acker(from string) func(context.Context, string) (postgres.Acked, error) {
	return func(ctx context.Context, feed string) (postgres.Acked, error) {
		a, err := readApplied(ctx, from, feed)
		if err != nil {
			return postgres.Acked{}, err
		}
		lsn, err := pglogrepl.ParseLSN(a.LSN)
		if err != nil {
			return postgres.Acked{}, fmt.Errorf("applied position %q: %w", a.LSN, err)
		}
		return postgres.Acked{Found: a.Found, LSN: lsn, SnapshotID: a.SnapshotID, SnapshotDone: a.SnapshotDone}, nil
	}
}

func patterns(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// readApplied reads what the target applied of feed: from a PostgreSQL
// target's dbmig.cdc_checkpoints, a MySQL/MariaDB target's
// `dbmig`.`cdc_checkpoints` (password from the URL or $MYSQL_PWD), or the
// ack file dbload --ack-file writes.
func readApplied(ctx context.Context, from, feed string) (writer.Applied, error) {
	lower := strings.ToLower(from)
	switch {
	case strings.HasPrefix(lower, "mysql://") || strings.HasPrefix(lower, "mariadb://"):
		a, err := mysqlwriter.ReadApplied(ctx, from, os.Getenv("MYSQL_PWD"), feed)
		return writer.Applied{Feed: a.Feed, Found: a.Found, LSN: a.LSN, SnapshotID: a.SnapshotID, SnapshotDone: a.SnapshotDone, CommitTime: a.CommitTime}, err
	case strings.HasPrefix(from, "postgres://") || strings.HasPrefix(from, "postgresql://") || strings.Contains(from, "="):
		return writer.ReadApplied(ctx, from, feed)
	default:
		return writer.ReadAckFile(from, feed)
	}
}
