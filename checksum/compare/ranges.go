package compare

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum"
)

// cut returns the ranges parent is cut into at bounds (ascending, inside
// parent).
func cut(parent Range, bounds []Key) []Range {
	out := make([]Range, 0, len(bounds)+1)
	lo := parent.Lo
	for i := range bounds {
		out = append(out, Range{Lo: lo, Hi: &bounds[i]})
		lo = &bounds[i]
	}
	return append(out, Range{Lo: lo, Hi: parent.Hi})
}

// bucket returns which of the ranges cut(parent, bounds) holds enc: the
// number of bounds at or below it.
func bucket(bounds []Key, enc []byte) int {
	return sort.Search(len(bounds), func(i int) bool { return bytes.Compare(bounds[i].Enc, enc) > 0 })
}

// locate returns the index of the range of sorted, disjoint ranges that
// holds enc, or -1.
func locate(ranges []Range, enc []byte) int {
	i := sort.Search(len(ranges), func(i int) bool {
		lo := ranges[i].Lo
		return lo != nil && bytes.Compare(lo.Enc, enc) > 0
	}) - 1
	if i >= 0 && ranges[i].Contains(enc) {
		return i
	}
	return -1
}

// keySample collects keys into a bounded uniform sample (reservoir), so
// that a side that can only scan everything still uses little memory.
type keySample struct {
	max  int
	seen int
	keys []Key
	enc  *checksum.KeyEncoder
	r    Range
	rnd  *rand.Rand
}

func newKeySample(max int, r Range) *keySample {
	return &keySample{max: max, r: r, rnd: rand.New(rand.NewPCG(1, 2))}
}

// add takes the keys of rec, whose key columns are at key (indexes into
// rec's schema, in key order).
func (s *keySample) add(rec arrow.RecordBatch, key []int) error {
	if s.enc == nil {
		enc, err := checksum.NewKeyEncoder(rec.Schema(), key)
		if err != nil {
			return err
		}
		s.enc = enc
	}
	s.enc.Bind(rec)
	for row := 0; row < int(rec.NumRows()); row++ {
		enc, err := s.enc.Append(nil, row)
		if err != nil {
			return err
		}
		if !s.r.Contains(enc) {
			continue
		}
		s.seen++
		switch {
		case len(s.keys) < s.max:
			s.keys = append(s.keys, Key{Enc: enc, Texts: s.enc.Texts(row)})
		default:
			if j := s.rnd.IntN(s.seen); j < s.max {
				s.keys[j] = Key{Enc: enc, Texts: s.enc.Texts(row)}
			}
		}
	}
	return nil
}

// bounds picks up to n-1 cut points from the sample, in key order, strictly
// inside the sampled range, so that every range has about the same share
// of the sampled keys.
func (s *keySample) bounds(n int) []Key {
	keys := s.sorted()
	if n > len(keys) {
		n = len(keys)
	}
	var out []Key
	for j := 1; j < n; j++ {
		k := keys[j*len(keys)/n]
		if s.r.Lo != nil && bytes.Compare(k.Enc, s.r.Lo.Enc) <= 0 {
			continue
		}
		if len(out) > 0 && bytes.Equal(out[len(out)-1].Enc, k.Enc) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// sorted returns the sampled keys in key order, without duplicates.
func (s *keySample) sorted() []Key {
	slices.SortFunc(s.keys, func(a, b Key) int { return bytes.Compare(a.Enc, b.Enc) })
	s.keys = slices.CompactFunc(s.keys, func(a, b Key) bool { return bytes.Equal(a.Enc, b.Enc) })
	return s.keys
}

// sampleKeys samples keys of t in r from side s: with its Sampler when it
// has one, else by scanning.
func sampleKeys(ctx context.Context, s Side, t *Table, r Range, n, max int) (*keySample, error) {
	ks := newKeySample(max, r)
	if sm, ok := s.(Sampler); ok {
		key := make([]int, len(t.PrimaryKey))
		for i := range key {
			key[i] = i
		}
		err := sm.SampleKeys(ctx, t, r, n, func(rec arrow.RecordBatch) error { return ks.add(rec, key) })
		return ks, err
	}
	key := make([]int, len(t.PrimaryKey))
	for i, name := range t.PrimaryKey {
		key[i] = t.Index(name)
	}
	var ranges []Range
	if r.Lo != nil || r.Hi != nil {
		ranges = []Range{r}
	}
	err := s.Scan(ctx, t, ranges, func(rec arrow.RecordBatch) error { return ks.add(rec, key) })
	return ks, err
}

// RangesSQL is an SQL condition true for rows whose key (keyRow, the key
// columns as an SQL row value) is in one of ranges; bound renders a bound
// key as an SQL row value (its values as parameters). Both PostgreSQL and
// MySQL sides build their range predicates with it.
func RangesSQL(ranges []Range, keyRow string, bound func(*Key) string) string {
	parts := make([]string, 0, len(ranges))
	for _, r := range ranges {
		var conds []string
		switch {
		case r.Point:
			conds = append(conds, keyRow+" = "+bound(r.Lo))
		default:
			if r.Lo != nil {
				conds = append(conds, keyRow+" >= "+bound(r.Lo))
			}
			if r.Hi != nil {
				conds = append(conds, keyRow+" < "+bound(r.Hi))
			}
		}
		if len(conds) == 0 {
			return "TRUE"
		}
		parts = append(parts, "("+strings.Join(conds, " AND ")+")")
	}
	if len(parts) == 0 {
		return "FALSE"
	}
	return strings.Join(parts, " OR ")
}
