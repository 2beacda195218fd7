package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/migrate/analyze"
	"github.com/dbmig/dbmig/transforms/convert"
)

// env is what the command runs against; tests replace its parts.
type env struct {
	stdout, stderr io.Writer
}

func newEnv(stdout, stderr io.Writer) *env { return &env{stdout: stdout, stderr: stderr} }

// run runs dbmigrate with args (args[0] is the program name).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	app := newEnv(stdout, stderr).app()
	return command.Run(ctx, app, subcommandArgs(app, args))
}

// subcommandArgs prepares args for command.Run, which moves flags in front
// of positional arguments by the app's own flag list: it would take the
// verb for a positional argument and the verb's flags for unknown ones.
// So the verb's flags are ordered here by the verb's flag list, and "--"
// keeps Run's reordering off the verb and what follows it.
func subcommandArgs(app *cli.App, args []string) []string {
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	out := append([]string{args[0], "--", args[1]}, command.ReorderArgs(cmd.Flags, args[2:])...)
	return out
}

const analyzeDescription = `Reads the source catalog and a sample of every table and writes a report, in
Markdown on stdout (--json FILE and --html FILE write the same content as JSON
and as an HTML page): per table the rows and bytes the catalog gives, every
column with its source and target type, every lossy or unsupported conversion
and why, data-profiling findings that break migrations (zero dates, unsigned
values above 2^63-1, NUL bytes in text, values longer than the target type,
time zones, keys that collide under another collation), the views, triggers
and routines left for manual work, and an estimated copy time from the timed
sample. Nothing is written to any database.

Findings say whether they are exact (counted in SQL over every row of tables
up to --exact-max-size, MySQL sources) or come from the sample. The conversion
flags are dbconvert's: the report and the DDL assume them, so run analyze
again with the flags you will migrate with.

--ddl FILE writes the target DDL (PostgreSQL targets): types and tables, then,
after a "-- section: post-data" line, indexes, keys, constraints, sequences
and translated views. With --target DSN the DDL is tried on that server in one
transaction that is rolled back.

Examples:
  MYSQL_PWD=... dbmigrate analyze --source mysql://app@db1/shop --target-engine postgres > shop.md
  dbmigrate analyze --source mysql://app@db1/shop --target-engine postgres --json shop.json --html shop.html --ddl shop.sql
  dbmigrate analyze --source mysql://app@db1/shop --target-engine postgres --zero-dates epoch --strip-nul \
      --target postgres://app@db2/shop --ddl shop.sql
  dbmigrate analyze --source postgres://app@db2/shop --target-engine mysql --sample-rows 10000

Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.`

func (e *env) app() *cli.App {
	notBuilt := func(name, usage string) *cli.Command {
		return &cli.Command{
			Name: name, Usage: usage + " (not built yet)", SkipFlagParsing: true,
			Action: func(*cli.Context) error {
				return cli.Exit(fmt.Sprintf("dbmigrate %s is not built yet (issue 6): analyze, migrate, sync, validate, cutover and status are", name), 1)
			},
		}
	}
	return &cli.App{
		Name:      "dbmigrate",
		Usage:     "run whole migration jobs: analyze, migrate, sync, validate, cutover, rollback, status",
		UsageText: "dbmigrate VERB [flags]   (dbmigrate VERB --help for each verb)",
		Description: `Verbs:
  analyze    read the source catalog and a sample; report conversions, findings, manual work, copy time
  migrate    zero-downtime copy: snapshot, parallel copy, change capture from the snapshot, in sync until cutover
  sync       continuous change replication into an already-copied target
  validate   row counts, checksums and differing rows of every migrated table (live-aware)
  cutover    fence the source, drain, move sequences, validate; prints the measured write freeze
  rollback   undo to a point in time, or fail back (not built yet)
  status     progress, lag and results of a migration, from its state directory (--json too)

The job verbs share a state directory (--state, default ./.dbmig): kill any of
them and run it again, it carries on.

Examples:
  dbmigrate analyze --source mysql://app@db1/shop --target-engine postgres > shop.md
  dbmigrate migrate --source postgres://app@db1/shop --target postgres://app@db2/shop &
  dbmigrate status
  dbmigrate cutover --read-only-source --max-lag 1s

Exit status: 0 done, 1 failed, 2 usage error, 130 interrupted.`,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Commands: append([]*cli.Command{
			{
				Name:               "analyze",
				Usage:              "report what migrating the source to the target engine involves",
				UsageText:          "dbmigrate analyze --source DSN --target-engine postgres|mysql [--target DSN] [--json FILE] [--html FILE] [--ddl FILE] [flags]",
				Description:        analyzeDescription,
				CustomHelpTemplate: command.HelpTemplate,
				Flags:              append(analyzeFlags(), command.CommonFlags()...),
				Action:             e.analyze,
				// command.Run sets this for the app's own flags only.
				OnUsageError: func(_ *cli.Context, err error, _ bool) error { return &command.UsageError{Err: err} },
			},
			notBuilt("rollback", "undo to a point in time, or fail back"),
		}, e.jobCommands()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return command.Usagef("unknown verb %q (want analyze, migrate, sync, validate, cutover, rollback or status)", c.Args().First())
			}
			return command.Usagef("missing verb: dbmigrate analyze|migrate|sync|validate|cutover|rollback|status (see --help)")
		},
	}
}

func analyzeFlags() []cli.Flag {
	env := func(name string) []string { return []string{"DBMIGRATE_" + name} }
	return []cli.Flag{
		&cli.StringFlag{Name: "source", Usage: "source `DSN`: mysql://, mariadb://, postgres:// or key=value (required)", EnvVars: env("SOURCE")},
		&cli.GenericFlag{Name: "target-engine", Value: command.NewChoice("", "postgres", "mysql"), Usage: "target `ENGINE`: postgres or mysql (required)"},
		&cli.StringFlag{Name: "target", Usage: "target `DSN` (PostgreSQL): try the DDL there in a transaction that is rolled back", EnvVars: env("TARGET")},
		&cli.StringFlag{Name: "json", Usage: "also write the report to `FILE` as JSON"},
		&cli.StringFlag{Name: "html", Usage: "also write the report to `FILE` as an HTML page"},
		&cli.StringFlag{Name: "ddl", Usage: "write the target DDL to `FILE` (PostgreSQL targets)"},
		&cli.StringFlag{Name: "tables", Aliases: []string{"t"}, Usage: "only tables matching `PATTERNS` (comma-separated, * wildcard)"},
		&cli.StringFlag{Name: "exclude", Usage: "skip tables matching `PATTERNS`"},
		&cli.IntFlag{Name: "sample-rows", Value: 1000, Usage: "rows read per table for profiling and timing"},
		&cli.GenericFlag{Name: "exact-max-size", Value: command.NewSize(256 << 20),
			Usage: "run exact checks in SQL over every row of tables up to `SIZE` (MySQL sources; 0: never)"},
		// dbconvert's choices: the report and the DDL assume them.
		&cli.GenericFlag{Name: "identifiers", Value: command.NewChoice("preserve", "preserve", "lower", "snake"), Usage: "rename identifiers: preserve, lower or snake"},
		&cli.StringFlag{Name: "schema", Usage: "target `NAME` for the source database's tables"},
		&cli.BoolFlag{Name: "tinyint1-as-bool", Usage: "MySQL -> PostgreSQL: declare tinyint(1) boolean"},
		&cli.GenericFlag{Name: "zero-dates", Value: command.NewChoice("error", "error", "null", "epoch"), Usage: "MySQL -> PostgreSQL: zero dates are an error, null or epoch"},
		&cli.BoolFlag{Name: "enum-as-text", Usage: "MySQL -> PostgreSQL: enums as text with a CHECK"},
		&cli.BoolFlag{Name: "strip-nul", Usage: "MySQL -> PostgreSQL: remove NUL bytes from text"},
		&cli.GenericFlag{Name: "numeric-as", Value: command.NewChoice("", "decimal(65,30)", "text"), Usage: "PostgreSQL -> MySQL: unconstrained numeric as decimal(65,30) or text"},
		&cli.GenericFlag{Name: "timestamptz-as", Value: command.NewChoice("timestamp", "timestamp", "datetime"), Usage: "PostgreSQL -> MySQL: timestamptz as timestamp or datetime"},
		&cli.GenericFlag{Name: "interval-as", Value: command.NewChoice("", "time", "text"), Usage: "PostgreSQL -> MySQL: interval as time or text"},
		&cli.GenericFlag{Name: "uuid-as", Value: command.NewChoice("char", "char", "binary"), Usage: "PostgreSQL -> MySQL: uuid as char(36) or binary(16)"},
		&cli.BoolFlag{Name: "arrays-as-json", Usage: "PostgreSQL -> MySQL: arrays as json"},
		&cli.GenericFlag{Name: "infinity", Value: command.NewChoice("error", "error", "null"), Usage: "PostgreSQL -> MySQL: ±infinity dates are an error or null"},
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// analyzeOptions is the validated command line.
func analyzeOptions(c *cli.Context) (analyze.Options, error) {
	o := analyze.Options{
		Source:     c.String("source"),
		TargetDSN:  c.String("target"),
		Tables:     splitList(c.String("tables")),
		Exclude:    splitList(c.String("exclude")),
		SampleRows: c.Int("sample-rows"),
		Convert: convert.Options{
			To:             command.ChoiceOf(c, "target-engine"),
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
	if o.ExactMaxBytes = command.SizeOf(c, "exact-max-size"); o.ExactMaxBytes == 0 {
		o.ExactMaxBytes = -1
	}
	if c.NArg() > 0 {
		return o, command.Usagef("unexpected argument %q (the source is --source DSN)", c.Args().First())
	}
	if o.Source == "" {
		return o, command.Usagef("missing --source: the source database's DSN")
	}
	if _, err := command.Engine(o.Source, "--source"); err != nil {
		return o, err
	}
	if o.Convert.To == "" {
		return o, command.Usagef("missing --target-engine: postgres or mysql")
	}
	if o.TargetDSN != "" {
		eng, err := command.Engine(o.TargetDSN, "--target")
		if err != nil {
			return o, err
		}
		if eng != o.Convert.To {
			return o, command.Usagef("--target is a %s DSN but --target-engine is %s", eng, o.Convert.To)
		}
		if eng != convert.EnginePostgres {
			return o, command.Usagef("--target: the DDL dry run is built for PostgreSQL targets only")
		}
	}
	if c.String("ddl") != "" && o.Convert.To != convert.EnginePostgres {
		return o, command.Usagef("--ddl is built for --target-engine postgres only (for MySQL, dbload --create creates the tables)")
	}
	if o.SampleRows < 1 {
		return o, command.Usagef("--sample-rows must be at least 1")
	}
	if err := o.Convert.Validate(); err != nil {
		return o, &command.UsageError{Err: err}
	}
	return o, nil
}

func (e *env) analyze(c *cli.Context) error {
	o, err := analyzeOptions(c)
	if err != nil {
		return err
	}
	con := command.NewConsole(c, e.stderr, o.Source, o.TargetDSN)
	o.Logger = con.Logger
	start := time.Now()
	rep, err := analyze.Analyze(c.Context, o)
	if err != nil {
		return command.RedactError(err, o.Source, o.TargetDSN)
	}
	files := []struct {
		path  string
		write func(io.Writer) error
	}{
		{c.String("json"), rep.WriteJSON},
		{c.String("html"), rep.WriteHTML},
		{c.String("ddl"), rep.WriteDDL},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if err := writeFile(f.path, f.write); err != nil {
			return err
		}
	}
	if err := rep.WriteMarkdown(e.stdout); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	con.Logger.Info("analysis done", "tables", rep.Totals.Tables, "lossy", rep.Totals.Lossy, "findings", rep.Totals.Findings,
		"manual", rep.Totals.Manual, "elapsed", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// writeFile writes a file whole or not at all (a temporary file renamed).
func writeFile(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
