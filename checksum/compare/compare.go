package compare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum"
)

// Modes of computing range digests.
const (
	ModeAuto     = "auto"     // pushdown when both sides can, else stream
	ModePushdown = "pushdown" // in the databases (same engine only)
	ModeStream   = "stream"   // rows streamed from both sides, hashed here
)

// Config says how to compare.
type Config struct {
	Filter Filter
	// Mode is ModeAuto (default), ModePushdown or ModeStream.
	Mode string
	// RangeRows is the size of the ranges whose rows are compared one by
	// one (default 10000): ranges with more rows that differ are split.
	RangeRows int
	// Sample, when > 0, compares about this many rows per table, picked at
	// random from side A, instead of every row (extra rows in B are then
	// not found).
	Sample int
	// MaxRowsPerSec limits the rows read from each side per second (0: no
	// limit), so that a check can run against a production server.
	MaxRowsPerSec int64
	// Live, when > 0, re-checks the differing rows after this delay and
	// reports only those that still differ: a change in flight (replicated
	// by CDC, not yet applied) is not a difference.
	Live time.Duration
	// MaxReport bounds the differing rows listed per table (default 1000);
	// the rest are counted.
	MaxReport int
	Logger    *slog.Logger
}

func (c *Config) defaults() {
	if c.Mode == "" {
		c.Mode = ModeAuto
	}
	if c.RangeRows <= 0 {
		c.RangeRows = 10000
	}
	if c.MaxReport <= 0 {
		c.MaxReport = 1000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Limits of the bisection.
const (
	maxRanges     = 4096   // ranges one level cuts a range into
	maxSampleKeys = 200000 // keys held to choose cut points
	maxDepth      = 6
	groupRows     = 32768 // rows of one side held at once to compare rows
)

// Compare compares the tables of a and b and reports what differs. An error
// means trouble (a side failed); differences are in the Report.
func Compare(ctx context.Context, a, b Side, cfg Config) (*Report, error) {
	cfg.defaults()
	switch cfg.Mode {
	case ModeAuto, ModePushdown, ModeStream:
	default:
		return nil, fmt.Errorf("unknown mode %q (want auto, pushdown or stream)", cfg.Mode)
	}
	var ta, tb []*Table
	err := both(ctx,
		func(ctx context.Context) (err error) { ta, err = a.Tables(ctx, cfg.Filter); return err },
		func(ctx context.Context) (err error) { tb, err = b.Tables(ctx, cfg.Filter); return err })
	if err != nil {
		return nil, err
	}
	if len(ta) == 0 && len(tb) == 0 {
		return nil, errors.New("no tables to compare (check --tables and --exclude)")
	}
	rep := &Report{A: a.Name(), B: b.Name()}
	limA, limB := newLimiter(cfg.MaxRowsPerSec), newLimiter(cfg.MaxRowsPerSec)
	for _, pair := range matchTables(ta, tb) {
		tr := &TableReport{RowsA: -1, RowsB: -1}
		rep.Tables = append(rep.Tables, tr)
		switch {
		case pair.b == nil:
			tr.Table = pair.a.ID.String()
			tr.Schema = append(tr.Schema, SchemaDiff{What: "table", Name: tr.Table, A: "present", B: "missing"})
			continue
		case pair.a == nil:
			tr.Table = pair.b.ID.String()
			tr.Schema = append(tr.Schema, SchemaDiff{What: "table", Name: tr.Table, A: "missing", B: "present"})
			continue
		}
		tr.Table = pair.a.ID.String()
		start := time.Now()
		tc := &tableCheck{cfg: &cfg, a: a, b: b, ta: pair.a, tb: pair.b, rep: tr, limA: limA, limB: limB}
		if err := tc.run(ctx); err != nil {
			return rep, fmt.Errorf("table %s: %w", tr.Table, err)
		}
		tr.Elapsed = time.Since(start)
		cfg.Logger.Info("table checked", "table", tr.Table, "mode", tr.Mode, "rows_a", tr.RowsA, "rows_b", tr.RowsB,
			"ranges", tr.Ranges, "differences", len(tr.Rows)+int(tr.MoreRows), "elapsed", tr.Elapsed.Round(time.Millisecond).String())
	}
	return rep, nil
}

type tablePair struct{ a, b *Table }

// matchTables pairs tables by schema and name, or by name alone when that
// is unique on both sides (a MySQL database against a PostgreSQL schema).
func matchTables(ta, tb []*Table) []tablePair {
	byFull := map[string]*Table{}
	byName := map[string][]*Table{}
	for _, t := range tb {
		byFull[t.ID.String()] = t
		byName[t.ID.Name] = append(byName[t.ID.Name], t)
	}
	used := map[*Table]bool{}
	var out []tablePair
	for _, t := range ta {
		m := byFull[t.ID.String()]
		if m == nil && len(byName[t.ID.Name]) == 1 {
			m = byName[t.ID.Name][0]
		}
		if m != nil && !used[m] {
			used[m] = true
			out = append(out, tablePair{t, m})
			continue
		}
		out = append(out, tablePair{a: t})
	}
	for _, t := range tb {
		if !used[t] {
			out = append(out, tablePair{b: t})
		}
	}
	return out
}

// tableCheck compares one pair of tables.
type tableCheck struct {
	cfg        *Config
	a, b       Side
	ta, tb     *Table
	rep        *TableReport
	limA, limB *limiter
	columns    []string // compared, in A's order
	push       bool
}

func (c *tableCheck) run(ctx context.Context) error {
	c.rep.key = c.ta.PrimaryKey
	c.rep.Schema = append(c.rep.Schema, diffSchema(c.ta, c.tb)...)
	for _, f := range c.ta.Schema.Fields() {
		if c.tb.Index(f.Name) >= 0 {
			c.columns = append(c.columns, f.Name)
		}
	}
	if len(c.ta.PrimaryKey) > 0 {
		for _, k := range c.ta.PrimaryKey {
			if c.tb.Index(k) < 0 {
				c.rep.Note = fmt.Sprintf("key column %s is missing in B: rows not compared", k)
				return nil
			}
		}
	}
	if err := c.chooseMode(); err != nil {
		return err
	}
	if c.cfg.Sample > 0 && len(c.ta.PrimaryKey) > 0 {
		c.rep.Mode = "sample"
		return c.sample(ctx)
	}
	if len(c.ta.PrimaryKey) == 0 {
		return c.noKey(ctx)
	}
	est := max(c.ta.EstRows, c.tb.EstRows)
	var bounds []Key
	if est > int64(2*c.cfg.RangeRows) {
		var err error
		src, srcT := c.a, c.ta
		if c.tb.EstRows > c.ta.EstRows {
			src, srcT = c.b, c.tb
		}
		if bounds, err = c.split(ctx, src, srcT, Range{}, est); err != nil {
			return err
		}
	}
	var leaves []Range
	if err := c.bisect(ctx, Range{}, bounds, 0, &leaves, true); err != nil {
		return err
	}
	return c.compareLeaves(ctx, leaves)
}

// chooseMode decides between pushdown and stream digests.
func (c *tableCheck) chooseMode() error {
	pa, okA := c.a.(Pusher)
	pb, okB := c.b.(Pusher)
	var why error
	switch {
	case !okA || !okB:
		why = errors.New("a side cannot compute digests itself")
	default:
		if why = pa.PushdownWith(c.b); why == nil {
			why = pb.PushdownWith(c.a)
		}
	}
	if why == nil {
		// The database hashes each type its own way: a column declared
		// differently on the two sides would make every range differ.
		for _, name := range c.columns {
			ca, cb := c.ta.Columns[c.ta.Index(name)], c.tb.Columns[c.tb.Index(name)]
			if ca.SourceType != cb.SourceType {
				why = fmt.Errorf("column %s is %s in A, %s in B", name, ca.SourceType, cb.SourceType)
				break
			}
		}
	}
	switch c.cfg.Mode {
	case ModePushdown:
		if why != nil {
			return fmt.Errorf("--mode=pushdown: %w", why)
		}
		c.push = true
	case ModeAuto:
		c.push = why == nil
		if why == nil && onThisHost(c.a) && onThisHost(c.b) {
			// Rows from a server on this host cost no network, and
			// hashing them here was faster than the in-server digests
			// (make bench-check: 18.8 s vs 22.7 s on 10 M rows).
			c.push = false
			why = errors.New("both servers are on this host")
		}
		if why != nil {
			c.cfg.Logger.Debug("streaming rows", "table", c.ta.ID.String(), "reason", why.Error())
		}
	}
	c.rep.Mode = ModeStream
	if c.push {
		c.rep.Mode = ModePushdown
	}
	return nil
}

// split chooses cut points for r, which holds about rows rows, from keys of
// side s sampled in r.
func (c *tableCheck) split(ctx context.Context, s Side, t *Table, r Range, rows int64) ([]Key, error) {
	n := int((rows + int64(c.cfg.RangeRows) - 1) / int64(c.cfg.RangeRows))
	n = min(n, maxRanges)
	if c.push {
		// Each cut point is one parameter per key column; PostgreSQL takes
		// at most 65535.
		n = min(n, 30000/len(t.PrimaryKey))
	}
	if n < 2 {
		return nil, nil
	}
	ks, err := sampleKeys(ctx, s, t, r, min(n*32, maxSampleKeys), maxSampleKeys)
	if err != nil {
		return nil, fmt.Errorf("sample keys of %s: %w", s.Name(), err)
	}
	return ks.bounds(n), nil
}

// bisect compares the digests of the ranges of parent cut at bounds, and
// goes down into those that differ until they are small enough to compare
// row by row (leaves).
func (c *tableCheck) bisect(ctx context.Context, parent Range, bounds []Key, depth int, leaves *[]Range, top bool) error {
	da, db, err := c.digests(ctx, parent, bounds)
	if err != nil {
		return err
	}
	c.rep.Ranges += len(da)
	if top {
		c.rep.RowsA, c.rep.RowsB = 0, 0
		for i := range da {
			c.rep.RowsA += da[i].Rows
			c.rep.RowsB += db[i].Rows
		}
	}
	for i, r := range cut(parent, bounds) {
		if da[i] == db[i] {
			continue
		}
		rows := max(da[i].Rows, db[i].Rows)
		if rows <= int64(2*c.cfg.RangeRows) || depth >= maxDepth {
			*leaves = append(*leaves, r)
			continue
		}
		s, t := c.a, c.ta
		if db[i].Rows > da[i].Rows {
			s, t = c.b, c.tb
		}
		sub, err := c.split(ctx, s, t, r, rows)
		if err != nil {
			return err
		}
		if len(sub) == 0 {
			*leaves = append(*leaves, r)
			continue
		}
		if err := c.bisect(ctx, r, sub, depth+1, leaves, false); err != nil {
			return err
		}
	}
	return nil
}

// digests returns both sides' digests of the ranges of parent cut at
// bounds, computed at the same time.
func (c *tableCheck) digests(ctx context.Context, parent Range, bounds []Key) (da, db []checksum.Digest, err error) {
	one := func(s Side, t *Table, lim *limiter) func(context.Context) error {
		return func(ctx context.Context) error {
			var d []checksum.Digest
			var err error
			if c.push {
				d, err = s.(Pusher).Digests(ctx, t, c.columns, parent, bounds)
				if err == nil {
					var rows int64
					for _, x := range d {
						rows += x.Rows
					}
					err = lim.wait(ctx, rows)
				}
			} else {
				d, err = c.streamDigests(ctx, s, t, lim, parent, bounds)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", s.Name(), err)
			}
			if s == c.a {
				da = d
			} else {
				db = d
			}
			return nil
		}
	}
	err = both(ctx, one(c.a, c.ta, c.limA), one(c.b, c.tb, c.limB))
	return da, db, err
}

// streamDigests scans the rows of parent from s and digests them per range
// in Go.
func (c *tableCheck) streamDigests(ctx context.Context, s Side, t *Table, lim *limiter, parent Range, bounds []Key) ([]checksum.Digest, error) {
	rh, err := c.hasher(t)
	if err != nil {
		return nil, err
	}
	kenc, err := c.keyEncoder(t)
	if err != nil {
		return nil, err
	}
	d := make([]checksum.Digest, len(bounds)+1)
	var ranges []Range
	if parent.Lo != nil || parent.Hi != nil {
		ranges = []Range{parent}
	}
	var key []byte
	err = s.Scan(ctx, t, ranges, func(rec arrow.RecordBatch) error {
		rh.Bind(rec)
		kenc.Bind(rec)
		n := int(rec.NumRows())
		for row := 0; row < n; row++ {
			var err error
			if key, err = kenc.Append(key[:0], row); err != nil {
				return err
			}
			if !parent.Contains(key) {
				continue
			}
			d[bucket(bounds, key)].Add(rh.Hash(row))
		}
		return lim.wait(ctx, int64(n))
	})
	return d, err
}

func (c *tableCheck) hasher(t *Table) (*checksum.Hasher, error) {
	idx := make([]int, len(c.columns))
	for i, name := range c.columns {
		idx[i] = t.Index(name)
	}
	return checksum.NewHasher(t.Schema, idx)
}

func (c *tableCheck) keyEncoder(t *Table) (*checksum.KeyEncoder, error) {
	idx := make([]int, len(c.ta.PrimaryKey))
	for i, name := range c.ta.PrimaryKey {
		idx[i] = t.Index(name)
	}
	return checksum.NewKeyEncoder(t.Schema, idx)
}

// noKey compares a table without a primary key by its whole digest: rows
// cannot be matched, only counted and summed.
func (c *tableCheck) noKey(ctx context.Context) error {
	da, db, err := c.digests(ctx, Range{}, nil)
	if err != nil {
		return err
	}
	c.rep.Ranges = 1
	c.rep.RowsA, c.rep.RowsB = da[0].Rows, db[0].Rows
	if da[0] != db[0] {
		c.rep.Note = "the rows differ; the table has no primary key, so the differing rows are not identified"
		c.rep.Differs = true
	}
	return nil
}

// sample compares the rows of about cfg.Sample keys taken from A.
func (c *tableCheck) sample(ctx context.Context) error {
	ks, err := sampleKeys(ctx, c.a, c.ta, Range{}, c.cfg.Sample, c.cfg.Sample)
	if err != nil {
		return fmt.Errorf("sample keys of %s: %w", c.a.Name(), err)
	}
	keys := ks.sorted()
	points := make([]Range, len(keys))
	for i := range keys {
		points[i] = Range{Lo: &keys[i], Point: true}
	}
	c.rep.Ranges = len(points)
	return c.compareLeaves(ctx, points)
}

// both runs fa and fb at once and returns the first error; the other is
// cancelled.
func both(ctx context.Context, fa, fb func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, f := range []func(context.Context) error{fa, fb} {
		wg.Go(func() {
			if err := f(ctx); err != nil {
				errs[i] = err
				cancel(err)
			}
		})
	}
	wg.Wait()
	// The first failure cancelled the other side: report the cause, not the
	// cancellation it provoked.
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return errors.Join(errs...)
}

// Local is implemented by sides that can tell whether their server runs on
// this host (a loopback or Unix-socket connection).
type Local interface {
	OnThisHost() bool
}

func onThisHost(s Side) bool {
	l, ok := s.(Local)
	return ok && l.OnThisHost()
}
