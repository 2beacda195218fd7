package postgres

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dbmig/dbmig/format"
	"github.com/jackc/pglogrepl"
)

// A window collects whole source transactions until it is flushed as one
// change segment per table (version) and a checkpoint. Rows are kept as
// binary COPY rows (the change columns, the after image, the before image),
// which is also what pgoutput sends per value in binary mode: building a row
// copies the values' bytes once, and the snapshot's decoder turns them into
// Arrow batches at flush, so changes are typed exactly like snapshot rows.
//
// Memory is bounded: once the window's rows pass SpillBytes, further rows
// go to a temporary file (one large transaction cannot be cut, since a
// checkpoint only comes at a commit).
type window struct {
	tables   []*tableRows // in first-seen order; one relation version each
	byRel    map[*relation]*tableRows
	rows     int64
	memBytes int64
	bytes    int64
	txs      int64
	started  time.Time // when the first transaction of the window committed
	spillDir string
	spillMax int64

	lastEnd    pglogrepl.LSN // end of the last commit in the window
	lastCommit time.Time
}

// tableRows holds a window's rows of one relation version.
type tableRows struct {
	rel  *relation
	rows int64
	mem  bytes.Buffer
	file *os.File
	fw   *bufio.Writer
}

func newWindow(spillDir string, spillMax int64) *window {
	return &window{byRel: map[*relation]*tableRows{}, spillDir: spillDir, spillMax: spillMax}
}

func (w *window) empty() bool { return w.rows == 0 && w.txs == 0 }

func (w *window) table(r *relation) *tableRows {
	t := w.byRel[r]
	if t == nil {
		t = &tableRows{rel: r}
		w.byRel[r] = t
		w.tables = append(w.tables, t)
	}
	return t
}

// add appends one encoded COPY row.
func (w *window) add(t *tableRows, row []byte) error {
	w.rows++
	t.rows++
	w.bytes += int64(len(row))
	if t.file == nil && w.memBytes+int64(len(row)) > w.spillMax {
		f, err := os.CreateTemp(w.spillDir, "dbcdc-spill-*")
		if err != nil {
			return fmt.Errorf("spill a large transaction to disk: %w", err)
		}
		_ = os.Remove(f.Name()) // unlinked: gone with the process, whatever happens
		t.file, t.fw = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := t.fw.Write(t.mem.Bytes()); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		w.memBytes -= int64(t.mem.Len())
		t.mem = bytes.Buffer{}
	}
	if t.file != nil {
		if _, err := t.fw.Write(row); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		return nil
	}
	t.mem.Write(row)
	w.memBytes += int64(len(row))
	return nil
}

// reader returns the table's rows.
func (t *tableRows) reader() (io.Reader, error) {
	if t.file == nil {
		return &t.mem, nil
	}
	if err := t.fw.Flush(); err != nil {
		return nil, err
	}
	if _, err := t.file.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(t.file, 1<<20), nil
}

func (w *window) reset() {
	for _, t := range w.tables {
		if t.file != nil {
			t.file.Close()
		}
	}
	*w = window{byRel: map[*relation]*tableRows{}, spillDir: w.spillDir, spillMax: w.spillMax}
}

var copyHeader = append([]byte("PGCOPY\n\xff\r\n\x00"), 0, 0, 0, 0, 0, 0, 0, 0)
var copyTrailer = []byte{0xff, 0xff}

// flush writes the window as change segments and a checkpoint.
func (s *cdcSession) flush(now time.Time) error {
	w := s.win
	if w.empty() {
		return nil
	}
	cp := format.Checkpoint{Phase: format.PhaseCommit, Feed: s.feed, Position: lsnPosition(w.lastEnd),
		CommitTime: w.lastCommit, SourceTime: now, Rows: w.rows, Transactions: w.txs}
	for _, t := range w.tables {
		if err := s.writeTable(t); err != nil {
			return err
		}
		cp.Segments++
	}
	if err := s.writeCheckpoint(cp); err != nil {
		return err
	}
	s.stats.Transactions += w.txs
	s.stats.Changes += w.rows
	s.written = w.lastEnd
	w.reset()
	return nil
}

func (s *cdcSession) writeTable(t *tableRows) error {
	seg, err := s.w.Begin(t.rel.header, format.ChangeSegmentColumns(t.rel.cols))
	if err != nil {
		return err
	}
	dec, err := t.rel.decoder(s.cfg, func(rec arrow.RecordBatch) error {
		defer rec.Release()
		return seg.Write(rec)
	})
	if err != nil {
		seg.Abort()
		return err
	}
	src, err := t.reader()
	if err == nil {
		_, err = dec.Write(copyHeader)
	}
	if err == nil {
		_, err = io.Copy(dec, src)
	}
	if err == nil {
		_, err = dec.Write(copyTrailer)
	}
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		seg.Abort()
		return fmt.Errorf("changes of table %s: %w", t.rel.id, err)
	}
	if seg.Rows() != t.rows {
		seg.Abort()
		return fmt.Errorf("changes of table %s: decoded %d rows of %d", t.rel.id, seg.Rows(), t.rows)
	}
	return seg.Close()
}

func (s *cdcSession) writeCheckpoint(cp format.Checkpoint) error {
	seg, err := s.w.Begin(format.CheckpointHeader(cp), nil)
	if err != nil {
		return err
	}
	return seg.Close()
}

func lsnPosition(l pglogrepl.LSN) format.Position { return format.Position{"lsn": l.String()} }

// rowBuilder encodes one change as a binary COPY row.
type rowBuilder struct {
	buf []byte
}

func (b *rowBuilder) start(nfields int) {
	b.buf = binary.BigEndian.AppendUint16(b.buf[:0], uint16(nfields))
}

func (b *rowBuilder) null() { b.buf = binary.BigEndian.AppendUint32(b.buf, 0xffffffff) }

func (b *rowBuilder) bytes(v []byte) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(v)))
	b.buf = append(b.buf, v...)
}

func (b *rowBuilder) text(v string) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(v)))
	b.buf = append(b.buf, v...)
}

func (b *rowBuilder) int8(v int64) {
	b.buf = binary.BigEndian.AppendUint32(b.buf, 8)
	b.buf = binary.BigEndian.AppendUint64(b.buf, uint64(v))
}

// pgEpoch is PostgreSQL's timestamp origin.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (b *rowBuilder) timestamptz(t time.Time) {
	b.int8(t.Sub(pgEpoch).Microseconds())
}
