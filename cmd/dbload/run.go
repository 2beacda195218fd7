package main

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/bufpool"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/writers/postgres"
)

const usage = "load a dbmig stream from stdin into a database"

const description = `Reads a dbmig stream (from dbextract, dbconvert or a file) on stdin or from
--input FILE and loads it into TARGET_DSN: with --create it first creates the
schemas, types, sequences and tables, and after the data the keys, indexes,
constraints and foreign keys. Several chunks load at once, each in its own
transaction. Chunks committed by an earlier run of the same stream are skipped,
so a failed load can be rerun with the same input.

Every segment of the stream is checked (row count, digest) and the stream must
end with its trailer: a damaged or truncated stream stops the load with an
error naming the segment and byte offset.

TARGET_DSN is a postgres:// or postgresql:// URL or a key=value string
("host=db2 dbname=shop user=app"). Give the password in PGPASSWORD or
~/.pgpass, not on the command line. Flags may go before or after TARGET_DSN.

Examples:
  dbload --create postgres://app@db2/shop < shop.arrows
  dbextract --tables 'public.orders,public.order_items' --parallel 4 postgres://app@db1/shop | dbload --create postgres://app@db2/shop
  dbextract postgres://app@db1/shop --compression lz4 | dbload postgres://app@db2/shop --create
  dbload -i shop.arrows --parallel 4 --maintenance-work-mem 1GB postgres://app@db2/shop --create

With --progress auto, dbload draws a progress bar only when it reads a file
(in a pipeline, dbextract draws one).

Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.`

// env is what the command runs against; tests replace its parts.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     func(any) bool
	load           func(context.Context, postgres.Config, *format.Reader) (postgres.Stats, error)
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, isTerminal: command.IsTerminal, load: postgres.Load}
}

// run runs dbload with args (args[0] is the program name).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return command.Run(ctx, newEnv(stdin, stdout, stderr).app(), args)
}

func (e *env) app() *cli.App {
	return &cli.App{
		Name:        "dbload",
		Usage:       usage,
		UsageText:   "dbload [flags] TARGET_DSN < stream",
		Description: description,
		Flags:       append(append(flags(), applyFlags()...), command.CommonFlags()...),
		Writer:      e.stdout,
		ErrWriter:   e.stderr,
		Action:      e.action,
	}
}

func flags() []cli.Flag {
	env := func(name string) []string { return []string{"DBLOAD_" + name} }
	return []cli.Flag{
		&cli.BoolFlag{Name: "create",
			Usage: "create the stream's schemas, types, sequences and tables (else they must exist, and rows are appended)"},
		&cli.IntFlag{Name: "parallel", Aliases: []string{"j"}, Value: 2, EnvVars: env("PARALLEL"),
			Usage: "load with `N` connections at once"},
		&cli.BoolFlag{Name: "analyze", DefaultText: "on with --create",
			Usage: "ANALYZE the loaded tables at the end (--analyze=false to skip)"},
		&cli.StringFlag{Name: "maintenance-work-mem", EnvVars: env("MAINTENANCE_WORK_MEM"),
			Usage: "set maintenance_work_mem to `MEM` for the index builds (PostgreSQL units, e.g. 1GB)"},
		&cli.GenericFlag{Name: "max-message-size", Value: command.NewSize(format.DefaultMaxMessageBody), EnvVars: env("MAX_MESSAGE_SIZE"),
			Usage: "refuse stream messages (record batches) larger than `SIZE`: a guard against damaged input"},
		&cli.StringFlag{Name: "input", Aliases: []string{"i"},
			Usage: "read the stream from `FILE` instead of stdin"},
	}
}

// options is the validated command line.
type options struct {
	target  string
	cfg     postgres.Config
	input   string
	maxBody int64
}

func parseOptions(c *cli.Context) (options, error) {
	target, err := command.Arg(c, "TARGET_DSN")
	if err != nil {
		return options{}, err
	}
	o := options{
		target:  target,
		input:   c.String("input"),
		maxBody: command.SizeOf(c, "max-message-size"),
		cfg: postgres.Config{
			DSN:                target,
			Create:             c.Bool("create"),
			Parallel:           c.Int("parallel"),
			Analyze:            c.Bool("create"),
			MaintenanceWorkMem: c.String("maintenance-work-mem"),
		},
	}
	if c.IsSet("analyze") {
		o.cfg.Analyze = c.Bool("analyze")
	}
	switch {
	case o.cfg.Parallel < 1:
		return options{}, command.Usagef("--parallel must be at least 1, got %d", o.cfg.Parallel)
	case o.maxBody < 1:
		return options{}, command.Usagef("--max-message-size must be more than 0")
	}
	return o, nil
}

func (e *env) action(c *cli.Context) error {
	o, err := parseOptions(c)
	if err != nil {
		return err
	}
	engine, err := command.Engine(o.target, "TARGET_DSN")
	if err != nil {
		return err
	}
	load := e.load
	if engine == command.EngineMySQL {
		load = e.loadMySQL // mysql.go
	}
	if (o.input == "" || o.input == "-") && e.isTerminal(e.stdin) {
		return command.Usagef("no input: pipe a stream into dbload or give --input FILE")
	}
	in, err := command.OpenInput(o.input, e.stdin)
	if err != nil {
		return err
	}
	defer in.Close() //nolint:errcheck // read-only
	con := command.NewConsole(c, e.stderr, o.target)
	log := con.Logger
	// Every buffer the stream reader allocates is overwritten whole (message
	// bodies by the read, decompressed buffers by the decompressor): recycle
	// them instead of having the runtime zero fresh ones per batch.
	ropts := format.ReaderOptions{MaxMessageBody: o.maxBody, Allocator: &bufpool.Allocator{}}

	// Nothing at all on the input almost always means the upstream command
	// failed: say so without touching the target.
	log.Debug("waiting for the stream", "input", inputName(o.input))
	if _, err := in.Peek(1); err == io.EOF {
		_, err = format.NewReader(in, ropts).Next()
		return err
	}
	if c.Bool("apply") {
		return e.apply(c, o, in, ropts) // apply.go: a change stream from dbcdc
	}

	// In a pipeline the upstream command draws the bar (dbextract knows
	// the total); two bars on one terminal line would fight. So by default
	// dbload shows progress only when it reads a file.
	var bar *command.Progress
	if in.Size() >= 0 || con.ProgressMode() == "always" {
		bar = con.Progress("load", in.Size(), true)
	}
	in.ReportTo(bar)
	var arrowBytes atomic.Int64
	o.cfg.Logger = log
	o.cfg.OnChunk = func(ch postgres.ChunkDone) {
		arrowBytes.Add(ch.Bytes)
		log.Debug("chunk loaded", "table", ch.Table, "chunk", ch.Chunk, "rows", ch.Rows, "skipped", ch.Skipped)
	}

	log.Info("loading", "target", command.Redact(o.target), "create", o.cfg.Create,
		"parallel", o.cfg.Parallel, "input", inputName(o.input))
	start := time.Now()
	// dbload holds up to parallel+1 whole segments (a chunk each, 32 MiB by
	// dbextract's default). arrow-go's zstd decoding adds garbage enough to
	// need a collector that runs sooner; without zstd the limit only costs
	// time (measured 3-6%), so it is set for zstd streams.
	o.cfg.OnStream = func(h format.Header) {
		if h.Compression == format.CompressionZstd {
			command.SetMemoryBudget(64<<20 + int64(max(o.cfg.Parallel, 1)+1)*48<<20)
		}
	}
	st, err := load(c.Context, o.cfg, format.NewReader(in, ropts))
	bar.Finish()
	if err != nil {
		// A *format.StreamError already names segment and byte offset.
		return command.RedactError(err, o.target)
	}
	elapsed := time.Since(start)
	dataPhase := st.DataPhase
	if dataPhase <= 0 {
		dataPhase = elapsed
	}
	log.Info("load done", "tables", st.Tables, "chunks", st.Chunks, "skipped", st.ChunksSkipped,
		"rows", st.Rows, "stream_size", command.HumanBytes(in.Bytes()), "arrow_size", command.HumanBytes(arrowBytes.Load()),
		"data_phase", st.DataPhase.Round(time.Millisecond).String(), "post_data", st.PostData.Round(time.Millisecond).String(),
		"elapsed", elapsed.Round(time.Millisecond).String(), "rate", command.Rate(in.Bytes(), dataPhase), "stream", st.Stream)
	return nil
}

func inputName(path string) string {
	if path == "" || path == "-" {
		return "stdin"
	}
	return path
}
