package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/readers/mysql"
	"github.com/dbmig/dbmig/readers/postgres"
)

const usage = "extract a consistent snapshot of a database as a dbmig stream on stdout"

const description = `Reads the tables of SOURCE_DSN in one consistent snapshot, several tables and
key ranges at a time, and writes them as a dbmig stream (Arrow IPC segments) to
stdout or to --output FILE. The stream feeds dbload, dbconvert or a file.

SOURCE_DSN is a postgres:// or postgresql:// URL or a key=value string
("host=db1 dbname=shop user=app"), or a mysql:// URL
(mysql://user@host:port/database, MariaDB too; go-sql-driver parameters such
as ?tls=true pass through). Give the password in PGPASSWORD or ~/.pgpass
(MYSQL_PWD for MySQL), not on the command line. Flags may go before or after SOURCE_DSN.
Sizes take a unit: KB, MB, GB (powers of 1000) or KiB, MiB, GiB (of 1024).

Examples:
  dbextract postgres://app@db1/shop > shop.arrows
  dbextract --tables 'public.orders,public.order_items' --parallel 4 postgres://app@db1/shop | dbload --create postgres://app@db2/shop
  dbextract postgres://app@db1/shop --compression lz4 | dbload postgres://app@db2/shop --create
  dbextract -o shop.arrows --exclude 'audit.*' postgres://app@db1/shop
  MYSQL_PWD=... dbextract mysql://app@db1:3306/shop > shop.arrows

Use --compression lz4 or none on a pipe between processes on the same machine
(it leaves CPU to the database servers); keep zstd for files and networks.

Exit status: 0 done, 1 failed, 2 usage error, 141 the reading side closed the
pipe, 130 interrupted.`

// env is what the command runs against; tests replace its parts.
type env struct {
	stdout, stderr io.Writer
	isTerminal     func(any) bool
	extract        func(context.Context, postgres.Config, *format.Writer) (postgres.Stats, error)
	extractMySQL   extractMySQL
}

func newEnv(stdout, stderr io.Writer) *env {
	return &env{stdout: stdout, stderr: stderr, isTerminal: command.IsTerminal, extract: postgres.Extract, extractMySQL: mysql.Extract}
}

// run runs dbextract with args (args[0] is the program name).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return command.Run(ctx, newEnv(stdout, stderr).app(), args)
}

func (e *env) app() *cli.App {
	return &cli.App{
		Name:        "dbextract",
		Usage:       usage,
		UsageText:   "dbextract [flags] SOURCE_DSN",
		Description: description,
		Flags:       append(flags(), command.CommonFlags()...),
		Writer:      e.stdout,
		ErrWriter:   e.stderr,
		Action:      e.action,
	}
}

func flags() []cli.Flag {
	env := func(name string) []string { return []string{"DBEXTRACT_" + name} }
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "tables", Aliases: []string{"t"}, EnvVars: env("TABLES"),
			Usage: "extract only these `TABLES`: schema.table or table, * matches anything; comma list, repeatable (default: all)"},
		&cli.StringSliceFlag{Name: "exclude", Aliases: []string{"T"}, EnvVars: env("EXCLUDE"),
			Usage: "leave out these `TABLES` (same patterns as --tables)"},
		&cli.IntFlag{Name: "parallel", Aliases: []string{"j"}, Value: 2, EnvVars: env("PARALLEL"),
			Usage: "read with `N` connections at once"},
		&cli.GenericFlag{Name: "chunk-size", Value: command.NewSize(32 << 20), EnvVars: env("CHUNK_SIZE"),
			Usage: "split tables larger than `SIZE` into key or block ranges, one segment each"},
		&cli.GenericFlag{Name: "split-by", Value: command.NewChoice("auto", "auto", "scan", "pk", "ctid", "none"), EnvVars: env("SPLIT_BY"),
			Usage: "split large tables `BY` scan (one sequential COPY cut into parts: lightest on the server; the auto default), pk (integer key ranges read in parallel), ctid (block ranges read in parallel) or none"},
		&cli.IntFlag{Name: "batch-rows", Value: 65536, EnvVars: env("BATCH_ROWS"),
			Usage: "at most `N` rows per record batch"},
		&cli.GenericFlag{Name: "batch-size", Value: command.NewSize(8 << 20), EnvVars: env("BATCH_SIZE"),
			Usage: "at most `SIZE` of values per record batch"},
		&cli.StringFlag{Name: "snapshot", EnvVars: env("SNAPSHOT"),
			Usage: "read in this exported snapshot `NAME` (pg_export_snapshot() or a replication slot's) instead of a new one"},
		&cli.GenericFlag{Name: "numeric", Value: command.NewChoice("decimal", "decimal", "text"), EnvVars: env("NUMERIC"),
			Usage: "carry numeric columns `AS` decimal (decimal128 with the column's precision) or text (exact text, for any precision)"},
		&cli.GenericFlag{Name: "unsupported", Value: command.NewChoice("error", "error", "text"), EnvVars: env("UNSUPPORTED"),
			Usage: "on a column of a type dbmig cannot carry, `DO` error (stop) or text (read it as text)"},
		&cli.GenericFlag{Name: "compression", Value: command.NewChoice("zstd", "none", "lz4", "zstd"), EnvVars: env("COMPRESSION"),
			Usage: "compress record batches with `CODEC`: none, lz4 or zstd"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"},
			Usage: "write the stream to `FILE` (complete or not at all) instead of stdout"},
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"},
			Usage: "write the stream to stdout even when it is a terminal"},
	}
}

// options is the validated command line.
type options struct {
	source      string
	cfg         postgres.Config
	compression format.Compression
	output      string
	force       bool
}

func parseOptions(c *cli.Context) (options, error) {
	source, err := command.Arg(c, "SOURCE_DSN")
	if err != nil {
		return options{}, err
	}
	o := options{
		source: source,
		output: c.String("output"),
		force:  c.Bool("force"),
		cfg: postgres.Config{
			DSN:               source,
			Tables:            patterns(c.StringSlice("tables")),
			Exclude:           patterns(c.StringSlice("exclude")),
			Parallel:          c.Int("parallel"),
			ChunkBytes:        command.SizeOf(c, "chunk-size"),
			SplitBy:           command.ChoiceOf(c, "split-by"),
			BatchRows:         c.Int("batch-rows"),
			BatchBytes:        command.SizeOf(c, "batch-size"),
			Snapshot:          c.String("snapshot"),
			NumericAsText:     command.ChoiceOf(c, "numeric") == "text",
			UnsupportedAsText: command.ChoiceOf(c, "unsupported") == "text",
		},
	}
	if o.compression, err = format.ParseCompression(command.ChoiceOf(c, "compression")); err != nil {
		return options{}, &command.UsageError{Err: fmt.Errorf("--compression: %w", err)}
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case o.cfg.Parallel < 1:
		return command.Usagef("--parallel must be at least 1, got %d", o.cfg.Parallel)
	case o.cfg.BatchRows < 1:
		return command.Usagef("--batch-rows must be at least 1, got %d", o.cfg.BatchRows)
	case o.cfg.ChunkBytes < 1:
		return command.Usagef("--chunk-size must be more than 0")
	case o.cfg.BatchBytes < 1:
		return command.Usagef("--batch-size must be more than 0")
	}
	return nil
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

func (e *env) action(c *cli.Context) error {
	o, err := parseOptions(c)
	if err != nil {
		return err
	}
	engine, err := command.Engine(o.source, "SOURCE_DSN")
	if err != nil {
		return err
	}
	if engine == command.EngineMySQL {
		return e.actionMySQL(c, o)
	}
	if (o.output == "" || o.output == "-") && !o.force && e.isTerminal(e.stdout) {
		return command.ErrStdoutTerminal
	}
	con := command.NewConsole(c, e.stderr, o.source)
	log := con.Logger

	out, err := command.CreateOutput(o.output, e.stdout)
	if err != nil {
		return err
	}
	// Progress counts estimated bytes, or chunks when the plan has no size
	// estimate. It is made when the plan is known, before any chunk is done.
	type progress struct {
		*command.Progress
		bytes bool
	}
	var bar atomic.Pointer[progress]
	o.cfg.Logger = log
	o.cfg.OnPlan = func(p postgres.Plan) {
		if p.EstBytes > 0 {
			bar.Store(&progress{con.Progress("extract", p.EstBytes, true), true})
		} else {
			bar.Store(&progress{con.Progress("extract", int64(p.Chunks), false), false})
		}
	}
	o.cfg.OnChunk = func(ch postgres.ChunkDone) {
		log.Debug("chunk written", "table", ch.Table, "chunk", ch.Chunk, "rows", ch.Rows)
		switch p := bar.Load(); {
		case p == nil:
		case p.bytes:
			p.Add(ch.EstBytes)
		default:
			p.Add(1)
		}
	}

	log.Info("extracting", "source", command.Redact(o.source), "parallel", o.cfg.Parallel,
		"compression", o.compression, "output", outputName(o.output))
	start := time.Now()
	w := format.NewWriter(out, format.WriterOptions{Compression: o.compression})
	// dbextract holds up to one chunk per worker (spooled segments) plus the
	// batches being decoded and compressed; arrow-go's zstd encoding adds
	// garbage enough to need a collector that runs sooner (see
	// command.SetMemoryBudget; without zstd the limit only costs time).
	if o.compression == format.CompressionZstd {
		command.SetMemoryBudget(64<<20 + int64(max(o.cfg.Parallel, 1))*(o.cfg.ChunkBytes+16<<20))
	}
	st, err := e.extract(c.Context, o.cfg, w)
	if err == nil {
		err = w.Close() // the trailer: only a complete stream gets one
	}
	if p := bar.Load(); p != nil {
		p.Finish()
	}
	if err = out.Finish(err); err != nil {
		if out.Path() != "" {
			log.Warn("incomplete output removed", "output", out.Path())
		}
		return command.RedactError(err, o.source)
	}
	elapsed := time.Since(start)
	log.Info("extract done", "tables", st.Tables, "chunks", st.Chunks, "rows", st.Rows,
		"bytes", out.Bytes(), "size", command.HumanBytes(out.Bytes()),
		"elapsed", elapsed.Round(time.Millisecond).String(), "rate", command.Rate(out.Bytes(), elapsed),
		"snapshot", st.Snapshot, "output", outputName(o.output))
	return nil
}

func outputName(path string) string {
	if path == "" || path == "-" {
		return "stdout"
	}
	return path
}
