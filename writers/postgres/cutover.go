package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// This file holds what a cutover asks of a PostgreSQL target (dbmigrate
// cutover and status): the checkpoints of every feed, and moving sequences
// past the values the source handed out. A change stream carries rows, not
// sequence positions, so after a live copy the target's sequences stand
// where the snapshot left them.

// ListApplied returns the checkpoint of every change feed the target holds
// (none when it has no bookkeeping schema).
func ListApplied(ctx context.Context, dsn string) ([]Applied, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('dbmig.cdc_checkpoints') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, err
	}
	if !exists {
		return nil, nil
	}
	rows, err := conn.Query(ctx, `SELECT feed FROM dbmig.cdc_checkpoints ORDER BY feed`)
	if err != nil {
		return nil, fmt.Errorf("read the change feeds: %w", err)
	}
	feeds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read the change feeds: %w", err)
	}
	out := make([]Applied, 0, len(feeds))
	for _, f := range feeds {
		a, err := readApplied(ctx, conn, f)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// SequenceMove reports one sequence set by AdvanceSequences.
type SequenceMove struct {
	Sequence string `json:"sequence"` // schema.name
	Column   string `json:"column"`   // schema.table.column that owns it
	From     int64  `json:"from"`     // last value before (0: never used)
	To       int64  `json:"to"`
}

// AdvanceSequences sets every sequence owned by a column (serial and
// identity columns) of the target past the column's largest value and past
// floor(column), the last value the source handed out (its rows may have
// been deleted or rolled back since). A sequence already past both is left
// alone. floor gets the owning column as "schema.table.column".
func AdvanceSequences(ctx context.Context, dsn string, floor func(column string) int64) ([]SequenceMove, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(ctx, `SELECT sn.nspname, sc.relname, n.nspname, t.relname, a.attname,
  coalesce(s.last_value, 0), s.increment_by
FROM pg_depend d
JOIN pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
JOIN pg_namespace sn ON sn.oid = sc.relnamespace
JOIN pg_sequences s ON s.schemaname = sn.nspname AND s.sequencename = sc.relname
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  AND n.nspname <> 'dbmig'
ORDER BY 3, 4, 5`)
	if err != nil {
		return nil, fmt.Errorf("read the target's sequences: %w", err)
	}
	type seq struct {
		seqSchema, seqName, schema, table, column string
		last, increment                           int64
	}
	var seqs []seq
	for rows.Next() {
		var s seq
		if err := rows.Scan(&s.seqSchema, &s.seqName, &s.schema, &s.table, &s.column, &s.last, &s.increment); err != nil {
			rows.Close()
			return nil, err
		}
		seqs = append(seqs, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the target's sequences: %w", err)
	}
	var moves []SequenceMove
	for _, s := range seqs {
		if s.increment < 0 {
			continue // descending sequences: left for manual work (rare; their floor is a minimum)
		}
		col := s.schema + "." + s.table + "." + s.column
		var maxVal *int64
		q := fmt.Sprintf("SELECT max(%s)::bigint FROM %s", pgx.Identifier{s.column}.Sanitize(), pgx.Identifier{s.schema, s.table}.Sanitize())
		if err := conn.QueryRow(ctx, q).Scan(&maxVal); err != nil {
			return moves, fmt.Errorf("sequence of %s: %w", col, err)
		}
		want := floor(col)
		if maxVal != nil && *maxVal > want {
			want = *maxVal
		}
		if want <= s.last || want <= 0 {
			continue
		}
		name := pgx.Identifier{s.seqSchema, s.seqName}.Sanitize()
		if _, err := conn.Exec(ctx, "SELECT setval($1::regclass, $2, true)", name, want); err != nil {
			return moves, fmt.Errorf("setval %s to %d: %w", name, want, err)
		}
		moves = append(moves, SequenceMove{Sequence: strings.Trim(s.seqSchema+"."+s.seqName, "."), Column: col, From: s.last, To: want})
	}
	return moves, nil
}
