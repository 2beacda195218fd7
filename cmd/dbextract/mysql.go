package main

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/readers/mysql"
)

// extractMySQL is the MySQL/MariaDB reader; tests replace it.
type extractMySQL func(context.Context, mysql.Config, *format.Writer) (mysql.Stats, error)

// mysqlConfig maps the command line onto the MySQL reader's config, and
// refuses the flags that only mean something for PostgreSQL.
func mysqlConfig(c *cli.Context, o options) (mysql.Config, error) {
	switch {
	case c.IsSet("snapshot"):
		return mysql.Config{}, command.Usagef("--snapshot names a PostgreSQL exported snapshot: not for a MySQL source")
	case o.cfg.NumericAsText:
		return mysql.Config{}, command.Usagef("--numeric=text is for PostgreSQL sources (MySQL decimals over 38 digits are text already)")
	}
	switch o.cfg.SplitBy {
	case "auto", "pk", "none":
	default:
		return mysql.Config{}, command.Usagef("--split-by %s is for PostgreSQL sources (MySQL: auto, pk or none)", o.cfg.SplitBy)
	}
	cfg := mysql.Config{
		DSN:        o.source,
		Tables:     o.cfg.Tables,
		Exclude:    o.cfg.Exclude,
		Parallel:   o.cfg.Parallel,
		ChunkBytes: o.cfg.ChunkBytes,
		BatchRows:  o.cfg.BatchRows,
		BatchBytes: o.cfg.BatchBytes,
	}
	if o.cfg.SplitBy == "none" {
		cfg.ChunkBytes = 1 << 62
	}
	if o.cfg.UnsupportedAsText {
		cfg.Unsupported = "text"
	}
	return cfg, nil
}

// actionMySQL extracts from a mysql:// source; the output, progress and
// logging follow the PostgreSQL path.
func (e *env) actionMySQL(c *cli.Context, o options) error {
	cfg, err := mysqlConfig(c, o)
	if err != nil {
		return err
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
	var bar atomic.Pointer[command.Progress]
	cfg.Logger = log
	cfg.OnPlan = func(p mysql.Plan) {
		bar.Store(con.Progress("extract", max(p.EstBytes, 1), true))
	}
	cfg.OnChunk = func(ch mysql.ChunkDone) {
		log.Debug("chunk written", "table", ch.Table, "chunk", ch.Chunk, "rows", ch.Rows)
		if p := bar.Load(); p != nil {
			p.Add(ch.EstBytes)
		}
	}
	log.Info("extracting", "source", command.Redact(o.source), "parallel", cfg.Parallel,
		"compression", o.compression, "output", outputName(o.output))
	start := time.Now()
	w := format.NewWriter(out, format.WriterOptions{Compression: o.compression})
	if o.compression == format.CompressionZstd {
		command.SetMemoryBudget(64<<20 + int64(max(cfg.Parallel, 1))*(cfg.BatchBytes*2+16<<20))
	}
	st, err := e.extractMySQL(c.Context, cfg, w)
	if err == nil {
		err = w.Close()
	}
	if p := bar.Load(); p != nil {
		p.Finish()
	}
	if err = out.Finish(err); err != nil {
		if out.Path() != "" {
			log.Warn("incomplete output removed", "output", out.Path())
		}
		return redactMySQL(err, o.source)
	}
	elapsed := time.Since(start)
	log.Info("extract done", "tables", st.Tables, "chunks", st.Chunks, "rows", st.Rows,
		"bytes", out.Bytes(), "size", command.HumanBytes(out.Bytes()),
		"elapsed", elapsed.Round(time.Millisecond).String(), "rate", command.Rate(out.Bytes(), elapsed),
		"binlog_file", st.Position["file"], "binlog_pos", st.Position["pos"], "gtid", st.Position["gtid"],
		"snapshot_method", st.Position["method"], "lock_held", st.LockHeld, "output", outputName(o.output))
	return nil
}

// redactMySQL masks the DSN's password in err's message, and MYSQL_PWD's,
// which a driver error may quote without the DSN around it.
func redactMySQL(err error, source string) error {
	msg := command.NewRedactor([]string{source}, os.Getenv("MYSQL_PWD")).Text(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
