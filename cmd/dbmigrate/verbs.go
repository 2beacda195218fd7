package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/migrate"
	"github.com/dbmig/dbmig/transforms/convert"
)

// The job verbs share one state directory (--state): the plan, progress,
// report, and the lock of the process running the pipeline.

func stateFlags(withDSNs bool) []cli.Flag {
	env := func(name string) []string { return []string{"DBMIGRATE_" + name} }
	fs := []cli.Flag{
		&cli.StringFlag{Name: "state", Value: ".dbmig", EnvVars: env("STATE"),
			Usage: "the migration's state `DIR` (plan, progress, report), shared by every verb"},
	}
	if withDSNs {
		fs = append(fs,
			&cli.StringFlag{Name: "source", EnvVars: env("SOURCE"),
				Usage: "source `DSN` (postgres://, mysql://, mariadb://); after migrate, taken from the state when it holds no password"},
			&cli.StringFlag{Name: "target", EnvVars: env("TARGET"),
				Usage: "target `DSN` (postgres://); after migrate, taken from the state when it holds no password"})
	}
	return fs
}

func (e *env) jobCommand(name, usage, usageText, description string, flags []cli.Flag, action cli.ActionFunc) *cli.Command {
	return &cli.Command{
		Name: name, Usage: usage, UsageText: usageText, Description: description,
		CustomHelpTemplate: command.HelpTemplate,
		Flags:              append(flags, command.CommonFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return command.Usagef("unexpected argument %q (DSNs are --source and --target)", c.Args().First())
			}
			return action(c)
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return &command.UsageError{Err: err} },
	}
}

func (e *env) jobCommands() []*cli.Command {
	env := func(name string) []string { return []string{"DBMIGRATE_" + name} }
	progressEvery := &cli.DurationFlag{Name: "progress-every", Value: 10 * time.Second, EnvVars: env("PROGRESS_EVERY"),
		Usage: "log a progress line every `DURATION` (the state's progress.json is rewritten every second)"}
	migrateFlags := append(stateFlags(true),
		&cli.IntFlag{Name: "parallel", Aliases: []string{"j"}, Value: 2, EnvVars: env("PARALLEL"),
			Usage: "copy with `N` connections (tables in parallel, big tables in key ranges)"},
		&cli.StringFlag{Name: "tables", Aliases: []string{"t"}, EnvVars: env("TABLES"), Usage: "only tables matching `PATTERNS` (comma-separated, * wildcard)"},
		&cli.StringFlag{Name: "exclude", EnvVars: env("EXCLUDE"), Usage: "leave out tables matching `PATTERNS`"},
		&cli.StringFlag{Name: "slot", Value: "dbmigrate", EnvVars: env("SLOT"),
			Usage: "replication slot `NAME` (PostgreSQL source) and change feed name"},
		progressEvery,
		// dbconvert's choices for a MySQL source.
		&cli.GenericFlag{Name: "identifiers", Value: command.NewChoice("preserve", "preserve", "lower", "snake"), Usage: "MySQL source: rename identifiers: preserve, lower or snake"},
		&cli.StringFlag{Name: "schema", Usage: "MySQL source: target schema `NAME` for the source database's tables"},
		&cli.BoolFlag{Name: "tinyint1-as-bool", Usage: "MySQL source: declare tinyint(1) boolean"},
		&cli.GenericFlag{Name: "zero-dates", Value: command.NewChoice("error", "error", "null", "epoch"), Usage: "MySQL source: zero dates are an error, null or epoch"},
		&cli.BoolFlag{Name: "enum-as-text", Usage: "MySQL source: enums as text with a CHECK"},
		&cli.BoolFlag{Name: "strip-nul", Usage: "MySQL source: remove NUL bytes from text"},
	)
	return []*cli.Command{
		e.jobCommand("migrate", "zero-downtime copy with change capture, in sync until cutover",
			"dbmigrate migrate --source DSN --target DSN [--state DIR] [--parallel N] [--tables PATTERNS] [flags]",
			migrateDescription, migrateFlags, e.migrate),
		e.jobCommand("sync", "continuous change replication into an already-copied target",
			"dbmigrate sync [--state DIR] [--source DSN] [--target DSN]",
			syncDescription, append(stateFlags(true), progressEvery), e.sync),
		e.jobCommand("validate", "compare every migrated table of source and target",
			"dbmigrate validate [--state DIR] [--source DSN] [--target DSN] [--json] [--live DURATION]",
			validateDescription, append(stateFlags(true),
				&cli.BoolFlag{Name: "json", Usage: "write the result as one JSON document"},
				&cli.DurationFlag{Name: "live", Value: -1, Usage: "re-check differing rows after `DELAY` (default: 3s while a migrate runs, else 0)"},
				&cli.GenericFlag{Name: "mode", Value: command.NewChoice("auto", "auto", "pushdown", "stream"), Usage: "digest `MODE`: auto, pushdown or stream (as dbcheck)"},
			), e.validate),
		e.jobCommand("cutover", "fence the source, drain, move sequences, validate; print the write freeze",
			"dbmigrate cutover [--state DIR] [--read-only-source] [--max-lag 1s] [--json]",
			cutoverDescription, append(stateFlags(true),
				&cli.BoolFlag{Name: "read-only-source", Usage: "make the source read-only before the fence"},
				&cli.DurationFlag{Name: "max-lag", Value: time.Second, Usage: "take the fence once the lag is under `DURATION`"},
				&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "give up waiting for the lag or the drain after `DURATION`"},
				&cli.BoolFlag{Name: "no-validate", Usage: "skip the final validation"},
				&cli.BoolFlag{Name: "keep-slot", Usage: "keep the PostgreSQL replication slot (it holds WAL on the source)"},
				&cli.BoolFlag{Name: "json", Usage: "write the result as one JSON document"},
			), e.cutover),
		e.jobCommand("status", "progress, lag and results of a migration, from its state directory",
			"dbmigrate status [--state DIR] [--json]",
			statusDescription, append(stateFlags(false), &cli.BoolFlag{Name: "json", Usage: "write the status as one JSON document"}), e.status),
	}
}

const jobExit = `Exit status: 0 done, 1 failed (validate, cutover: or differences found), 2 usage error, 130/143 interrupted.`

const migrateDescription = `Copies the source into the target and keeps it in sync, in one process: the
tables first, a consistent snapshot tied to the change stream's start copied
by table and key range with --parallel connections, indexes and constraints
after the data, then every change from exactly the snapshot's position (no gap,
no duplicate), applied in target transactions with their checkpoint. It runs
until SIGINT/SIGTERM (a clean stop: complete transactions are applied) or
until dbmigrate cutover fences the source.

The pipeline is dbcdc --snapshot | dbconvert --to postgres | dbload --apply
--create, composed in-process. Kill it at any moment and run the same command:
it carries on from the target's checkpoint (a snapshot that did not finish is
taken again). The state directory records the plan (DSNs with passwords
masked), progress (read it with dbmigrate status) and the report. Progress
goes to stderr. Targets: PostgreSQL (a MySQL target needs a change apply that
does not exist yet).

Examples:
  dbmigrate migrate --source postgres://app@db1/shop --target postgres://app@db2/shop --parallel 4
  MYSQL_PWD=... dbmigrate migrate --source mysql://app@db1/shop --target postgres://app@db2/shop --state /var/lib/dbmig/shop
  dbmigrate migrate --source postgres://app@db1/shop --target postgres://app@db2/shop --tables 'public.orders*' --slot shop_mig

` + jobExit

const syncDescription = `Replicates changes into a target that migrate has copied, from the position
the target recorded, until SIGINT/SIGTERM or a cutover's fence. migrate does
the same after its copy; sync is for restarting the replication alone.

Examples:
  dbmigrate sync --state /var/lib/dbmig/shop
  dbmigrate sync --source postgres://app:secret@db1/shop --target postgres://app:secret@db2/shop

` + jobExit

const validateDescription = `Compares every migrated table of the source and the target as dbcheck does
(row counts, schema, range digests, bisection to the differing rows) and
writes the result into the state's report. While a migrate runs, differing
rows are re-checked after --live (3s by default) and only those still
different are reported: changes in flight are not differences.

Examples:
  dbmigrate validate --state /var/lib/dbmig/shop
  dbmigrate validate --json --live 10s

` + jobExit

const cutoverDescription = `Switches over to the target: waits until the running migrate's lag is under
--max-lag, fences the source (with --read-only-source, after making it
read-only: PostgreSQL ALTER DATABASE ... SET default_transaction_read_only = on
and the database's other client sessions terminated; MySQL SET GLOBAL
read_only = ON), has migrate apply every change before the fence and stop (or
applies them itself when no migrate runs), moves the target's sequences and
identities past the source's values, drops the replication slot, validates
every table and prints the write freeze: from fencing the source to the target
holding every change before the fence.

Without --read-only-source, stop the application's writes first: changes
after the fence stay on the source. Undo the read-only setting with ALTER
DATABASE ... RESET default_transaction_read_only (SET GLOBAL read_only = OFF).

Examples:
  dbmigrate cutover --state /var/lib/dbmig/shop --read-only-source --max-lag 1s
  dbmigrate cutover --json

` + jobExit

const statusDescription = `Prints a migration's phase, copy progress (tables and chunks done, rows,
MB/s, ETA), change position and lag, and the validation and cutover results,
from the state directory alone: it works at any time, while a verb runs or not.

Examples:
  dbmigrate status
  dbmigrate status --state /var/lib/dbmig/shop --json | jq .progress.lag_seconds

Exit status: 0 done, 1 failed (no migration in the state), 2 usage error.`

// options reads the flags the job verbs share.
func (e *env) options(c *cli.Context) (migrate.Options, *command.Console, error) {
	st, err := migrate.OpenState(c.String("state"))
	if err != nil {
		return migrate.Options{}, nil, err
	}
	o := migrate.Options{State: st, Endpoints: migrate.Endpoints{Source: c.String("source"), Target: c.String("target")}}
	con := command.NewConsole(c, e.stderr, o.Source, o.Target)
	o.Logger = con.Logger
	if c.IsSet("progress-every") || c.Command.Name == "migrate" || c.Command.Name == "sync" {
		o.LogEvery = c.Duration("progress-every")
	}
	return o, con, nil
}

func (e *env) migrate(c *cli.Context) error {
	o, _, err := e.options(c)
	if err != nil {
		return err
	}
	if o.Source == "" || o.Target == "" {
		return command.Usagef("migrate needs --source and --target")
	}
	for flag, dsn := range map[string]string{"--source": o.Source, "--target": o.Target} {
		if _, err := command.Engine(dsn, flag); err != nil {
			return err
		}
	}
	o.Parallel = c.Int("parallel")
	o.Tables, o.Exclude = splitList(c.String("tables")), splitList(c.String("exclude"))
	o.Slot = c.String("slot")
	o.Convert = convert.Options{
		Identifiers: command.ChoiceOf(c, "identifiers"), Schema: c.String("schema"), Tinyint1AsBool: c.Bool("tinyint1-as-bool"),
		ZeroDates: command.ChoiceOf(c, "zero-dates"), EnumAsText: c.Bool("enum-as-text"), StripNUL: c.Bool("strip-nul"),
	}
	return command.RedactError(migrate.Migrate(c.Context, o), o.Source, o.Target)
}

func (e *env) sync(c *cli.Context) error {
	o, _, err := e.options(c)
	if err != nil {
		return err
	}
	return command.RedactError(migrate.Sync(c.Context, o), o.Source, o.Target)
}

func (e *env) validate(c *cli.Context) error {
	o, _, err := e.options(c)
	if err != nil {
		return err
	}
	res, err := migrate.Validate(c.Context, migrate.ValidateOptions{Options: o, Live: c.Duration("live"), Mode: command.ChoiceOf(c, "mode")})
	if err != nil {
		return command.RedactError(err, o.Source, o.Target)
	}
	if c.Bool("json") {
		err = writeJSON(e.stdout, res)
	} else {
		err = res.Compare.WriteText(e.stdout)
	}
	if err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	if !res.Equal {
		return cli.Exit("", command.ExitFailure)
	}
	return nil
}

func (e *env) cutover(c *cli.Context) error {
	o, _, err := e.options(c)
	if err != nil {
		return err
	}
	res, err := migrate.Cutover(c.Context, migrate.CutoverOptions{Options: o, ReadOnlySource: c.Bool("read-only-source"),
		MaxLag: c.Duration("max-lag"), Timeout: c.Duration("timeout"), SkipValidation: c.Bool("no-validate"), KeepSlot: c.Bool("keep-slot")})
	if err != nil {
		return command.RedactError(err, o.Source, o.Target)
	}
	if c.Bool("json") {
		err = writeJSON(e.stdout, res)
	} else {
		verdict := "not validated"
		if v := res.Validation; v != nil {
			verdict = fmt.Sprintf("validation: %d tables equal", v.Tables)
			if !v.Equal {
				verdict = fmt.Sprintf("validation: DIFFERENT (%d differences; dbmigrate validate lists them)", v.Differences)
			}
		}
		_, err = fmt.Fprintf(e.stdout, "cutover done: fence %s, write freeze %.3fs (fence to target current, drained by %s), %d sequences moved, %s\n",
			res.Fence, res.WriteFreezeSeconds, res.DrainedBy, len(res.Sequences), verdict)
	}
	if err != nil {
		return fmt.Errorf("write the result: %w", err)
	}
	if res.Validation != nil && !res.Validation.Equal {
		return cli.Exit("", command.ExitFailure)
	}
	return nil
}

func (e *env) status(c *cli.Context) error {
	st, err := migrate.OpenState(c.String("state"))
	if err != nil {
		return err
	}
	s, err := migrate.ReadStatus(st)
	if errors.Is(err, migrate.ErrNoPlan) {
		return fmt.Errorf("%s: %w", st.Dir, err)
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return s.WriteJSON(e.stdout)
	}
	return s.WriteText(e.stdout)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
