package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// `dbmig`.`cdc_checkpoints` holds, per change feed, the position applied so
// far, with the same columns and meaning as the PostgreSQL writer's table.
// MySQL has no pg_lsn: the position is kept as its text "X/Y" (ordering is
// done here, on the parsed number, never by the server). The row is written
// in the same transaction as the changes it covers, so a restart skips
// everything at or before it: exactly once.
const applyDDL = "CREATE TABLE IF NOT EXISTS `dbmig`.`cdc_checkpoints` (" +
	"`feed` varchar(512) COLLATE utf8mb4_bin NOT NULL," +
	"`lsn` varchar(32) CHARACTER SET ascii NOT NULL," +
	"`snapshot_id` varchar(64) CHARACTER SET ascii NOT NULL DEFAULT ''," +
	"`snapshot_done` boolean NOT NULL DEFAULT false," +
	"`commit_time` datetime(6) NULL," +
	"`applied_at` timestamp(6) NOT NULL DEFAULT current_timestamp(6)," +
	"PRIMARY KEY (`feed`)" +
	") ENGINE=InnoDB"

// Applied is what the target holds of a change feed. Its JSON is the ack
// file's, the same as writers/postgres.Applied: dbcdc --ack-from FILE reads
// either.
type Applied struct {
	Feed         string    `json:"feed"`
	Found        bool      `json:"found"`
	LSN          string    `json:"lsn"` // "X/Y"; "0/0" when nothing was applied
	SnapshotID   string    `json:"snapshot_id,omitempty"`
	SnapshotDone bool      `json:"snapshot_done,omitempty"`
	CommitTime   time.Time `json:"commit_time,omitzero"`
}

func ensureApplyBookkeeping(ctx context.Context, conn *sql.Conn) error {
	if err := ensureBookkeeping(ctx, conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, applyDDL); err != nil {
		return fmt.Errorf("create `dbmig`.`cdc_checkpoints` in the target: %w", err)
	}
	return nil
}

// queryRower is a *sql.Conn or a *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readApplied(ctx context.Context, q queryRower, feed string) (Applied, error) {
	a := Applied{Feed: feed, LSN: "0/0"}
	var ct sql.NullString
	err := q.QueryRowContext(ctx, "SELECT `lsn`, `snapshot_id`, `snapshot_done`, "+
		"DATE_FORMAT(`commit_time`, '%Y-%m-%dT%H:%i:%s.%fZ') FROM `dbmig`.`cdc_checkpoints` WHERE `feed` = ?", feed).
		Scan(&a.LSN, &a.SnapshotID, &a.SnapshotDone, &ct)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil
	}
	if err != nil {
		return a, fmt.Errorf("read the checkpoint of %s: %w", feed, err)
	}
	a.Found = true
	if ct.Valid {
		if a.CommitTime, err = time.Parse(time.RFC3339Nano, ct.String); err != nil {
			return a, fmt.Errorf("read the checkpoint of %s: commit_time %q: %w", feed, ct.String, err)
		}
	}
	return a, nil
}

// ReadApplied reads from the MySQL/MariaDB target at dsn what it has
// durably applied of feed (dbcdc --ack-from mysql://...). A target without
// the bookkeeping table has applied nothing.
func ReadApplied(ctx context.Context, dsn, password, feed string) (Applied, error) {
	cfg := Config{DSN: dsn, Password: password}
	db, err := cfg.open()
	if err != nil {
		return Applied{}, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return Applied{}, fmt.Errorf("connect to target: %w", err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'dbmig' AND TABLE_NAME = 'cdc_checkpoints'").Scan(&n); err != nil {
		return Applied{}, fmt.Errorf("look up `dbmig`.`cdc_checkpoints`: %w", err)
	}
	if n == 0 {
		return Applied{Feed: feed, LSN: "0/0"}, nil
	}
	return readApplied(ctx, conn, feed)
}

// writeAckFile replaces the ack file atomically (write, fsync, rename): a
// reader sees the old or the new content, never a torn one. It is written
// after the target commit, so it may lag the target, never lead it.
func writeAckFile(path string, a Applied) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
