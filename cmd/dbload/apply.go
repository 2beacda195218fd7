package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/writers/mysql"
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
	engine, err := command.Engine(o.target, "TARGET_DSN")
	if err != nil {
		return err
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
	applyFn := postgres.Apply
	switch engine {
	case command.EnginePostgres:
	case command.EngineMySQL:
		applyFn = applyMySQL
	default:
		return errors.New("--apply loads into PostgreSQL or MySQL/MariaDB only")
	}
	log.Info("applying", "target", command.Redact(o.target), "create", o.cfg.Create)
	start := time.Now()
	st, err := applyFn(c.Context, cfg, format.NewReader(in, ropts))
	if err != nil {
		return command.RedactError(err, o.target)
	}
	log.Info("apply stopped", "feed", st.Feed, "lsn", st.LSN, "snapshot_rows", st.Snapshot.Rows, "commits", st.Commits,
		"transactions", st.Transactions, "changes", st.Changes, "skipped", st.Skipped, "elapsed", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// applyMySQL applies into a mysql:// or mariadb:// target with
// writers/mysql. Like loadMySQL it takes and returns the PostgreSQL
// writer's types, so flags, lag reports and the summary stay one code path.
func applyMySQL(ctx context.Context, pc postgres.ApplyConfig, r *format.Reader) (postgres.ApplyStats, error) {
	if pc.MaintenanceWorkMem != "" {
		return postgres.ApplyStats{}, errors.New("--maintenance-work-mem is a PostgreSQL setting: leave it out for a MySQL target")
	}
	cfg := mysql.ApplyConfig{
		Config: mysql.Config{
			DSN:       pc.DSN,
			Password:  os.Getenv("MYSQL_PWD"),
			Create:    pc.Create,
			Parallel:  pc.Parallel,
			Analyze:   pc.Analyze,
			Allocator: pc.Allocator,
			Logger:    pc.Logger,
			OnStream:  pc.OnStream,
			OnCatalog: pc.OnCatalog,
		},
		OnDDL:   pc.OnDDL,
		MaxRows: pc.MaxRows,
		AckFile: pc.AckFile,
	}
	if pc.OnApplied != nil {
		cfg.OnApplied = func(g mysql.AppliedGroup) {
			pc.OnApplied(postgres.AppliedGroup{LSN: g.LSN, Rows: g.Rows, Transactions: g.Transactions, Lag: g.Lag, Heartbeat: g.Heartbeat})
		}
	}
	st, err := mysql.Apply(ctx, cfg, r)
	return postgres.ApplyStats{Feed: st.Feed, Commits: st.Commits, Transactions: st.Transactions, Changes: st.Changes, Skipped: st.Skipped, LSN: st.LSN,
		Snapshot: postgres.Stats{Stream: st.Snapshot.Stream, Tables: st.Snapshot.Tables, Chunks: st.Snapshot.Chunks, ChunksSkipped: st.Snapshot.ChunksSkipped,
			Rows: st.Snapshot.Rows, DataPhase: st.Snapshot.DataPhase, PostData: st.Snapshot.PostData}}, err
}
