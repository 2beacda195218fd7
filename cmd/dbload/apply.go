package main

import (
	"errors"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/writers/postgres"
)

func applyFlags() []cli.Flag {
	env := func(name string) []string { return []string{"DBLOAD_" + name} }
	return []cli.Flag{
		&cli.BoolFlag{Name: "apply",
			Usage: "apply a change stream (from dbcdc): its snapshot, then its changes, exactly once, until the stream ends"},
		&cli.GenericFlag{Name: "on-ddl", Value: command.NewChoice("stop", "stop", "skip"), EnvVars: env("ON_DDL"),
			Usage: "with --apply, when a table's columns change other than by added columns: `DO` stop, or skip (apply the columns both sides have)"},
		&cli.StringFlag{Name: "ack-file", EnvVars: env("ACK_FILE"),
			Usage: "with --apply, rewrite `FILE` after each commit with what the target holds (for dbcdc --ack-from FILE)"},
		&cli.DurationFlag{Name: "lag-every", Value: 10 * time.Second, EnvVars: env("LAG_EVERY"),
			Usage: "with --apply, report the lag (source commit to target commit) every `DURATION`"},
		&cli.Int64Flag{Name: "apply-rows", Value: 100000, EnvVars: env("APPLY_ROWS"),
			Usage: "with --apply, merge waiting source transaction groups into one target transaction up to `N` changes"},
	}
}

// apply runs dbload --apply.
func (e *env) apply(c *cli.Context, o options, in *command.Input, ropts format.ReaderOptions) error {
	if engine, _ := command.Engine(o.target, "TARGET_DSN"); engine != command.EnginePostgres {
		return errors.New("--apply loads into PostgreSQL only so far")
	}
	con := command.NewConsole(c, e.stderr, o.target)
	log := con.Logger
	o.cfg.Logger = log
	cfg := postgres.ApplyConfig{Config: o.cfg, OnDDL: command.ChoiceOf(c, "on-ddl"), AckFile: c.String("ack-file"), MaxRows: c.Int64("apply-rows")}
	every := c.Duration("lag-every")
	var last time.Time
	var rows, txs int64
	cfg.OnApplied = func(g postgres.AppliedGroup) {
		rows += g.Rows
		txs += g.Transactions
		if every > 0 && time.Since(last) >= every {
			log.Info("applied", "lsn", g.LSN, "lag", g.Lag.Round(time.Millisecond).String(), "changes", rows, "transactions", txs)
			last = time.Now()
		}
	}
	log.Info("applying", "target", command.Redact(o.target), "create", o.cfg.Create)
	start := time.Now()
	st, err := postgres.Apply(c.Context, cfg, format.NewReader(in, ropts))
	if err != nil {
		return command.RedactError(err, o.target)
	}
	log.Info("apply stopped", "feed", st.Feed, "lsn", st.LSN, "snapshot_rows", st.Snapshot.Rows, "commits", st.Commits,
		"transactions", st.Transactions, "changes", st.Changes, "skipped", st.Skipped, "elapsed", time.Since(start).Round(time.Millisecond).String())
	return nil
}
