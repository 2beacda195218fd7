package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
)

// ApplyConfig says where and how to apply a change stream.
type ApplyConfig struct {
	// Config is the snapshot part's load configuration (DSN, Create,
	// Parallel, Logger, ...).
	Config
	// OnDDL is what to do when a table's columns change other than by
	// added columns (which are added to the target): "stop" (default) or
	// "skip" (apply by column name what the target still has).
	OnDDL string
	// MaxRows bounds the changes applied in one target transaction when a
	// backlog lets several source transaction groups be merged (default
	// 100000). A group is never split: it is one source checkpoint.
	MaxRows int64
	// AckFile, if set, is rewritten after each target commit with what the
	// target holds (dbcdc --ack-from FILE reads it).
	AckFile string
	// OnApplied is called after each target commit.
	OnApplied func(a AppliedGroup)
}

// AppliedGroup reports one target transaction.
type AppliedGroup struct {
	LSN          string
	Rows         int64 // changes read (before collapsing)
	Transactions int64
	Lag          time.Duration // source commit of the group's oldest unit → target commit
	Heartbeat    bool
}

// ApplyStats is the result of Apply.
type ApplyStats struct {
	Feed         string
	Snapshot     Stats
	Commits      int64
	Transactions int64
	Changes      int64
	Skipped      int64 // changes already applied by an earlier run
	LSN          string
}

// unit is the change segments up to one checkpoint, read whole
// (format.ReadChangeUnits).
type unit = format.ChangeUnit

type changeSeg = format.ChangeSegment

// open opens a pool on the target with the dbload session settings.
func (cfg *Config) open() (*sql.DB, error) {
	dc, err := cfg.driverConfig()
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("target DSN: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// Apply reads a change stream (dbcdc, converted with dbconvert --to mysql)
// and applies it to the MySQL/MariaDB target, until the stream ends (its
// trailer) or ctx is cancelled (the group in progress is committed or
// rolled back whole first).
//
// A stream that starts with a snapshot is loaded as Load does (Config),
// then the changes follow. The target records, per feed, the snapshot it
// holds and the position applied, in `dbmig`.`cdc_checkpoints`, in the same
// transaction as the changes: a restart skips what is there, exactly once.
func Apply(ctx context.Context, cfg ApplyConfig, r *format.Reader) (ApplyStats, error) {
	cfg.defaults()
	if cfg.OnDDL == "" {
		cfg.OnDDL = "stop"
	}
	if cfg.OnDDL != "stop" && cfg.OnDDL != "skip" {
		return ApplyStats{}, fmt.Errorf("unknown --on-ddl %q (want stop or skip)", cfg.OnDDL)
	}
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = 100000
	}
	// Database work continues on a context that is not cancelled with ctx:
	// a stop lets the group in progress finish.
	work := context.WithoutCancel(ctx)
	dc, err := cfg.driverConfig()
	if err != nil {
		return ApplyStats{}, err
	}
	db, err := cfg.open()
	if err != nil {
		return ApplyStats{}, err
	}
	defer db.Close()
	a := &applier{cfg: &cfg, database: dc.DBName, targets: map[string]*applyTarget{}}
	if a.conn, err = db.Conn(work); err != nil {
		return a.stats, fmt.Errorf("connect to target: %w", err)
	}
	defer a.conn.Close()
	if err := ensureApplyBookkeeping(work, a.conn); err != nil {
		return a.stats, err
	}
	// Foreign keys are the source's business: the changes arrive per table
	// within a group, not in the source's order. Unique checks stay on
	// (the session default of dbload is off, for the bulk load): upserts
	// rely on them.
	if _, err := a.conn.ExecContext(work, "SET foreign_key_checks = 0, unique_checks = 1"); err != nil {
		return a.stats, fmt.Errorf("set the apply session: %w", err)
	}

	seg, err := r.Next()
	if err != nil {
		return a.stats, err
	}
	begin, err := a.checkpointOf(seg, format.PhaseBegin)
	if err != nil {
		return a.stats, err
	}
	a.feed = begin.Feed
	a.stats.Feed = a.feed
	if begin.Snapshot {
		if err := a.snapshot(ctx, work, begin, r); err != nil {
			return a.stats, err
		}
	} else if err := a.resume(work, begin); err != nil {
		return a.stats, err
	}
	return a.stats, a.run(ctx, work, r)
}

type applier struct {
	cfg      *ApplyConfig
	conn     *sql.Conn
	database string // the DSN's database; "" to use each stream table's own
	feed     string
	applied  uint64 // the target's checkpoint
	snapID   string
	targets  map[string]*applyTarget
	stats    ApplyStats
}

func (a *applier) checkpointOf(seg *format.Segment, phase string) (format.Checkpoint, error) {
	if seg.Header.Kind != format.KindCheckpoint {
		return format.Checkpoint{}, fmt.Errorf("segment %d is a %s segment, want the %s checkpoint of a change stream (is this a dbcdc stream?)", seg.Index, seg.Header.Kind, phase)
	}
	cp, err := format.CheckpointOf(seg.Header)
	if err != nil {
		return cp, fmt.Errorf("segment %d: %w", seg.Index, err)
	}
	if cp.Phase != phase {
		return cp, fmt.Errorf("segment %d is a %s checkpoint, want %s", seg.Index, cp.Phase, phase)
	}
	if a.feed != "" && cp.Feed != a.feed {
		return cp, fmt.Errorf("segment %d belongs to feed %s, the stream to %s", seg.Index, cp.Feed, a.feed)
	}
	return cp, nil
}

// snapshot loads the stream's snapshot part. An unfinished load of another
// snapshot of the same feed (a crashed first run) is discarded first: its
// tables hold part of a snapshot whose changes will never come.
func (a *applier) snapshot(ctx, work context.Context, begin format.Checkpoint, r *format.Reader) error {
	old, err := readApplied(work, a.conn, a.feed)
	if err != nil {
		return err
	}
	if old.Found && old.SnapshotID != begin.SnapshotID {
		if err := a.discardSnapshot(work, old, begin.SnapshotID); err != nil {
			return err
		}
	}
	lsn, err := format.ParseLSN(begin.Position["lsn"])
	if err != nil {
		return fmt.Errorf("begin checkpoint: %w", err)
	}
	if _, err := a.conn.ExecContext(work, "INSERT INTO `dbmig`.`cdc_checkpoints` (`feed`, `lsn`, `snapshot_id`, `snapshot_done`) VALUES (?, ?, ?, false) "+
		"ON DUPLICATE KEY UPDATE `lsn` = VALUES(`lsn`), `snapshot_id` = VALUES(`snapshot_id`), `snapshot_done` = false, `applied_at` = current_timestamp(6)",
		a.feed, format.FormatLSN(lsn), begin.SnapshotID); err != nil {
		return fmt.Errorf("record the snapshot of %s: %w", a.feed, err)
	}
	var next *format.Segment
	lc := a.cfg.Config
	lc.stopAtChanges = func(s *format.Segment) { next = s }
	a.cfg.Logger.Info("loading the snapshot", "feed", a.feed, "lsn", format.FormatLSN(lsn))
	st, err := Load(ctx, lc, r)
	a.stats.Snapshot = st
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if next == nil {
		return errors.New("the stream ended inside its snapshot")
	}
	done, err := a.checkpointOf(next, format.PhaseSnapshotDone)
	if err != nil {
		return err
	}
	if done.SnapshotID != begin.SnapshotID {
		return fmt.Errorf("snapshot-done checkpoint is for snapshot %s, the stream began %s", done.SnapshotID, begin.SnapshotID)
	}
	if _, err := a.conn.ExecContext(work, "UPDATE `dbmig`.`cdc_checkpoints` SET `snapshot_done` = true, `applied_at` = current_timestamp(6) WHERE `feed` = ?", a.feed); err != nil {
		return fmt.Errorf("record the snapshot of %s as done: %w", a.feed, err)
	}
	a.applied, a.snapID = lsn, begin.SnapshotID
	a.cfg.Logger.Info("snapshot loaded; applying changes", "feed", a.feed, "rows", st.Rows, "from", format.FormatLSN(lsn))
	return a.writeAck(time.Time{})
}

// discardSnapshot removes what an unfinished snapshot load left: the tables
// it created are dropped, the rows it loaded into existing tables deleted.
// MySQL DDL commits on its own, so each step is idempotent: a crash in
// between leaves work a rerun finishes.
func (a *applier) discardSnapshot(ctx context.Context, old Applied, newID string) error {
	if old.SnapshotDone {
		return fmt.Errorf("feed %s already holds snapshot %s and changes up to %s; the stream brings a new snapshot %s: drop the target tables and the `dbmig`.`cdc_checkpoints` row to start over",
			a.feed, old.SnapshotID, old.LSN, newID)
	}
	a.cfg.Logger.Warn("discarding an unfinished snapshot load", "feed", a.feed, "snapshot", old.SnapshotID)
	type tbl struct{ database, name string }
	collect := func(q string) ([]tbl, error) {
		rows, err := a.conn.QueryContext(ctx, q, old.SnapshotID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []tbl
		for rows.Next() {
			var t tbl
			if err := rows.Scan(&t.database, &t.name); err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, rows.Err()
	}
	created, err := collect("SELECT `database_name`, `table_name` FROM `dbmig`.`load_tables` WHERE `stream` = ?")
	if err != nil {
		return fmt.Errorf("discard snapshot %s: %w", old.SnapshotID, err)
	}
	loaded, err := collect("SELECT DISTINCT c.`database_name`, c.`table_name` FROM `dbmig`.`load_chunks` c WHERE c.`stream` = ? AND NOT EXISTS " +
		"(SELECT 1 FROM `dbmig`.`load_tables` t WHERE t.`stream` = c.`stream` AND t.`database_name` = c.`database_name` AND t.`table_name` = c.`table_name`)")
	if err != nil {
		return fmt.Errorf("discard snapshot %s: %w", old.SnapshotID, err)
	}
	for _, t := range created {
		if _, err := a.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteName(t.database, t.name)); err != nil {
			return fmt.Errorf("drop %s: %w", quoteName(t.database, t.name), err)
		}
	}
	for _, t := range loaded {
		if _, err := a.conn.ExecContext(ctx, "DELETE FROM "+quoteName(t.database, t.name)); err != nil {
			return fmt.Errorf("empty %s: %w", quoteName(t.database, t.name), err)
		}
	}
	for _, q := range []string{"DELETE FROM `dbmig`.`load_tables` WHERE `stream` = ?", "DELETE FROM `dbmig`.`load_chunks` WHERE `stream` = ?"} {
		if _, err := a.conn.ExecContext(ctx, q, old.SnapshotID); err != nil {
			return fmt.Errorf("discard snapshot %s: %w", old.SnapshotID, err)
		}
	}
	return nil
}

// resume checks a stream without snapshot against the target's checkpoint.
func (a *applier) resume(ctx context.Context, begin format.Checkpoint) error {
	old, err := readApplied(ctx, a.conn, a.feed)
	if err != nil {
		return err
	}
	if !old.Found {
		// A feed the target has not seen: its tables were filled some other
		// way; apply from wherever the stream starts.
		a.cfg.Logger.Info("new feed: applying from the stream's start", "feed", a.feed, "from", begin.Position["lsn"])
		_, err := a.conn.ExecContext(ctx, "INSERT INTO `dbmig`.`cdc_checkpoints` (`feed`, `lsn`, `snapshot_done`) VALUES (?, '0/0', true)", a.feed)
		if err != nil {
			return fmt.Errorf("record feed %s: %w", a.feed, err)
		}
		return nil
	}
	if old.SnapshotID != "" && !old.SnapshotDone {
		return fmt.Errorf("feed %s: the target holds part of snapshot %s, and the stream has no snapshot: rerun dbcdc with --snapshot", a.feed, old.SnapshotID)
	}
	if a.applied, err = format.ParseLSN(old.LSN); err != nil {
		return fmt.Errorf("feed %s: the target's checkpoint: %w", a.feed, err)
	}
	start, err := format.ParseLSN(begin.Position["lsn"])
	if err != nil {
		return fmt.Errorf("begin checkpoint: %w", err)
	}
	if start > a.applied {
		// The source had been confirmed past what this target holds: the
		// changes in between are gone from the source.
		return fmt.Errorf("feed %s: the stream starts at %s, but the target has applied only up to %s: changes in between are lost (was the slot confirmed by another consumer?)",
			a.feed, format.FormatLSN(start), old.LSN)
	}
	a.snapID = old.SnapshotID
	a.cfg.Logger.Info("resuming", "feed", a.feed, "applied", old.LSN, "stream_from", format.FormatLSN(start))
	return nil
}

// run applies units until the stream ends or ctx is cancelled.
func (a *applier) run(ctx, work context.Context, r *format.Reader) error {
	units := make(chan *unit, 2)
	errc := make(chan error, 2)
	go format.ReadChangeUnits(r, a.feed, units, errc)
	for {
		var u *unit
		var ok bool
		select {
		case u, ok = <-units:
		case <-ctx.Done():
			return nil // a clean stop: everything committed is checkpointed
		}
		if !ok {
			return <-errc
		}
		group := []*unit{u}
		rows := u.Rows
	more:
		for rows < a.cfg.MaxRows {
			select {
			case v, ok := <-units:
				if !ok {
					break more
				}
				group = append(group, v)
				rows += v.Rows
			default:
				break more // the input is idle: apply now
			}
		}
		err := a.applyGroup(work, group)
		for _, g := range group {
			g.Release()
		}
		if err != nil {
			return err
		}
	}
}

func (a *applier) writeAck(commit time.Time) error {
	if a.cfg.AckFile == "" {
		return nil
	}
	err := writeAckFile(a.cfg.AckFile, Applied{Feed: a.feed, Found: true, LSN: format.FormatLSN(a.applied), SnapshotID: a.snapID, SnapshotDone: true, CommitTime: commit})
	if err != nil {
		return fmt.Errorf("write ack file %s: %w", a.cfg.AckFile, err)
	}
	return nil
}
