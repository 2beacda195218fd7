package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The dbmig schema in the target records what a load has done, in the same
// transactions as the work itself, so that a rerun after any crash skips
// what is committed and redoes what is not:
//
//   - load_chunks: one row per committed chunk, inserted in the chunk's own
//     transaction before its COPY (the row lock also keeps two loaders of the
//     same stream from loading a chunk twice);
//   - load_tables: tables this stream created (so a rerun with --create
//     reuses them instead of refusing a table that already exists).
const bookkeepingDDL = `
CREATE SCHEMA IF NOT EXISTS dbmig;
CREATE TABLE IF NOT EXISTS dbmig.load_chunks (
  stream      text NOT NULL,
  schema_name text NOT NULL,
  table_name  text NOT NULL,
  chunk       text NOT NULL,
  rows        bigint NOT NULL,
  loaded_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, schema_name, table_name, chunk)
);
CREATE TABLE IF NOT EXISTS dbmig.load_tables (
  stream      text NOT NULL,
  schema_name text NOT NULL,
  table_name  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream, schema_name, table_name)
);`

func ensureBookkeeping(ctx context.Context, conn *pgx.Conn) error {
	// Concurrent loaders may race on CREATE ... IF NOT EXISTS; serialize them.
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('dbmig bookkeeping'))"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, bookkeepingDDL); err != nil {
		return fmt.Errorf("create the dbmig bookkeeping schema in the target: %w", err)
	}
	return tx.Commit(ctx)
}

type chunkKey struct{ schema, table, chunk string }

// loadedChunks returns the chunks of stream already committed.
func loadedChunks(ctx context.Context, conn *pgx.Conn, stream string) (map[chunkKey]bool, error) {
	rows, err := conn.Query(ctx, `SELECT schema_name, table_name, chunk FROM dbmig.load_chunks WHERE stream = $1`, stream)
	if err != nil {
		return nil, fmt.Errorf("read loaded chunks: %w", err)
	}
	done := map[chunkKey]bool{}
	var k chunkKey
	_, err = pgx.ForEachRow(rows, []any{&k.schema, &k.table, &k.chunk}, func() error {
		done[k] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read loaded chunks: %w", err)
	}
	return done, nil
}

// createdByStream reports whether this stream created the table.
func createdByStream(ctx context.Context, q querier, stream, schema, table string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM dbmig.load_tables WHERE stream = $1 AND schema_name = $2 AND table_name = $3`, stream, schema, table).Scan(&n)
	return n > 0, err
}
