package analyze

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/dbmig/dbmig/format"
)

// profiler looks at the sample batches of one table for values that break
// a migration. It reads the source's columns (the stream before
// conversion), so it sees the values the copy will meet.
type profiler struct {
	engine  string // source engine
	cols    []format.Column
	target  []string // declared target type per column
	limit   []int    // character limit of the target type, 0 when none
	counts  map[string]*Finding
	keys    []foldedKey
	nextKey int
}

// foldedKey finds values of a unique key that differ only by case or
// accents: distinct where comparison is exact, duplicates under MySQL's
// default _ci collations.
type foldedKey struct {
	name  string
	cols  []int
	seen  map[string]string // folded → first original
	found *Finding
}

var lengthRE = regexp.MustCompile(`^(?:character varying|varchar|character|char)\((\d+)\)$`)

func newProfiler(h format.Header, src, converted []format.Column) *profiler {
	p := &profiler{engine: h.Table.Engine, cols: src, counts: map[string]*Finding{}}
	for _, c := range converted {
		tt := c.DeclaredType()
		p.target = append(p.target, tt)
		n := 0
		if m := lengthRE.FindStringSubmatch(tt); m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		p.limit = append(p.limit, n)
	}
	index := map[string]int{}
	for i, c := range src {
		index[c.Name] = i
	}
	for _, con := range h.Constraints {
		if con.Kind != "primary" && con.Kind != "unique" {
			continue
		}
		k := foldedKey{name: con.Name, seen: map[string]string{}}
		textual := false
		for _, name := range con.Columns {
			i, ok := index[name]
			if !ok {
				k.cols = nil
				break
			}
			k.cols = append(k.cols, i)
			textual = textual || isText(src[i].Type)
		}
		if textual && len(k.cols) > 0 {
			p.keys = append(p.keys, k)
		}
	}
	return p
}

func isText(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

// finding returns the table's finding of kind for column, created empty.
func (p *profiler) finding(kind, column string) *Finding {
	k := kind + "\x00" + column
	f := p.counts[k]
	if f == nil {
		f = &Finding{Kind: kind, Column: column}
		p.counts[k] = f
	}
	return f
}

// add profiles one batch of source rows.
func (p *profiler) add(rec arrow.RecordBatch) {
	for i, c := range p.cols {
		a := rec.Column(i)
		switch v := a.(type) {
		case *array.Date32:
			if p.engine != "mysql" {
				continue
			}
			for r := 0; r < v.Len(); r++ {
				if v.IsValid(r) && int32(v.Value(r)) == math.MinInt32 {
					f := p.finding(FindZeroDate, c.Name)
					f.Count++
					f.Example = "0000-00-00"
				}
			}
		case *array.Timestamp:
			if p.engine != "mysql" {
				continue
			}
			for r := 0; r < v.Len(); r++ {
				if v.IsValid(r) && int64(v.Value(r)) == math.MinInt64 {
					f := p.finding(FindZeroDate, c.Name)
					f.Count++
					f.Example = "0000-00-00 00:00:00"
				}
			}
		case *array.Uint64:
			if c.Logical == "bit" {
				continue
			}
			for r := 0; r < v.Len(); r++ {
				if v.IsValid(r) && v.Value(r) > math.MaxInt64 {
					f := p.finding(FindUnsignedHigh, c.Name)
					f.Count++
					f.Example = strconv.FormatUint(v.Value(r), 10)
				}
			}
		case *array.String:
			if bytes.IndexByte(v.ValueBytes(), 0) >= 0 {
				for r := 0; r < v.Len(); r++ {
					if v.IsValid(r) && strings.IndexByte(v.Value(r), 0) >= 0 {
						f := p.finding(FindNUL, c.Name)
						f.Count++
						f.Example = strconv.Quote(truncate(v.Value(r), 40))
					}
				}
			}
			if n := p.limit[i]; n > 0 {
				for r := 0; r < v.Len(); r++ {
					if v.IsValid(r) && len(v.Value(r)) > n && utf8.RuneCountInString(v.Value(r)) > n {
						f := p.finding(FindTooLong, c.Name)
						f.Count++
						f.Example = fmt.Sprintf("%d characters, %s holds %d", utf8.RuneCountInString(v.Value(r)), p.target[i], n)
					}
				}
			}
		}
	}
	for k := range p.keys {
		p.foldKey(&p.keys[k], rec)
	}
}

// foldKey records the key's values folded by case and accents, and a
// finding for two different values that fold to the same.
func (p *profiler) foldKey(k *foldedKey, rec arrow.RecordBatch) {
	parts := make([]string, len(k.cols))
	orig := make([]string, len(k.cols))
	for r := 0; r < int(rec.NumRows()); r++ {
		for j, ci := range k.cols {
			a := rec.Column(ci)
			if a.IsNull(r) {
				parts[j], orig[j] = "\x00null", "NULL"
				continue
			}
			s := a.ValueStr(r)
			orig[j] = s
			if isText(a.DataType()) {
				s = fold(s)
			}
			parts[j] = s
		}
		folded := strings.Join(parts, "\x1f")
		original := strings.Join(orig, ", ")
		prev, ok := k.seen[folded]
		if !ok {
			if len(k.seen) < 1<<20 { // bounded by the sample anyway
				k.seen[folded] = original
			}
			continue
		}
		if prev == original {
			continue
		}
		f := p.finding(FindCaseCollide, strings.Join(p.colNames(k.cols), ", "))
		f.Count++
		if f.Example == "" {
			f.Example = fmt.Sprintf("key %s: %q and %q", k.name, prev, original)
		}
	}
}

func (p *profiler) colNames(idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = p.cols[j].Name
	}
	return out
}

// fold is s compared case- and accent-insensitively, as MySQL's default
// utf8mb4 collations (utf8mb4_general_ci, utf8mb4_uca1400_ai_ci) compare.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return cases.Fold().String(out)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// findings returns the profile's findings in a stable order.
func (p *profiler) findings() []Finding {
	var out []Finding
	order := []string{FindZeroDate, FindUnsignedHigh, FindNUL, FindTooLong, FindCaseCollide}
	for _, kind := range order {
		for _, c := range p.cols {
			if f := p.counts[kind+"\x00"+c.Name]; f != nil {
				out = append(out, *f)
			}
		}
		if kind == FindCaseCollide {
			for k, f := range p.counts {
				if strings.HasPrefix(k, kind+"\x00") && strings.Contains(f.Column, ", ") {
					out = append(out, *f)
				}
			}
		}
	}
	return out
}
