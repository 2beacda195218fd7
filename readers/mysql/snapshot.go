package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/dbmig/dbmig/format"
)

// snapshotAttempts is how often MethodSnapshotStatus tries to start every
// worker at one binlog position before it takes the lock instead.
const snapshotAttempts = 5

// lockWaitSeconds bounds the wait for the commit lock: while FLUSH TABLES
// WITH READ LOCK waits for a long query, every writer waits behind it.
const lockWaitSeconds = 60

// snapshot is the result of starting every worker's transaction at one
// point of the binlog.
type snapshot struct {
	pos      format.Position
	lockHeld time.Duration
}

// takeSnapshot starts a consistent-snapshot transaction on every worker,
// all at the same commit point, and reads that point's binlog position.
func takeSnapshot(ctx context.Context, cfg *Config, coord *sql.Conn, flavor string, workers []*client.Conn) (snapshot, error) {
	if flavor == FlavorMariaDB && cfg.SnapshotMethod != MethodLock {
		s, ok, err := snapshotByStatus(ctx, coord, workers)
		if err != nil || ok {
			return s, err
		}
		cfg.Logger.Info("workers' snapshots did not start at one binlog position; taking the commit lock", "attempts", snapshotAttempts)
	}
	return snapshotUnderLock(ctx, coord, flavor, workers)
}

// startAll starts a consistent-snapshot transaction on every worker at
// once (in parallel, to keep the window between them short).
func startAll(ctx context.Context, workers []*client.Conn) error {
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			// REPEATABLE READ: the consistent snapshot lasts the transaction.
			errs[i] = execCtx(ctx, w, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
			if errs[i] == nil {
				errs[i] = execCtx(ctx, w, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("start snapshot transaction: %w", err)
	}
	return nil
}

func rollbackAll(ctx context.Context, workers []*client.Conn) {
	for _, w := range workers {
		_ = execCtx(ctx, w, "ROLLBACK")
	}
}

// snapshotByStatus is MethodSnapshotStatus: MariaDB ties each consistent
// snapshot to the binlog position of its commit point
// (Binlog_snapshot_file/position). Workers that report the same position
// saw the same commits, without any lock.
func snapshotByStatus(ctx context.Context, coord *sql.Conn, workers []*client.Conn) (snapshot, bool, error) {
	for range snapshotAttempts {
		if err := startAll(ctx, workers); err != nil {
			return snapshot{}, false, err
		}
		var file, pos string
		same := true
		for i, w := range workers {
			rows, err := queryStrings(ctx, w, "SHOW STATUS LIKE 'binlog_snapshot_%'")
			if err != nil {
				return snapshot{}, false, fmt.Errorf("read snapshot binlog position: %w", err)
			}
			var f, p string
			for _, r := range rows {
				switch r[0] {
				case "Binlog_snapshot_file":
					f = r[1]
				case "Binlog_snapshot_position":
					p = r[1]
				}
			}
			if f == "" {
				// No binlog: there is no position to check against.
				rollbackAll(ctx, workers)
				return snapshot{}, false, nil
			}
			if i == 0 {
				file, pos = f, p
			} else if f != file || p != pos {
				same = false
			}
		}
		if same {
			var gtid sql.NullString
			n, _ := strconv.ParseUint(pos, 10, 64)
			if err := coord.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", file, n).Scan(&gtid); err != nil {
				return snapshot{}, false, fmt.Errorf("read GTID of binlog position %s:%s: %w", file, pos, err)
			}
			return snapshot{pos: format.Position{"file": file, "pos": pos, "gtid": gtid.String,
				"flavor": FlavorMariaDB, "method": MethodSnapshotStatus, "lock_held_us": "0"}}, true, nil
		}
		rollbackAll(ctx, workers)
	}
	return snapshot{}, false, nil
}

// snapshotUnderLock is MethodLock: block commits, start every worker's
// snapshot, read the binlog position, unblock. No data is read under the
// lock.
func snapshotUnderLock(ctx context.Context, coord *sql.Conn, flavor string, workers []*client.Conn) (snapshot, error) {
	if _, err := coord.ExecContext(ctx, "SET SESSION lock_wait_timeout = "+strconv.Itoa(lockWaitSeconds)); err != nil {
		return snapshot{}, fmt.Errorf("set lock_wait_timeout: %w", err)
	}
	lock, unlock := []string{"FLUSH TABLES WITH READ LOCK"}, "UNLOCK TABLES"
	if flavor == FlavorMariaDB {
		// Lighter than FTWRL: blocks commits (and binlog writes) only, and
		// does not wait for running queries to end.
		lock, unlock = []string{"BACKUP STAGE START", "BACKUP STAGE BLOCK_COMMIT"}, "BACKUP STAGE END"
	}
	for _, q := range lock {
		if _, err := coord.ExecContext(ctx, q); err != nil {
			_, _ = coord.ExecContext(context.WithoutCancel(ctx), unlock)
			return snapshot{}, fmt.Errorf("%s: %w", q, err)
		}
	}
	locked := time.Now()
	released := false
	release := func() error {
		if released {
			return nil
		}
		released = true
		// Unlock even when ctx is cancelled: the lock blocks every writer.
		_, err := coord.ExecContext(context.WithoutCancel(ctx), unlock)
		return err
	}
	defer release() //nolint:errcheck // released explicitly on the good path

	if err := startAll(ctx, workers); err != nil {
		return snapshot{}, err
	}
	pos, err := binlogPosition(ctx, coord, flavor)
	if err != nil {
		return snapshot{}, err
	}
	if err := release(); err != nil {
		return snapshot{}, fmt.Errorf("%s: %w", unlock, err)
	}
	held := time.Since(locked)
	pos["method"] = MethodLock
	pos["lock_held_us"] = strconv.FormatInt(held.Microseconds(), 10)
	return snapshot{pos: pos, lockHeld: held}, nil
}

// binlogPosition reads the current binlog file, position and GTID set
// (under the commit lock, so it is the snapshot's).
func binlogPosition(ctx context.Context, coord *sql.Conn, flavor string) (format.Position, error) {
	pos := format.Position{"flavor": flavor}
	show := "SHOW MASTER STATUS"
	rows, err := coord.QueryContext(ctx, show)
	if err != nil && flavor == FlavorMySQL {
		// MySQL 8.4 replaced SHOW MASTER STATUS.
		show = "SHOW BINARY LOG STATUS"
		rows, err = coord.QueryContext(ctx, show)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", show, err)
	}
	if rows.Next() {
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("%s: %w", show, err)
		}
		pos["file"], pos["pos"] = vals[0].String, vals[1].String
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", show, err)
	}
	q := "SELECT @@GLOBAL.gtid_executed"
	if flavor == FlavorMariaDB {
		q = "SELECT @@GLOBAL.gtid_binlog_pos"
	}
	var gtid sql.NullString
	if err := coord.QueryRowContext(ctx, q).Scan(&gtid); err != nil {
		return nil, fmt.Errorf("read GTID set: %w", err)
	}
	pos["gtid"] = gtid.String
	return pos, nil
}
