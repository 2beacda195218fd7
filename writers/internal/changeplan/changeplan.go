// Package changeplan turns one table's run of change segments into what an
// apply stages: the changes collapsed per key (in order: the last image
// wins, a delete wins, updates that left columns out become rounds that keep
// the target's values), and the staged rows cut out of the batches without
// copying values. The PostgreSQL and MySQL appliers share it; each stages
// and applies the plan with its engine's statements.
package changeplan

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
)

// Step is one staged row: change row G of the run (counted across its
// batches), its before or after image, and Op: -1 delete, 0 insert or whole
// update, n > 0 the n-th round of updates keeping the columns whose Keep
// character is '1'.
type Step struct {
	G      int32
	Before bool
	Op     int32
	Keep   string
}

// Plan is a run's changes collapsed per key.
type Plan struct {
	Steps     []Step
	Rounds    int32 // the highest update round
	Truncated bool  // a truncate came first: empty the table before the steps
	Skipped   int64 // rows at or below the applied position
	batches   []arrow.RecordBatch
	ntab      int
}

// Collapse plans the changes of segs (one table, same columns) after
// applied. keyCols and cols are table column indexes of the key columns and
// of the staged columns; table names the table in errors.
func Collapse(segs []*format.ChangeSegment, keyCols, cols []int, applied uint64, table string) (Plan, error) {
	p := Plan{ntab: len(segs[0].Columns)}
	for _, s := range segs {
		p.batches = append(p.batches, s.Batches...)
	}
	state := map[string][]Step{}
	var order []string
	var kb []byte
	keyOf := func(b arrow.RecordBatch, row int, base int) (string, bool) {
		kb = kb[:0]
		for _, c := range keyCols {
			col := b.Column(base + c)
			if col.IsNull(row) {
				return "", false
			}
			kb = appendKey(kb, col, row)
		}
		return string(kb), true
	}
	put := func(k string, chain []Step) {
		if _, ok := state[k]; !ok {
			order = append(order, k)
		}
		state[k] = chain
	}
	var g int32
	keep := make([]byte, len(cols))
	for _, b := range p.batches {
		ops := b.Column(0).(*array.String)
		commit := b.Column(2).(*array.Int64)
		unch := b.Column(5).(*array.Binary)
		before := b.Column(6).(*array.String)
		after, beforeBase := format.ChangeColumns, format.ChangeColumns+p.ntab
		for row := 0; row < int(b.NumRows()); row, g = row+1, g+1 {
			if uint64(commit.Value(row)) < applied {
				p.Skipped++
				continue
			}
			where := func() string {
				return fmt.Sprintf("table %s at LSN %s", table, format.FormatLSN(uint64(b.Column(1).(*array.Int64).Value(row))))
			}
			switch op := ops.Value(row); op {
			case format.OpTruncate:
				clear(state)
				order = order[:0]
				p.Truncated = true
			case format.OpDelete:
				k, ok := keyOf(b, row, beforeBase)
				if !ok {
					return p, fmt.Errorf("%s: a delete without its key (REPLICA IDENTITY NOTHING?)", where())
				}
				put(k, []Step{{G: g, Before: true, Op: -1}})
			case format.OpInsert, format.OpUpdate:
				k, ok := keyOf(b, row, after)
				if !ok {
					return p, fmt.Errorf("%s: an %s without its key", where(), op)
				}
				var mask []byte
				if !unch.IsNull(row) {
					mask = unch.Value(row)
				}
				partial := false
				for j, c := range cols {
					keep[j] = '0'
					if c/8 < len(mask) && mask[c/8]&(1<<(c%8)) != 0 {
						keep[j] = '1'
						partial = true
					}
				}
				if op == format.OpUpdate && !before.IsNull(row) {
					if old, ok := keyOf(b, row, beforeBase); ok && old != k {
						if partial {
							return p, fmt.Errorf("%s: an update changed the key and did not send unchanged TOAST values: the target cannot know them (move such rows with a delete and an insert)", where())
						}
						put(old, []Step{{G: g, Before: true, Op: -1}})
					}
				}
				if !partial {
					put(k, []Step{{G: g, Op: 0}})
					continue
				}
				chain := state[k]
				if len(chain) > 0 && chain[0].Op == -1 {
					chain = nil // updated after a delete: nothing to keep
				}
				round := int32(1)
				if n := len(chain); n > 0 && chain[n-1].Op > 0 {
					round = chain[n-1].Op + 1
				}
				put(k, append(chain, Step{G: g, Op: round, Keep: string(keep)}))
			default:
				return p, fmt.Errorf("%s: unknown operation %q", where(), op)
			}
		}
	}
	for _, k := range order {
		for _, s := range state[k] {
			p.Steps = append(p.Steps, s)
			p.Rounds = max(p.Rounds, s.Op)
		}
	}
	return p, nil
}

// Stage cuts the staged rows out of the run's batches without copying
// values: sorted by image and row, contiguous rows are one slice, projected
// on the staged columns cols, with the op (int32) and keep (utf8) columns,
// as batches of schema. The caller releases them.
func (p *Plan) Stage(cols []int, schema *arrow.Schema) []arrow.RecordBatch {
	steps := p.Steps
	slices.SortFunc(steps, func(x, y Step) int {
		if x.Before != y.Before {
			if x.Before {
				return 1
			}
			return -1
		}
		return int(x.G - y.G)
	})
	starts := make([]int32, len(p.batches)+1)
	for i, b := range p.batches {
		starts[i+1] = starts[i] + int32(b.NumRows())
	}
	var out []arrow.RecordBatch
	mem := memory.DefaultAllocator
	for i := 0; i < len(steps); {
		s := steps[i]
		bi, _ := slices.BinarySearch(starts, s.G+1)
		bi--
		// The run: following steps of the same image in the same batch at
		// consecutive rows.
		j := i + 1
		for j < len(steps) && steps[j].Before == s.Before && steps[j].G == steps[j-1].G+1 && steps[j].G < starts[bi+1] {
			j++
		}
		b := p.batches[bi]
		lo, hi := int64(s.G-starts[bi]), int64(steps[j-1].G-starts[bi]+1)
		base := format.ChangeColumns
		if s.Before {
			base += p.ntab
		}
		arrs := make([]arrow.Array, 0, len(cols)+2)
		for _, c := range cols {
			arrs = append(arrs, array.NewSlice(b.Column(base+c), lo, hi))
		}
		ob := array.NewInt32Builder(mem)
		kb := array.NewStringBuilder(mem)
		for _, st := range steps[i:j] {
			ob.Append(st.Op)
			if st.Keep == "" {
				kb.AppendNull()
			} else {
				kb.Append(st.Keep)
			}
		}
		arrs = append(arrs, ob.NewArray(), kb.NewArray())
		ob.Release()
		kb.Release()
		out = append(out, array.NewRecordBatch(schema, arrs, hi-lo))
		for _, c := range arrs {
			c.Release()
		}
		i = j
	}
	return out
}

// Fingerprint names a change segment's column layout (names and Arrow
// types): an applier keeps one prepared target per table and layout, so an
// added column prepares it again.
func Fingerprint(s *arrow.Schema) string {
	var b strings.Builder
	for _, f := range s.Fields() {
		b.WriteString(f.Name)
		b.WriteByte(0)
		b.WriteString(f.Type.String())
		b.WriteByte(0)
	}
	return b.String()
}

// appendKey appends a self-delimiting encoding of a key value, without
// allocating for the usual key types (this runs once per key column of
// every change row). Before and after images of a column share its type, so
// equal values encode alike.
func appendKey(b []byte, col arrow.Array, row int) []byte {
	switch c := col.(type) {
	case *array.Int64:
		return binary.BigEndian.AppendUint64(b, uint64(c.Value(row)))
	case *array.Int32:
		return binary.BigEndian.AppendUint32(b, uint32(c.Value(row)))
	case *array.Int16:
		return binary.BigEndian.AppendUint16(b, uint16(c.Value(row)))
	case *array.String:
		v := c.Value(row)
		return append(binary.AppendUvarint(b, uint64(len(v))), v...)
	case *array.Binary:
		v := c.Value(row)
		return append(binary.AppendUvarint(b, uint64(len(v))), v...)
	}
	v := col.ValueStr(row)
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}
