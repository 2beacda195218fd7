package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
)

// This file holds what a cutover asks of a PostgreSQL source (dbmigrate
// cutover): the fence position, making the database read-only, a marker
// transaction that carries a change stream past the fence, the sequences'
// values, and dropping the slot once the target has taken over.

// CurrentFence returns the WAL insert position: every transaction committed
// before the call ends before it. pg_current_wal_lsn() (the write position)
// can be behind commits made with synchronous_commit=off, so it is not used.
func CurrentFence(ctx context.Context, dsn string) (pglogrepl.LSN, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var s string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&s); err != nil {
		return 0, fmt.Errorf("read the fence position: %w", err)
	}
	return pglogrepl.ParseLSN(s)
}

// SetReadOnly makes the source database read-only for applications: new
// sessions start with default_transaction_read_only = on (ALTER DATABASE,
// undone by ALTER DATABASE ... RESET default_transaction_read_only), and
// the client sessions already connected to it are terminated, since the
// setting reaches only new sessions. dbmig's own sessions (application
// names dbextract, dbcdc, dbcheck, dbmigrate) and replication connections
// are left alone. It returns how many sessions were terminated.
func SetReadOnly(ctx context.Context, dsn string) (int, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var db string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
		return 0, fmt.Errorf("make database %s read-only: %w", db, err)
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND application_name NOT IN ('dbextract', 'dbcdc', 'dbcheck', 'dbmigrate')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("terminate the sessions of database %s: %w", db, err)
	}
	return n, nil
}

// WriteFenceMarker commits a transaction after a fence (in dbmig.fence, a
// table of the source that no snapshot or change stream carries): a stream
// with Until set ends when it sees a transaction at or past the fence, and
// on a quiet (or read-only) source there would be none. The session turns
// default_transaction_read_only off for itself.
func WriteFenceMarker(ctx context.Context, dsn, name string) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range []string{
		"SET default_transaction_read_only = off",
		"CREATE SCHEMA IF NOT EXISTS dbmig",
		"CREATE TABLE IF NOT EXISTS dbmig.fence (name text PRIMARY KEY, at timestamptz NOT NULL)",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("fence marker: %s: %w", q, err)
		}
	}
	_, err = conn.Exec(ctx, "INSERT INTO dbmig.fence VALUES ($1, now()) ON CONFLICT (name) DO UPDATE SET at = excluded.at", name)
	if err != nil {
		return fmt.Errorf("fence marker: %w", err)
	}
	return nil
}

// SequenceValues returns the last value of every sequence owned by a table
// column (serial and identity columns), keyed "schema.table.column".
// Sequences never used are left out.
func SequenceValues(ctx context.Context, dsn string) (map[string]int64, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT n.nspname || '.' || t.relname || '.' || a.attname, s.last_value
FROM pg_depend d
JOIN pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
JOIN pg_sequences s ON s.schemaname = (SELECT nspname FROM pg_namespace WHERE oid = sc.relnamespace) AND s.sequencename = sc.relname
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  AND s.last_value IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("read the source's sequences: %w", err)
	}
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// DropSlot drops a replication slot, waiting up to ten seconds for its
// last user to let go of it. A missing slot is not an error.
func DropSlot(ctx context.Context, dsn, slot string) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := conn.Exec(ctx, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1", slot)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || errors.Is(err, context.Canceled) {
			return fmt.Errorf("drop replication slot %s: %w", slot, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
