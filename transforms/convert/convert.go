package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
)

// Field metadata keys where a conversion keeps the source's originals of
// what it rewrote in the target's SQL.
const (
	FieldSourceDefault   = "dbmig.source.default"
	FieldSourceGenerated = "dbmig.source.generated"
	FieldSourceCollation = "dbmig.source.collation"
	FieldSourceLogical   = "dbmig.source.logical"
)

// Convert reads every segment of r, converts it and writes it to the
// writer newWriter returns. newWriter is called once, with the source's
// stream ID, so the converted stream keeps it (a loader rerun on the
// converted stream of the same extraction skips what it already loaded).
// Convert closes the writer (writing the trailer) when the stream ends
// whole; on error the output is left unfinished and must be discarded.
func Convert(ctx context.Context, opts Options, r *format.Reader, newWriter func(streamID string) *format.Writer) (Report, error) {
	cv, err := NewConverter(opts)
	if err != nil {
		return Report{}, err
	}
	var w *format.Writer
	for {
		if err := ctx.Err(); err != nil {
			return cv.Report(), err
		}
		seg, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return cv.Report(), err
		}
		if w == nil {
			w = newWriter(seg.Header.Stream)
		}
		if err := cv.segment(ctx, seg, w); err != nil {
			return cv.Report(), err
		}
	}
	if w == nil {
		w = newWriter("")
	}
	if err := w.Close(); err != nil {
		return cv.Report(), fmt.Errorf("write the trailer: %w", err)
	}
	return cv.Report(), nil
}

// segment converts one segment of the stream.
func (cv *Converter) segment(ctx context.Context, seg *format.Segment, w *format.Writer) error {
	if seg.Header.Kind == format.KindCatalog {
		for _, h := range cv.Catalog(seg.Header) {
			sw, err := w.Begin(h, nil)
			if err != nil {
				return err
			}
			if err := sw.Close(); err != nil {
				return err
			}
		}
		return nil
	}
	switch seg.Header.Kind {
	case format.KindCheckpoint:
		return passCheckpoint(seg, w)
	case format.KindChange:
		return cv.changeSegment(ctx, seg, w)
	}
	t, err := cv.Table(seg.Header, seg.Columns)
	if err != nil {
		return err
	}
	sw, err := w.Begin(t.HeaderFor(seg.Header), t.Columns())
	if err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			sw.Abort()
			return err
		}
		rec, err := seg.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			sw.Abort()
			return err
		}
		out, err := t.Batch(rec)
		if err != nil {
			sw.Abort()
			return err
		}
		err = sw.Write(out)
		out.Release()
		if err != nil {
			return fmt.Errorf("table %s: write: %w", t.report.Target, err)
		}
	}
	return sw.Close()
}

// Converter converts the segments of one stream. It keeps what spans
// tables: target names in use (PostgreSQL index names are per schema) and
// the report. Its methods are safe for concurrent use.
type Converter struct {
	opts Options

	mu      sync.Mutex
	tables  map[string]*Table // by source schema.table
	order   []*Table
	names   map[string]string // target table or index name (schema\x00name) → who owns it, for collisions
	objects []ObjectReport
	from    string
}

// NewConverter validates opts and returns a Converter.
func NewConverter(opts Options) (*Converter, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Converter{opts: opts, tables: map[string]*Table{}, names: map[string]string{}}, nil
}

// Report returns the conversion report so far.
func (cv *Converter) Report() Report {
	cv.mu.Lock()
	defer cv.mu.Unlock()
	r := Report{From: cv.from, To: cv.opts.To, Objects: append([]ObjectReport(nil), cv.objects...), Tables: []*TableReport{}}
	for _, t := range cv.order {
		tr := *t.report
		tr.Rows = t.rows.Load()
		tr.Columns = append([]ColumnReport(nil), t.report.Columns...)
		for i := range tr.Columns {
			tr.Columns[i].Changed = t.changed[i].Load()
		}
		r.Tables = append(r.Tables, &tr)
	}
	return r
}

// Table returns the conversion of a table, planned on the first segment of
// the table seen; later chunks of the same table reuse it.
func (cv *Converter) Table(h format.Header, cols []format.Column) (*Table, error) {
	key := h.Table.Schema + "\x00" + h.Table.Name
	cv.mu.Lock()
	defer cv.mu.Unlock()
	if t := cv.tables[key]; t != nil {
		if len(cols) != len(t.plans) {
			return nil, fmt.Errorf("table %s: chunk %s has %d columns, an earlier chunk %d", h.Table, h.Chunk.ID, len(cols), len(t.plans))
		}
		return t, nil
	}
	if h.TargetEngine != "" {
		return nil, fmt.Errorf("table %s: the stream was already converted to %s (dbconvert runs once, on a source's stream)", h.Table, h.TargetEngine)
	}
	if cv.from == "" {
		cv.from = h.Table.Engine
	}
	var (
		t   *Table
		err error
	)
	switch {
	case h.Table.Engine == EngineMySQL && cv.opts.To == EnginePostgres:
		t, err = cv.planMySQLToPG(h, cols)
	case h.Table.Engine == EnginePostgres && cv.opts.To == EngineMySQL:
		var lt *LikeTable
		if lt, err = cv.likeTable(newRenamer(cv.opts.Identifiers)(h.Table.Name)); err == nil {
			if lt != nil {
				t, err = cv.planPGLike(h, cols, lt)
			} else {
				t, err = cv.planPGToMySQL(h, cols)
			}
		}
	case h.Table.Engine == cv.opts.To:
		return nil, fmt.Errorf("table %s: the stream is already %s; nothing to convert", h.Table, cv.opts.To)
	default:
		return nil, fmt.Errorf("table %s: converting %s to %s is not supported", h.Table, h.Table.Engine, cv.opts.To)
	}
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", h.Table, err)
	}
	owner := h.Table.String()
	tk := "table\x00" + t.header.Table.Schema + "\x00" + t.header.Table.Name
	if prev, ok := cv.names[tk]; ok {
		return nil, fmt.Errorf("tables %s and %s both become %s with --identifiers %s", prev, owner, t.header.Table, cv.opts.Identifiers)
	}
	cv.names[tk] = owner
	cv.tables[key] = t
	cv.order = append(cv.order, t)
	return t, nil
}

// claimIndexName reserves a schema-wide index name for a table and returns
// the name to use: name itself, or <table>_<name> when another table has it.
func (cv *Converter) claimIndexName(schema, table, name string) (string, bool) {
	k := "index\x00" + schema + "\x00" + name
	if owner, ok := cv.names[k]; !ok || owner == table {
		cv.names[k] = table
		return name, false
	}
	alt := table + "_" + name
	for i := 2; ; i++ {
		k = "index\x00" + schema + "\x00" + alt
		if _, ok := cv.names[k]; !ok {
			cv.names[k] = table
			return alt, true
		}
		alt = fmt.Sprintf("%s_%s_%d", table, name, i)
	}
}

// Table is the planned conversion of one table: converted header and
// columns, and a kernel per column that needs its values changed.
type Table struct {
	cv      *Converter
	header  format.Header // converted; HeaderFor adds a segment's chunk facts
	cols    []format.Column
	schema  *arrow.Schema // of converted batches
	plans   []colPlan
	keyCols []int // source columns of the primary key, for error messages
	srcCols []format.Column
	report  *TableReport
	changed []atomic.Int64 // per column, values rewritten
	rows    atomic.Int64
}

// colPlan converts one column; kernel nil passes the array through.
type colPlan struct {
	kernel kernel
	drop   bool // not in the output (a generated column of a --like target)
}

// kernel converts one column of a batch. It returns a new array (owned by
// the caller) or an error for a value the target cannot hold; row-level
// errors come from b.valueErr.
type kernel func(b *batch, a arrow.Array) (arrow.Array, error)

// Columns returns the converted columns.
func (t *Table) Columns() []format.Column { return t.cols }

// Header returns the converted header of the table's first segment.
func (t *Table) Header() format.Header { return t.header }

// HeaderFor returns the converted header for a segment of the table: the
// table's converted declarations with the segment's own chunk, snapshot
// and estimate.
func (t *Table) HeaderFor(h format.Header) format.Header {
	out := t.header
	out.Chunk, out.Snapshot, out.Estimate, out.Stream = h.Chunk, h.Snapshot, h.Estimate, h.Stream
	return out
}

// Report returns the table's report entry (column rules and items).
func (t *Table) Report() TableReport {
	r := *t.report
	r.Rows = t.rows.Load()
	return r
}

// Batch converts one record batch. The result belongs to the caller
// (Release it); columns that need no change share the input's arrays.
// Batch is safe for concurrent use (chunks of one table in parallel).
func (t *Table) Batch(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if int(rec.NumCols()) != len(t.plans) {
		return nil, fmt.Errorf("table %s: batch has %d columns, want %d", t.report.Source, rec.NumCols(), len(t.plans))
	}
	b := &batch{t: t, rec: rec}
	cols := make([]arrow.Array, 0, len(t.plans))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, p := range t.plans {
		in := rec.Column(i)
		switch {
		case p.drop:
			continue
		case p.kernel == nil:
			in.Retain()
			cols = append(cols, in)
			continue
		}
		b.col = i
		out, err := p.kernel(b, in)
		if err != nil {
			release()
			return nil, err
		}
		cols = append(cols, out)
	}
	out := array.NewRecordBatch(t.schema, cols, rec.NumRows())
	release() // NewRecordBatch retained them
	t.rows.Add(rec.NumRows())
	return out, nil
}

// batch is the state of one Batch call that kernels use.
type batch struct {
	t   *Table
	rec arrow.RecordBatch
	col int
}

// mem is the allocator for converted arrays.
func (b *batch) mem() memAlloc { return b.t.cv.opts.Allocator }

// count records n values rewritten in the current column.
func (b *batch) count(n int64) {
	if n > 0 {
		b.t.changed[b.col].Add(n)
	}
}

// ValueError is a value the target cannot hold, located by table, column
// and primary key (or row ordinal in the batch when the table has none).
type ValueError struct {
	Table  string
	Column string
	Key    string
	Reason string
	Flag   string // the option that would convert the value instead
}

func (e *ValueError) Error() string {
	s := fmt.Sprintf("table %s, column %s, %s: %s", e.Table, e.Column, e.Key, e.Reason)
	if e.Flag != "" {
		s += " (" + e.Flag + ")"
	}
	return s
}

// valueErr builds a ValueError for row i of the current column.
func (b *batch) valueErr(i int, flag, format string, args ...any) error {
	return &ValueError{Table: b.t.report.Source, Column: b.t.srcCols[b.col].Name, Key: b.key(i), Reason: fmt.Sprintf(format, args...), Flag: flag}
}

// key renders row i's primary key: "key (id)=(42)".
func (b *batch) key(i int) string {
	if len(b.t.keyCols) == 0 {
		return fmt.Sprintf("row %d of a batch (the table has no primary key)", i+1)
	}
	names := make([]string, len(b.t.keyCols))
	vals := make([]string, len(b.t.keyCols))
	for j, c := range b.t.keyCols {
		names[j] = b.t.srcCols[c].Name
		a := b.rec.Column(c)
		if a.IsNull(i) {
			vals[j] = "NULL"
		} else {
			vals[j] = a.ValueStr(i)
		}
	}
	return "key (" + strings.Join(names, ", ") + ")=(" + strings.Join(vals, ", ") + ")"
}

// errUntranslatable marks an expression that has no translation.
var errUntranslatable = errors.New("no translation")
