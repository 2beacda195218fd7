package compare

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum"
)

// Kinds of row differences.
const (
	Missing = "missing" // in A, not in B
	Extra   = "extra"   // in B, not in A
	Changed = "changed" // in both, some column values differ
)

// storedRow is a row of side A held until B's rows of the same ranges have
// been seen: its hash, the canonical encoding of each column (to tell which
// columns differ) and their text (to show them).
type storedRow struct {
	hash  checksum.Hash
	vals  []byte
	ends  []int
	texts []string
	key   []string
}

// compareLeaves compares the rows of the leaf ranges one by one, a group of
// ranges at a time, and records the differences; with cfg.Live, those that
// still differ after a delay.
func (c *tableCheck) compareLeaves(ctx context.Context, leaves []Range) error {
	slices.SortFunc(leaves, func(x, y Range) int { return compareLo(x, y) })
	diffs, more, err := c.diffRanges(ctx, leaves)
	if err != nil {
		return err
	}
	if c.cfg.Live > 0 && len(diffs) > 0 {
		diffs, err = c.recheck(ctx, leaves, diffs)
		if err != nil {
			return err
		}
		c.rep.Note = fmt.Sprintf("differences re-checked after %s", c.cfg.Live)
	}
	c.rep.Rows, c.rep.MoreRows = diffs, more
	return nil
}

func compareLo(x, y Range) int {
	switch {
	case x.Lo == nil && y.Lo == nil:
		return 0
	case x.Lo == nil:
		return -1
	case y.Lo == nil:
		return 1
	}
	return bytes.Compare(x.Lo.Enc, y.Lo.Enc)
}

// recheck waits cfg.Live, compares again the ranges that held differences,
// and keeps the differences found both times.
func (c *tableCheck) recheck(ctx context.Context, leaves []Range, first []RowDiff) ([]RowDiff, error) {
	t := time.NewTimer(c.cfg.Live)
	select {
	case <-ctx.Done():
		t.Stop()
		return nil, ctx.Err()
	case <-t.C:
	}
	seen := map[string]bool{}
	var again []Range
	for _, d := range first {
		seen[string(d.keyEnc)] = true
		if i := locate(leaves, d.keyEnc); i >= 0 && (len(again) == 0 || compareLo(again[len(again)-1], leaves[i]) != 0) {
			again = append(again, leaves[i])
		}
	}
	second, _, err := c.diffRanges(ctx, again)
	if err != nil {
		return nil, err
	}
	var out []RowDiff
	for _, d := range second {
		if seen[string(d.keyEnc)] {
			out = append(out, d)
		}
	}
	return out, nil
}

// diffRanges compares the rows of sorted ranges. It returns up to
// cfg.MaxReport differences in key order, and the number of others.
func (c *tableCheck) diffRanges(ctx context.Context, ranges []Range) ([]RowDiff, int64, error) {
	per := max(1, groupRows/(2*c.cfg.RangeRows))
	if len(ranges) > 0 && ranges[0].Point {
		per = groupRows
	}
	var out []RowDiff
	var more int64
	for start := 0; start < len(ranges); start += per {
		group := ranges[start:min(start+per, len(ranges))]
		diffs, err := c.diffGroup(ctx, group)
		if err != nil {
			return nil, 0, err
		}
		for _, d := range diffs {
			if len(out) < c.cfg.MaxReport {
				out = append(out, d)
			} else {
				more++
			}
		}
	}
	return out, more, nil
}

// diffGroup reads A's rows of the ranges, then B's, matching them by key.
func (c *tableCheck) diffGroup(ctx context.Context, ranges []Range) ([]RowDiff, error) {
	held := map[string]*storedRow{}
	err := c.scanRows(ctx, c.a, c.ta, c.limA, ranges, func(key []byte, r *rowReader, row int) error {
		if _, dup := held[string(key)]; dup {
			return fmt.Errorf("%s: key %v appears twice", c.a.Name(), r.keys.Texts(row))
		}
		held[string(key)] = r.store(row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var diffs []RowDiff
	seenB := map[string]bool{}
	err = c.scanRows(ctx, c.b, c.tb, c.limB, ranges, func(key []byte, r *rowReader, row int) error {
		if seenB[string(key)] {
			return fmt.Errorf("%s: key %v appears twice", c.b.Name(), r.keys.Texts(row))
		}
		seenB[string(key)] = true
		a := held[string(key)]
		if a == nil {
			diffs = append(diffs, RowDiff{Kind: Extra, Key: c.keyMap(r.keys.Texts(row)), keyEnc: bytes.Clone(key)})
			return nil
		}
		delete(held, string(key))
		if a.hash == r.rows.Hash(row) {
			return nil
		}
		b := r.store(row)
		d := RowDiff{Kind: Changed, Key: c.keyMap(a.key), keyEnc: bytes.Clone(key)}
		for i, name := range c.columns {
			if !bytes.Equal(a.value(i), b.value(i)) {
				d.Columns = append(d.Columns, ColumnDiff{Column: name, A: a.texts[i], B: b.texts[i]})
			}
		}
		diffs = append(diffs, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for key, a := range held {
		diffs = append(diffs, RowDiff{Kind: Missing, Key: c.keyMap(a.key), keyEnc: []byte(key)})
	}
	slices.SortFunc(diffs, func(x, y RowDiff) int { return bytes.Compare(x.keyEnc, y.keyEnc) })
	return diffs, nil
}

func (c *tableCheck) keyMap(texts []string) map[string]string {
	m := make(map[string]string, len(texts))
	for i, name := range c.ta.PrimaryKey {
		m[name] = texts[i]
	}
	return m
}

func (s *storedRow) value(i int) []byte {
	start := 0
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.vals[start:s.ends[i]]
}

// rowReader reads rows of one side's batches: hashes, keys, values.
type rowReader struct {
	rows *checksum.Hasher
	keys *checksum.KeyEncoder
	cols []arrow.Array // compared columns of the bound batch
}

func (r *rowReader) store(row int) *storedRow {
	s := &storedRow{hash: r.rows.Hash(row), key: r.keys.Texts(row)}
	for i, a := range r.cols {
		s.vals = r.rows.AppendValue(s.vals, i, row)
		s.ends = append(s.ends, len(s.vals))
		s.texts = append(s.texts, checksum.ValueText(a, row))
	}
	return s
}

// scanRows calls fn for every row of side s inside ranges.
func (c *tableCheck) scanRows(ctx context.Context, s Side, t *Table, lim *limiter, ranges []Range,
	fn func(key []byte, r *rowReader, row int) error) error {
	rh, err := c.hasher(t)
	if err != nil {
		return err
	}
	kenc, err := c.keyEncoder(t)
	if err != nil {
		return err
	}
	r := &rowReader{rows: rh, keys: kenc, cols: make([]arrow.Array, len(c.columns))}
	idx := make([]int, len(c.columns))
	for i, name := range c.columns {
		idx[i] = t.Index(name)
	}
	var key []byte
	err = s.Scan(ctx, t, ranges, func(rec arrow.RecordBatch) error {
		rh.Bind(rec)
		kenc.Bind(rec)
		for i, j := range idx {
			r.cols[i] = rec.Column(j)
		}
		n := int(rec.NumRows())
		for row := 0; row < n; row++ {
			var err error
			if key, err = kenc.Append(key[:0], row); err != nil {
				return err
			}
			if locate(ranges, key) < 0 {
				continue
			}
			if err := fn(key, r, row); err != nil {
				return err
			}
		}
		return lim.wait(ctx, int64(n))
	})
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name(), err)
	}
	return nil
}
