package format

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// FormatLSN writes a change-stream position as "X/Y" (hex high and low 32
// bits), the form checkpoints carry and targets store.
func FormatLSN(v uint64) string { return fmt.Sprintf("%X/%X", v>>32, uint32(v)) }

// ParseLSN reads an "X/Y" position.
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not a position (want X/Y in hex)", s)
	}
	return h<<32 | l, nil
}

// ChangeSegment is a change segment read whole, its batches retained.
type ChangeSegment struct {
	Header  Header
	Columns []Column // the table's columns (the after image)
	Schema  *arrow.Schema
	Batches []arrow.RecordBatch
	Index   int
}

// ChangeUnit is the change segments between two checkpoints, with the
// checkpoint that closes them: what a loader commits together, or not at
// all.
type ChangeUnit struct {
	Segments   []*ChangeSegment
	Checkpoint Checkpoint
	LSN        uint64 // the checkpoint's position
	Rows       int64
}

// Release releases the unit's batches.
func (u *ChangeUnit) Release() {
	for _, s := range u.Segments {
		for _, b := range s.Batches {
			b.Release()
		}
		s.Batches = nil
	}
}

// ReadChangeUnits reads the change part of a stream of feed into units and
// sends them on out, checking that each checkpoint counts the segments and
// rows before it; then it closes out and sends the stream's end (nil) or
// error on errc. Run it in a goroutine: its consumer then knows whether more
// input is waiting or the input is idle.
func ReadChangeUnits(r *Reader, feed string, out chan<- *ChangeUnit, errc chan<- error) {
	defer close(out)
	var pending []*ChangeSegment
	var rows int64
	for {
		seg, err := r.Next()
		if err == io.EOF {
			if len(pending) > 0 {
				err = errors.New("the stream ended with change segments after its last checkpoint")
			} else {
				err = nil
			}
			errc <- err
			return
		}
		if err != nil {
			errc <- err
			return
		}
		switch seg.Header.Kind {
		case KindChange:
			cs, err := readChangeSegment(seg)
			if err != nil {
				errc <- err
				return
			}
			pending = append(pending, cs)
			for _, b := range cs.Batches {
				rows += b.NumRows()
			}
		case KindCheckpoint:
			cp, err := CheckpointOf(seg.Header)
			if err == nil && cp.Feed != feed {
				err = fmt.Errorf("segment %d belongs to feed %s, the stream to %s", seg.Index, cp.Feed, feed)
			}
			if err == nil && (cp.Phase != PhaseCommit && cp.Phase != PhaseHeartbeat) {
				err = fmt.Errorf("segment %d: unexpected %s checkpoint among changes", seg.Index, cp.Phase)
			}
			if err == nil && (cp.Segments != len(pending) || cp.Rows != rows) {
				err = fmt.Errorf("segment %d: checkpoint at %s counts %d segments and %d rows, the stream held %d and %d: segments are missing",
					seg.Index, cp.Position["lsn"], cp.Segments, cp.Rows, len(pending), rows)
			}
			var lsn uint64
			if err == nil {
				lsn, err = ParseLSN(cp.Position["lsn"])
			}
			if err != nil {
				errc <- err
				return
			}
			out <- &ChangeUnit{Segments: pending, Checkpoint: cp, LSN: lsn, Rows: rows}
			pending, rows = nil, 0
		default:
			errc <- fmt.Errorf("segment %d: a %s segment among changes", seg.Index, seg.Header.Kind)
			return
		}
	}
}

func readChangeSegment(seg *Segment) (*ChangeSegment, error) {
	cols, err := TableColumnsOf(seg.Columns)
	if err != nil {
		return nil, fmt.Errorf("segment %d (%s): %w", seg.Index, seg.Header.Table, err)
	}
	cs := &ChangeSegment{Header: seg.Header, Columns: cols, Schema: seg.Schema, Index: seg.Index}
	for {
		rec, err := seg.Read()
		if err == io.EOF {
			return cs, nil
		}
		if err != nil {
			for _, b := range cs.Batches {
				b.Release()
			}
			return nil, err
		}
		rec.Retain()
		cs.Batches = append(cs.Batches, rec)
	}
}
