package mysql

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/dbmig/dbmig/format"
)

// chunk is one part of a table's rows: one SELECT, one segment.
type chunk struct {
	t        *table
	id       string // stable for this table and snapshot: "all" or "pk:[lo,hi)"
	index    int
	count    int
	where    string // SQL predicate made only of numbers this package formats; "" for all rows
	estBytes int64
	estRows  int64
}

func (c *chunk) String() string {
	if c.count <= 1 {
		return c.t.String()
	}
	return fmt.Sprintf("%s chunk %d/%d %s", c.t, c.index+1, c.count, c.id)
}

// plan splits every table into chunks of about ChunkBytes, biggest first so
// that the workers finish together. It runs inside a worker's snapshot, so
// the key bounds are those of the rows it will read (the first and last
// ranges are open anyway).
func plan(ctx context.Context, conn *client.Conn, cfg *Config, tables []*table) ([]*chunk, error) {
	var all []*chunk
	for _, t := range tables {
		var ranges []rangePred
		if n := (t.dataBytes + cfg.ChunkBytes - 1) / cfg.ChunkBytes; n > 1 && t.pkInt {
			var err error
			if ranges, err = pkRanges(ctx, conn, t, n); err != nil {
				return nil, err
			}
		}
		// Tables without an integer key are read whole: MySQL has no cheap
		// physical range (like PostgreSQL's ctid) to split them by.
		if len(ranges) <= 1 {
			ranges = []rangePred{{id: "all"}}
		}
		for i, r := range ranges {
			all = append(all, &chunk{t: t, id: r.id, index: i, count: len(ranges), where: r.where,
				estBytes: t.dataBytes / int64(len(ranges)), estRows: t.estRows / int64(len(ranges))})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].estBytes > all[j].estBytes })
	return all, nil
}

type rangePred struct {
	id, where string
}

// pkRanges splits [min, max] of a single integer key into n equal ranges.
// The first range is open below and the last open above, so every row is in
// exactly one range. Bounds are computed in big integers: a signed and an
// unsigned 64-bit key span more than either type holds.
func pkRanges(ctx context.Context, conn *client.Conn, t *table, n int64) ([]rangePred, error) {
	key := quoteIdent(t.pk[0])
	rows, err := queryStrings(ctx, conn, fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s", key, key, t.qualified()))
	if err != nil {
		return nil, fmt.Errorf("key range of %s: %w", t, err)
	}
	if len(rows) != 1 || rows[0][0] == "" {
		return nil, nil // empty table
	}
	lo, ok1 := new(big.Int).SetString(rows[0][0], 10)
	hi, ok2 := new(big.Int).SetString(rows[0][1], 10)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("key range of %s: %q, %q are not integers", t, rows[0][0], rows[0][1])
	}
	span := new(big.Int).Sub(hi, lo)
	span.Add(span, big.NewInt(1))
	if span.Cmp(big.NewInt(n)) < 0 {
		return nil, nil // tiny key span: one chunk
	}
	step := new(big.Int).Div(span, big.NewInt(n))
	if new(big.Int).Mod(span, big.NewInt(n)).Sign() != 0 {
		step.Add(step, big.NewInt(1))
	}
	bound := func(i int64) string {
		b := new(big.Int).Mul(step, big.NewInt(i))
		return b.Add(b, lo).String()
	}
	var rs []rangePred
	for i := range n {
		var preds []string
		from, to := "", ""
		if i > 0 {
			from = bound(i)
			preds = append(preds, key+" >= "+from)
		}
		if i < n-1 {
			to = bound(i + 1)
			preds = append(preds, key+" < "+to)
		}
		rs = append(rs, rangePred{id: fmt.Sprintf("pk:[%s,%s)", from, to), where: strings.Join(preds, " AND ")})
	}
	return rs, nil
}

// selectSQL is the query of a chunk.
func (c *chunk) selectSQL() string {
	q := "SELECT " + strings.Join(c.t.selects, ", ") + " FROM " + c.t.qualified()
	if c.where != "" {
		q += " WHERE " + c.where
	}
	return q
}

// segmentHeader is the stream header of a chunk.
func (c *chunk) segmentHeader(pos format.Position) format.Header {
	h := c.t.header
	h.Kind = format.KindSnapshot
	h.Table = c.t.id
	h.PrimaryKey = c.t.pk
	h.Chunk = format.Chunk{ID: c.id, Index: c.index, Count: c.count}
	h.Snapshot = pos
	h.Estimate = format.Estimate{Rows: c.estRows, Bytes: c.estBytes}
	return h
}
