package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/bufpool"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/readers/mysql"
	"github.com/dbmig/dbmig/transforms/convert"
)

const usage = "convert a dbmig stream for another database engine"

const description = `Reads a dbmig stream (from dbextract or a file) on stdin or from FILE and
writes it on stdout converted for the --to engine: column types the target
declares, Arrow values its loader accepts, defaults, generated columns,
identities, keys, indexes and views in its SQL. The converted stream keeps the
source's stream id, so a rerun of dbload on it skips what it already loaded.

Nothing changes silently. A value the target cannot hold (a MySQL zero date,
text with a NUL byte, a PostgreSQL infinity) stops the conversion with an
error naming table, column and key, unless a flag chooses a conversion; what
cannot be translated (a FULLTEXT index, a view using GROUP_CONCAT, a trigger)
is removed or left for manual work and listed. The report of every rule
applied goes to stderr at the end (--report-json FILE for a machine-readable
copy). See docs/CONVERT.md for every rule.

Examples:
  dbextract mysql://app@db1/shop | dbconvert --to postgres | dbload --create postgres://app@db2/shop
  dbconvert --to postgres --identifiers snake --zero-dates null shop.arrows > shop.pg.arrows
  dbextract postgres://app@db2/shop | dbconvert --to mysql --numeric-as 'decimal(65,30)' | dbload mysql://app@db1/shop
  dbextract --unsupported text postgres://app@db2/shop | dbconvert --to mysql --like mysql://app@db1/shop | dbload mysql://app@db1/shop

Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.`

// env is what the command runs against; tests replace its parts.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	isTerminal     func(any) bool
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, isTerminal: command.IsTerminal}
}

// run runs dbconvert with args (args[0] is the program name).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return command.Run(ctx, newEnv(stdin, stdout, stderr).app(), args)
}

func (e *env) app() *cli.App {
	return &cli.App{
		Name:        "dbconvert",
		Usage:       usage,
		UsageText:   "dbconvert --to postgres|mysql [flags] [FILE] < stream > stream",
		Description: description,
		Flags:       append(flags(), command.CommonFlags()...),
		Writer:      e.stdout,
		ErrWriter:   e.stderr,
		Action:      e.action,
	}
}

func flags() []cli.Flag {
	env := func(name string) []string { return []string{"DBCONVERT_" + name} }
	return []cli.Flag{
		&cli.GenericFlag{Name: "to", Value: command.NewChoice("", "postgres", "mysql"), Usage: "target `ENGINE`: postgres or mysql (required)"},
		&cli.GenericFlag{Name: "identifiers", Value: command.NewChoice("preserve", "preserve", "lower", "snake"), EnvVars: env("IDENTIFIERS"),
			Usage: "rename tables, columns, indexes and constraints: preserve, lower or snake (OrderLine.ProductId -> order_line.product_id)"},
		&cli.StringFlag{Name: "schema", Usage: "target `NAME` for the source database's tables (default: the source database's name)"},
		&cli.BoolFlag{Name: "tinyint1-as-bool", Usage: "MySQL -> PostgreSQL: declare tinyint(1) boolean (a value other than 0 or 1 is then an error)"},
		&cli.GenericFlag{Name: "zero-dates", Value: command.NewChoice("error", "error", "null", "epoch"),
			Usage: "MySQL -> PostgreSQL: zero dates (0000-00-00) are an error, null, or epoch (1970-01-01)"},
		&cli.BoolFlag{Name: "enum-as-text", Usage: "MySQL -> PostgreSQL: declare enums text with a CHECK instead of an enum type"},
		&cli.BoolFlag{Name: "strip-nul", Usage: "MySQL -> PostgreSQL: remove NUL bytes from text instead of stopping"},
		&cli.GenericFlag{Name: "numeric-as", Value: command.NewChoice("", "decimal(65,30)", "text"),
			Usage: "PostgreSQL -> MySQL: declare unconstrained numeric decimal(65,30) or text (default: an error)"},
		&cli.GenericFlag{Name: "timestamptz-as", Value: command.NewChoice("timestamp", "timestamp", "datetime"),
			Usage: "PostgreSQL -> MySQL: timestamptz as timestamp(6) (1970-2038 only) or datetime(6) (UTC wall clock)"},
		&cli.GenericFlag{Name: "interval-as", Value: command.NewChoice("", "time", "text"),
			Usage: "PostgreSQL -> MySQL: interval as time(6) (within ±838h, no months) or text (default: an error)"},
		&cli.GenericFlag{Name: "uuid-as", Value: command.NewChoice("char", "char", "binary"),
			Usage: "PostgreSQL -> MySQL: uuid as char(36) or binary(16)"},
		&cli.BoolFlag{Name: "arrays-as-json", Usage: "PostgreSQL -> MySQL: declare arrays json (default: an error)"},
		&cli.GenericFlag{Name: "infinity", Value: command.NewChoice("error", "error", "null"),
			Usage: "PostgreSQL -> MySQL: ±infinity dates and timestamps are an error or null"},
		&cli.StringFlag{Name: "like", EnvVars: env("LIKE"),
			Usage: "PostgreSQL -> MySQL: convert each table that exists in the MySQL database `URL` to the exact types of its columns (fail-back into the original schema)"},
		&cli.StringFlag{Name: "report-json", Usage: "also write the conversion report to `FILE` as JSON"},
		&cli.GenericFlag{Name: "compression", Value: command.NewChoice("zstd", "zstd", "lz4", "none"), EnvVars: env("COMPRESSION"),
			Usage: "`CODEC` of the output's batch bodies: zstd, lz4 or none (none or lz4 on a local pipe)"},
		&cli.GenericFlag{Name: "max-message-size", Value: command.NewSize(format.DefaultMaxMessageBody), EnvVars: env("MAX_MESSAGE_SIZE"),
			Usage: "refuse stream messages (record batches) larger than `SIZE`: a guard against damaged input"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the stream to `FILE` (appears only when complete) instead of stdout"},
	}
}

// options is the validated command line.
type options struct {
	conv       convert.Options
	like       string
	input      string
	output     string
	reportJSON string
	codec      format.Compression
	maxBody    int64
}

func parseOptions(c *cli.Context) (options, error) {
	o := options{
		input:      "",
		output:     c.String("output"),
		reportJSON: c.String("report-json"),
		like:       c.String("like"),
		maxBody:    command.SizeOf(c, "max-message-size"),
		conv: convert.Options{
			To:             command.ChoiceOf(c, "to"),
			Identifiers:    command.ChoiceOf(c, "identifiers"),
			Schema:         c.String("schema"),
			Tinyint1AsBool: c.Bool("tinyint1-as-bool"),
			ZeroDates:      command.ChoiceOf(c, "zero-dates"),
			EnumAsText:     c.Bool("enum-as-text"),
			StripNUL:       c.Bool("strip-nul"),
			NumericAs:      command.ChoiceOf(c, "numeric-as"),
			TimestamptzAs:  command.ChoiceOf(c, "timestamptz-as"),
			IntervalAs:     command.ChoiceOf(c, "interval-as"),
			UUIDAs:         command.ChoiceOf(c, "uuid-as"),
			ArraysAsJSON:   c.Bool("arrays-as-json"),
			Infinity:       command.ChoiceOf(c, "infinity"),
		},
	}
	switch c.NArg() {
	case 0:
	case 1:
		o.input = c.Args().First()
	default:
		return o, command.Usagef("unexpected argument %q after FILE (give at most one input file)", c.Args().Get(1))
	}
	if o.conv.To == "" {
		return o, command.Usagef("missing --to: the target engine, postgres or mysql")
	}
	codec, err := format.ParseCompression(command.ChoiceOf(c, "compression"))
	if err != nil {
		return o, command.Usagef("--compression: %v", err)
	}
	o.codec = codec
	if o.maxBody < 1 {
		return o, command.Usagef("--max-message-size must be more than 0")
	}
	if o.like != "" && o.conv.To != convert.EngineMySQL {
		return o, command.Usagef("--like: only with --to mysql (it reads an existing MySQL database)")
	}
	if err := o.conv.Validate(); err != nil {
		return o, &command.UsageError{Err: err}
	}
	return o, nil
}

func (e *env) action(c *cli.Context) error {
	o, err := parseOptions(c)
	if err != nil {
		return err
	}
	if (o.input == "" || o.input == "-") && e.isTerminal(e.stdin) {
		return command.Usagef("no input: pipe a stream into dbconvert or give FILE")
	}
	if o.output == "" && e.isTerminal(e.stdout) {
		return command.ErrStdoutTerminal
	}
	if o.like != "" {
		if o.conv.Like, err = likeTables(c.Context, o.like); err != nil {
			return err
		}
	}
	in, err := command.OpenInput(o.input, e.stdin)
	if err != nil {
		return err
	}
	defer in.Close() //nolint:errcheck // read-only
	out, err := command.CreateOutput(o.output, e.stdout)
	if err != nil {
		return err
	}
	con := command.NewConsole(c, e.stderr)
	start := time.Now()
	// Recycled, unzeroed buffers for what the reader fills byte by byte (as
	// dbload does): fresh ones cost page faults on every batch.
	r := format.NewReader(in, format.ReaderOptions{MaxMessageBody: o.maxBody, Allocator: &bufpool.Allocator{}})
	rep, err := convert.Convert(c.Context, o.conv, r, func(id string) *format.Writer {
		return format.NewWriter(out, format.WriterOptions{Compression: o.codec, StreamID: id})
	})
	// The report is written whatever happened: on an error it says what
	// was converted before it.
	if werr := rep.WriteText(e.stderr); werr != nil && err == nil {
		err = werr
	}
	if o.reportJSON != "" {
		if werr := writeReport(o.reportJSON, &rep); werr != nil && err == nil {
			err = werr
		}
	}
	if err = out.Finish(err); err != nil {
		return err
	}
	con.Logger.Info("conversion done", "to", o.conv.To, "tables", len(rep.Tables), "stream_in", command.HumanBytes(in.Bytes()),
		"stream_out", command.HumanBytes(out.Bytes()), "elapsed", time.Since(start).Round(time.Millisecond).String())
	return nil
}

func writeReport(path string, rep *convert.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--report-json: %w", err)
	}
	if err := rep.WriteJSON(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("--report-json %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--report-json %s: %w", path, err)
	}
	return nil
}

// likeTables reads the tables of the --like MySQL database: their columns
// exactly as readers/mysql describes them.
func likeTables(ctx context.Context, url string) ([]convert.LikeTable, error) {
	sc, err := mysql.DialScan(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("--like: %w", err)
	}
	defer sc.Close() //nolint:errcheck // read-only
	tables, err := sc.Tables(ctx, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("--like: read the tables of %s: %w", sc.Database(), err)
	}
	out := make([]convert.LikeTable, len(tables))
	for i, t := range tables {
		id := t.ID()
		out[i] = convert.LikeTable{Database: id.Database, Name: id.Name, Columns: t.Columns(), PrimaryKey: t.PrimaryKey(),
			Constraints: t.Constraints(), Indexes: t.Indexes()}
	}
	return out, nil
}
