package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbmig.cdc_checkpoints holds, per change feed (source database and slot),
// the position applied so far. It is written in the same transaction as the
// changes it covers, so the target never holds a change twice or loses one:
// a restart skips everything at or before it.
const applyDDL = `
CREATE TABLE IF NOT EXISTS dbmig.cdc_checkpoints (
  feed          text PRIMARY KEY,
  lsn           pg_lsn NOT NULL,
  snapshot_id   text NOT NULL DEFAULT '',
  snapshot_done boolean NOT NULL DEFAULT false,
  commit_time   timestamptz,
  applied_at    timestamptz NOT NULL DEFAULT now()
);`

// Applied is what the target holds of a change feed.
type Applied struct {
	Feed         string    `json:"feed"`
	Found        bool      `json:"found"`
	LSN          string    `json:"lsn"` // "X/Y"; "0/0" when nothing was applied
	SnapshotID   string    `json:"snapshot_id,omitempty"`
	SnapshotDone bool      `json:"snapshot_done,omitempty"`
	CommitTime   time.Time `json:"commit_time,omitzero"`
}

func ensureApplyBookkeeping(ctx context.Context, conn *pgx.Conn) error {
	if err := ensureBookkeeping(ctx, conn); err != nil {
		return err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('dbmig bookkeeping'))"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, applyDDL); err != nil {
		return fmt.Errorf("create dbmig.cdc_checkpoints in the target: %w", err)
	}
	return tx.Commit(ctx)
}

func readApplied(ctx context.Context, q querier, feed string) (Applied, error) {
	a := Applied{Feed: feed, LSN: "0/0"}
	var ct *time.Time
	err := q.QueryRow(ctx, `SELECT lsn::text, snapshot_id, snapshot_done, commit_time FROM dbmig.cdc_checkpoints WHERE feed = $1`, feed).
		Scan(&a.LSN, &a.SnapshotID, &a.SnapshotDone, &ct)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, nil
	}
	if err != nil {
		return a, fmt.Errorf("read the checkpoint of %s: %w", feed, err)
	}
	a.Found = true
	if ct != nil {
		a.CommitTime = *ct
	}
	return a, nil
}

// ReadApplied reads from the target at dsn what it has durably applied of
// feed (dbcdc --ack-from DSN). A target without the bookkeeping schema has
// applied nothing.
func ReadApplied(ctx context.Context, dsn, feed string) (Applied, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return Applied{}, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('dbmig.cdc_checkpoints') IS NOT NULL`).Scan(&exists); err != nil {
		return Applied{}, err
	}
	if !exists {
		return Applied{Feed: feed, LSN: "0/0"}, nil
	}
	return readApplied(ctx, conn, feed)
}

// ReadAckFile reads an ack file that dbload --ack-file writes (dbcdc
// --ack-from FILE). A missing file, or one about another feed, means
// nothing was applied.
func ReadAckFile(path, feed string) (Applied, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Applied{Feed: feed, LSN: "0/0"}, nil
	}
	if err != nil {
		return Applied{}, err
	}
	var a Applied
	if err := json.Unmarshal(b, &a); err != nil {
		return Applied{}, fmt.Errorf("ack file %s: %w", path, err)
	}
	if a.Feed != feed {
		return Applied{Feed: feed, LSN: "0/0"}, nil
	}
	return a, nil
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
