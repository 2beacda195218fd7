package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcodec"
)

// SampledTable is one table of a Sample: the catalog's size of the whole
// table and what reading its sample took.
type SampledTable struct {
	Table    format.TableID
	EstRows  int64 // pg_class.reltuples
	EstBytes int64 // pg_table_size (heap and TOAST)
	Rows     int64 // rows in the sample
	Read     time.Duration
}

// Sample writes what Extract writes — one segment per selected table with
// the same header and columns — except that each segment holds at most
// rows rows (the first a sequential scan returns), all read on one
// connection in one read-only snapshot. It is for analysis (dbmigrate
// analyze): the schema comes from the same catalog code as a real
// extraction, the values from the same binary COPY decoder. It does not
// close w.
func Sample(ctx context.Context, cfg Config, rows int, w *format.Writer) ([]SampledTable, error) {
	cfg.defaults()
	if rows < 1 {
		return nil, fmt.Errorf("sample size %d: want at least 1 row per table", rows)
	}
	conn, err := connect(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := checkServer(ctx, conn); err != nil {
		return nil, err
	}
	tx, snapshot, err := beginSnapshot(ctx, conn, cfg.Snapshot)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	tables, err := discover(ctx, tx, &cfg, conn.Config().Database)
	if err != nil {
		return nil, err
	}
	pos := format.Position{"snapshot": snapshot}
	decoders := map[*table]*pgcodec.Decoder{}
	out := make([]SampledTable, 0, len(tables))
	for _, t := range tables {
		// The limit is a number this package formats: no value becomes SQL text.
		c := &chunk{t: t, id: "sample", count: 1, where: fmt.Sprintf("true LIMIT %d", rows), estBytes: t.heapBytes, estRows: t.estRows}
		start := time.Now()
		n, err := extractChunk(ctx, &cfg, tx, c, pos, w, decoders)
		if err != nil {
			return out, fmt.Errorf("sample %s: %w", t, err)
		}
		out = append(out, SampledTable{Table: t.id, EstRows: t.estRows, EstBytes: t.heapBytes, Rows: n, Read: time.Since(start)})
	}
	return out, nil
}
