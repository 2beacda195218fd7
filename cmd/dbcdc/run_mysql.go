package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/readers/mysql"
	"github.com/dbmig/dbmig/readers/mysql/binlog"
)

// actionMySQL streams a MySQL/MariaDB source's binlog.
func (e *env) actionMySQL(c *cli.Context, source string) error {
	cfg := mysql.CDCConfig{
		DSN: source, Name: c.String("slot"), Snapshot: c.Bool("snapshot"),
		Tables: patterns(c.StringSlice("tables")), Exclude: patterns(c.StringSlice("exclude")),
		WindowDelay: c.Duration("window"), Heartbeat: c.Duration("heartbeat"),
		Extract: mysql.Config{Parallel: c.Int("parallel")},
	}
	if c.IsSet("publication") || c.Bool("create-slot") {
		return command.Usagef("--publication and --create-slot are for PostgreSQL sources")
	}
	var err error
	if u := c.String("until"); u != "" {
		if cfg.Until, err = mysql.ParseUntil(u); err != nil {
			return command.Usagef("--until: %v", err)
		}
	}
	if f := c.String("from"); f != "" {
		file, pos, ok := strings.Cut(f, ":")
		p, perr := strconv.ParseUint(pos, 10, 32)
		if !ok || perr != nil || file == "" {
			return command.Usagef("--from %q: want FILE:POS, as SHOW MASTER STATUS prints them", f)
		}
		cfg.Start = binlog.Position{File: file, Pos: uint32(p)}
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
		cfg.Acked = mysqlAcker(ack)
	} else {
		log.Warn("no --ack-from: a rerun cannot know what the target holds (--snapshot always snapshots again)")
	}
	w := format.NewWriter(e.stdout, format.WriterOptions{Compression: comp})
	st, err := mysql.Stream(c.Context, cfg, w)
	if err != nil {
		return command.RedactError(err, source, pwdDSN())
	}
	log.Info("stopped", "feed", st.Feed, "transactions", st.Transactions, "changes", st.Changes,
		"snapshot_rows", st.Snapshot.Rows, "position", st.Position["lsn"], "file", st.Position["file"], "pos", st.Position["pos"])
	return nil
}

// pwdDSN is MYSQL_PWD as a DSN, so that RedactError masks it too: the
// reader puts it into the DSNs it builds.
func pwdDSN() string {
	pw := os.Getenv("MYSQL_PWD")
	if pw == "" {
		return ""
	}
	return (&url.URL{Scheme: "mysql", User: url.UserPassword("u", pw), Host: "h"}).String()
}

// mysqlAcker reads what the target applied, as acker does; the position is
// a binlog position mapped to an LSN (mysql.BinlogLSN).
func mysqlAcker(from string) func(context.Context, string) (mysql.Acked, error) {
	return func(ctx context.Context, feed string) (mysql.Acked, error) {
		a, err := readApplied(ctx, from, feed)
		if err != nil {
			return mysql.Acked{}, err
		}
		lsn, err := format.ParseLSN(a.LSN)
		if err != nil {
			return mysql.Acked{}, fmt.Errorf("applied position: %w", err)
		}
		return mysql.Acked{Found: a.Found, LSN: lsn, SnapshotID: a.SnapshotID, SnapshotDone: a.SnapshotDone}, nil
	}
}
