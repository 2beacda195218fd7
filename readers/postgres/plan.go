package postgres

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dbmig/dbmig/format"
	"github.com/jackc/pgx/v5"
)

// chunk is one part of a table's rows: one COPY, one segment.
type chunk struct {
	t        *table
	id       string // stable for this table and snapshot: "all", "pk:[lo,hi)", "ctid:[lo,hi)"
	index    int
	count    int
	where    string // SQL predicate made only of numbers this package formats; "" for all rows
	estBytes int64
	estRows  int64
	// partBytes, when set, cuts the chunk's one COPY into segments ("parts")
	// of about this many Arrow bytes each.
	partBytes int64
}

func (c *chunk) String() string {
	if c.count <= 1 {
		return c.t.String()
	}
	return fmt.Sprintf("%s chunk %d/%d %s", c.t, c.index+1, c.count, c.id)
}

// plan splits every table into chunks of about ChunkBytes of heap, biggest
// chunks first so that the workers finish together.
func plan(ctx context.Context, tx pgx.Tx, cfg *Config, tables []*table) ([]*chunk, error) {
	var all []*chunk
	for _, t := range tables {
		cs, err := planTable(ctx, tx, cfg, t)
		if err != nil {
			return nil, err
		}
		all = append(all, cs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].estBytes > all[j].estBytes })
	return all, nil
}

func planTable(ctx context.Context, tx pgx.Tx, cfg *Config, t *table) ([]*chunk, error) {
	n := int64(1)
	if cfg.SplitBy != "none" && t.heapBytes > cfg.ChunkBytes {
		n = (t.heapBytes + cfg.ChunkBytes - 1) / cfg.ChunkBytes
	}
	if n > 1 && cfg.SplitBy == "scan" {
		return []*chunk{{t: t, id: "scan", count: 1, estBytes: t.heapBytes, estRows: t.estRows, partBytes: cfg.ChunkBytes}}, nil
	}
	var ranges []rangePred
	var err error
	if n > 1 {
		switch {
		case t.pkInt && (cfg.SplitBy == "auto" || cfg.SplitBy == "pk"):
			ranges, err = pkRanges(ctx, tx, t, n)
		default:
			ranges = ctidRanges(t.pages, n)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(ranges) <= 1 {
		ranges = []rangePred{{id: "all"}}
	}
	cs := make([]*chunk, len(ranges))
	for i, r := range ranges {
		cs[i] = &chunk{t: t, id: r.id, index: i, count: len(ranges), where: r.where,
			estBytes: t.heapBytes / int64(len(ranges)), estRows: t.estRows / int64(len(ranges))}
	}
	return cs, nil
}

type rangePred struct {
	id, where string
}

// pkRanges splits [min, max] of a single integer key into n equal ranges.
// The first range is open below and the last open above, so that every row
// is in exactly one range whatever the values.
func pkRanges(ctx context.Context, tx pgx.Tx, t *table, n int64) ([]rangePred, error) {
	key := pgx.Identifier{t.pk[0]}.Sanitize()
	var lo, hi *int64
	q := fmt.Sprintf("SELECT min(%s)::bigint, max(%s)::bigint FROM %s", key, key, pgx.Identifier{t.id.Schema, t.id.Name}.Sanitize())
	if err := tx.QueryRow(ctx, q).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("key range of %s: %w", t, err)
	}
	if lo == nil || uint64(*hi)-uint64(*lo) < uint64(n) {
		return nil, nil // empty or tiny key span: one chunk
	}
	// The width is computed in uint64: max-min can exceed int64.
	span := uint64(*hi) - uint64(*lo) + 1
	step := span / uint64(n)
	if span%uint64(n) != 0 {
		step++
	}
	var rs []rangePred
	bound := func(i int64) int64 { return int64(uint64(*lo) + uint64(i)*step) }
	for i := int64(0); i < n; i++ {
		var preds []string
		from, to := "", ""
		if i > 0 {
			from = strconv.FormatInt(bound(i), 10)
			preds = append(preds, key+" >= "+from)
		}
		if i < n-1 {
			to = strconv.FormatInt(bound(i+1), 10)
			preds = append(preds, key+" < "+to)
		}
		rs = append(rs, rangePred{id: fmt.Sprintf("pk:[%s,%s)", from, to), where: strings.Join(preds, " AND ")})
	}
	return rs, nil
}

// ctidRanges splits the heap's blocks into n ranges. Rows visible in the
// snapshot lie in blocks that existed when it was taken, which are below the
// size read now; the last range is open above anyway.
func ctidRanges(pages, n int64) []rangePred {
	if pages < n {
		n = max(pages, 1)
	}
	per := (pages + n - 1) / n
	var rs []rangePred
	for i := int64(0); i < n; i++ {
		var preds []string
		from, to := "", ""
		if i > 0 {
			from = strconv.FormatInt(i*per, 10)
			preds = append(preds, fmt.Sprintf("ctid >= '(%d,0)'::tid", i*per))
		}
		if i < n-1 {
			to = strconv.FormatInt((i+1)*per, 10)
			preds = append(preds, fmt.Sprintf("ctid < '(%d,0)'::tid", (i+1)*per))
		}
		rs = append(rs, rangePred{id: fmt.Sprintf("ctid:[%s,%s)", from, to), where: strings.Join(preds, " AND ")})
	}
	return rs
}

// copySQL is the COPY statement of a chunk.
func (c *chunk) copySQL() string {
	t := c.t
	name := pgx.Identifier{t.id.Schema, t.id.Name}.Sanitize()
	if c.where == "" && !t.hasGenOrTx {
		cols := make([]string, len(t.cols))
		for i, col := range t.cols {
			cols[i] = pgx.Identifier{col.Name}.Sanitize()
		}
		return fmt.Sprintf("COPY %s (%s) TO STDOUT (FORMAT binary)", name, strings.Join(cols, ", "))
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(t.selects, ", "), name)
	if c.where != "" {
		q += " WHERE " + c.where
	}
	return "COPY (" + q + ") TO STDOUT (FORMAT binary)"
}

// segmentHeader is the stream header of a chunk.
func (c *chunk) segmentHeader(snapshot format.Position) format.Header {
	h := c.t.header
	h.Kind = format.KindSnapshot
	h.Table = c.t.id
	h.PrimaryKey = c.t.pk
	h.Chunk = format.Chunk{ID: c.id, Index: c.index, Count: c.count}
	h.Snapshot = snapshot
	h.Estimate = format.Estimate{Rows: c.estRows, Bytes: c.estBytes}
	return h
}
