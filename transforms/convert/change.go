package convert

import (
	"context"
	"fmt"
	"io"
	"maps"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
)

// Change streams (docs/FORMAT.md, "Change streams") convert like snapshot
// streams: a change segment's after-image and before-image columns are a
// table's columns, converted by the same per-column plan as its snapshot
// segments (so a change lands typed exactly like the snapshot row it
// changes); the change columns pass through, and checkpoints are copied.

// passCheckpoint copies a checkpoint segment (no columns, no batches).
func passCheckpoint(seg *format.Segment, w *format.Writer) error {
	if _, err := format.CheckpointOf(seg.Header); err != nil {
		return fmt.Errorf("segment %d: %w", seg.Index, err)
	}
	sw, err := w.Begin(seg.Header, nil)
	if err != nil {
		return err
	}
	return sw.Close()
}

// changeSegment converts one change segment.
func (cv *Converter) changeSegment(ctx context.Context, seg *format.Segment, w *format.Writer) error {
	tableCols, err := format.TableColumnsOf(seg.Columns)
	if err != nil {
		return fmt.Errorf("segment %d (%s): %w", seg.Index, seg.Header.Table, err)
	}
	t, err := cv.Table(seg.Header, tableCols)
	if err != nil {
		return err
	}
	h := t.HeaderFor(seg.Header)
	h.Kind = format.KindChange
	h.Extra = maps.Clone(h.Extra)
	if h.Extra == nil {
		h.Extra = map[string]string{}
	}
	maps.Copy(h.Extra, seg.Header.Extra) // the feed, and the source's change facts
	sw, err := w.Begin(h, format.ChangeSegmentColumns(t.Columns()))
	if err != nil {
		return err
	}
	n := len(tableCols)
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
		out, err := t.changeBatch(sw.Schema(), rec, n)
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

// changeBatch converts a change batch: its after image and its before image
// each go through Batch; the change columns are kept as they are.
func (t *Table) changeBatch(schema *arrow.Schema, rec arrow.RecordBatch, n int) (arrow.RecordBatch, error) {
	if int(rec.NumCols()) != format.ChangeColumns+2*n {
		return nil, fmt.Errorf("table %s: change batch has %d columns, want %d", t.report.Source, rec.NumCols(), format.ChangeColumns+2*n)
	}
	cols := make([]arrow.Array, 0, rec.NumCols())
	for i := range format.ChangeColumns {
		cols = append(cols, rec.Column(i))
	}
	var converted []arrow.RecordBatch
	defer func() {
		for _, c := range converted {
			c.Release()
		}
	}()
	for _, base := range []int{format.ChangeColumns, format.ChangeColumns + n} {
		part := array.NewRecordBatch(imageSchema(t.srcCols), rec.Columns()[base:base+n], rec.NumRows())
		out, err := t.Batch(part)
		part.Release()
		if err != nil {
			return nil, err
		}
		converted = append(converted, out)
		cols = append(cols, out.Columns()...)
	}
	t.rows.Add(-rec.NumRows()) // Batch counted each image; a change is one row
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}

// imageSchema is a nullable schema of a table's source columns: an image's
// columns regrouped so that Batch sees a snapshot-shaped batch.
func imageSchema(cols []format.Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		f := c.Field()
		f.Nullable = true
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}
