package mysql

import (
	"context"
	"fmt"
	"strings"
)

// This file holds what a cutover asks of a MySQL/MariaDB source (dbmigrate
// cutover): the fence position, read-only, a marker transaction that
// carries a change stream past the fence, and the AUTO_INCREMENT values.

// CurrentFence returns the end of the binary log as "file:pos" (SHOW
// MASTER STATUS): every transaction committed before the call ends at or
// before it. ParseUntil reads it.
func CurrentFence(ctx context.Context, dsn string) (string, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	db, conn, _, err := openCoordinator(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer db.Close()
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return "", fmt.Errorf("SHOW MASTER STATUS: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	if !rows.Next() {
		return "", fmt.Errorf("SHOW MASTER STATUS: no binary log (log_bin is off)")
	}
	vals := make([]any, len(cols))
	var file, pos string
	vals[0], vals[1] = &file, &pos
	for i := 2; i < len(vals); i++ {
		vals[i] = new(any)
	}
	if err := rows.Scan(vals...); err != nil {
		return "", fmt.Errorf("SHOW MASTER STATUS: %w", err)
	}
	return file + ":" + pos, rows.Err()
}

// SetReadOnly sets the server read-only (SET GLOBAL read_only = ON, undone
// by SET GLOBAL read_only = OFF). Users with SUPER (or, on MySQL 8,
// CONNECTION_ADMIN) can still write: read_only does not stop them.
func SetReadOnly(ctx context.Context, dsn string) error {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return err
	}
	db, conn, _, err := openCoordinator(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET GLOBAL read_only = ON"); err != nil {
		return fmt.Errorf("SET GLOBAL read_only = ON: %w", err)
	}
	return nil
}

// WriteFenceMarker commits a transaction after a fence, in the database
// dbmig (outside the migrated one, so no stream carries it): the change
// stream's position then moves past the fence even on a quiet source, and
// a stream with Until set ends. It needs a user that may write while the
// server is read-only (SUPER), when it is.
func WriteFenceMarker(ctx context.Context, dsn, name string) error {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return err
	}
	db, conn, _, err := openCoordinator(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	defer conn.Close()
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS dbmig",
		"CREATE TABLE IF NOT EXISTS dbmig.fence (name varchar(191) PRIMARY KEY, at datetime(6) NOT NULL)",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("fence marker: %s: %w", q, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "REPLACE INTO dbmig.fence VALUES (?, NOW(6))", name); err != nil {
		return fmt.Errorf("fence marker: %w", err)
	}
	return nil
}

// AutoIncrementValues returns, for every table of the DSN's database with
// an AUTO_INCREMENT column, the last value handed out (AUTO_INCREMENT - 1),
// keyed "table.column" in lower case.
func AutoIncrementValues(ctx context.Context, dsn string) (map[string]int64, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, conn, _, err := openCoordinator(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT t.TABLE_NAME, c.COLUMN_NAME, t.AUTO_INCREMENT
FROM information_schema.TABLES t
JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.EXTRA LIKE '%auto_increment%'
WHERE t.TABLE_SCHEMA = ? AND t.AUTO_INCREMENT IS NOT NULL`, cfg.DBName)
	if err != nil {
		return nil, fmt.Errorf("read AUTO_INCREMENT values: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var table, column string
		var next int64
		if err := rows.Scan(&table, &column, &next); err != nil {
			return nil, err
		}
		out[strings.ToLower(table+"."+column)] = next - 1
	}
	return out, rows.Err()
}
