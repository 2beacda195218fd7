package pgcodec

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// copySignature starts every binary COPY stream.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

const (
	headerLen = 11 + 4 + 4 // signature, flags, header extension length

	// Batch limits when the caller sets none.
	DefaultMaxRows  = 65536
	DefaultMaxBytes = 8 << 20
	// maxBatchBytes caps MaxBytes: a batch may overshoot it by one row, whose
	// values (up to 1 GiB each) must still fit Arrow's int32 offsets.
	maxBatchBytes = 512 << 20
)

// decoder states
const (
	stHeader = iota
	stRows
	stDone
)

// Decoder parses a binary COPY stream (header, rows, trailer) into record
// batches. It is an io.Writer, to be handed to pgconn.CopyTo: a Write may end
// anywhere, and rows that arrive whole (pgconn writes one row per CopyData
// message) are decoded straight from the caller's bytes.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	// MaxRows and MaxBytes bound a batch: a batch is emitted as soon as it
	// holds MaxRows rows or MaxBytes bytes of COPY data (so one huge value
	// makes a batch of its own). MaxBytes is capped at 512 MiB, so that a
	// batch's values fit Arrow's 32-bit offsets. Zero means the default.
	// Change them, and TrustUTF8, before the first Write (the settings are
	// read again at the first Write after Reset).
	MaxRows  int
	MaxBytes int
	// Keys lists indexes of key columns. When a value fails, the values of the
	// key columns already decoded in that row are quoted in the ValueError.
	Keys []int
	// TrustUTF8 skips the UTF-8 check of text values (about a tenth of the
	// decoding time of the benchmark row). Arrow requires valid UTF-8 in utf8
	// columns. With client_encoding UTF8 (pgconn's default) the server
	// converts and checks every text value it sends, except when its own
	// encoding is SQL_ASCII, which stores and sends any bytes: the reader can
	// set TrustUTF8 when server_encoding is not SQL_ASCII. Otherwise invalid
	// text is an error naming column and row.
	TrustUTF8 bool

	schema *arrow.Schema
	mem    *recycler
	cols   []*column
	arrs   []arrow.Array
	emit   func(arrow.RecordBatch) error

	state  int
	begun  bool
	pend   []byte   // an incomplete header or row carried between Writes
	need   int      // bytes pend must hold before the next parsing attempt
	rows   int64    // rows decoded so far
	prog   progress // rows and COPY bytes in the current batch
	room   int      // rows that fit the reserved room of the columns (see column.reserve)
	err    error    // first error; every later call returns it
	closed bool
}

// NewDecoder returns a Decoder for a COPY of columns of types cols, mapped
// with o, that emits batches of schema. schema must have one field per
// column, of the type ArrowType gives (its metadata is the caller's). Emitted
// batches belong to emit, which must release them; an error from emit stops
// the decoding and is returned by Write. Memory comes from mem, and the
// memory of a released batch is reused for the next batches of the same
// COPY (until Close): nothing may read a batch after its last Release.
func NewDecoder(mem memory.Allocator, schema *arrow.Schema, cols []Type, o Options, emit func(arrow.RecordBatch) error) (*Decoder, error) {
	if schema.NumFields() != len(cols) {
		return nil, fmt.Errorf("schema has %d fields for %d columns", schema.NumFields(), len(cols))
	}
	d := &Decoder{MaxRows: DefaultMaxRows, MaxBytes: DefaultMaxBytes, schema: schema, emit: emit, mem: &recycler{parent: mem}}
	for i, t := range cols {
		f := schema.Field(i)
		p, err := planOf(t, o)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		if !arrow.TypeEqual(p.typ, f.Type) {
			return nil, fmt.Errorf("column %q: schema has type %s, type %s maps to %s", f.Name, f.Type, t.Name, p.typ)
		}
		d.cols = append(d.cols, newColumn(d.mem, &d.prog, f.Name, p, f.Type))
	}
	d.arrs = make([]arrow.Array, len(cols))
	return d, nil
}

// Rows returns the number of rows decoded so far.
func (d *Decoder) Rows() int64 { return d.rows }

// Write decodes p. It returns len(p) or an error; after an error the Decoder
// is unusable and Close returns the same error.
func (d *Decoder) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if d.closed {
		return 0, errClosed
	}
	if !d.begun {
		d.begin()
	}
	total := len(p)
	// Complete a unit left incomplete by an earlier Write, adding only the
	// bytes it is known to need so that pend never holds the next unit.
	for len(d.pend) > 0 && len(p) > 0 {
		k := min(d.need-len(d.pend), len(p))
		d.pend = append(d.pend, p[:k]...)
		p = p[k:]
		if len(d.pend) < d.need {
			break
		}
		if d.state == stRows {
			// Make sure the row is whole before decoding it, so that a row
			// arriving in many pieces is not decoded and undone for each.
			_, need, err := d.rowEnd(d.pend)
			if err != nil {
				return 0, d.fail(err)
			}
			if need > 0 {
				d.need = need
				continue
			}
		}
		n, need, err := d.step(d.pend)
		if err != nil {
			return 0, d.fail(err)
		}
		if n == 0 {
			d.need = need
			continue
		}
		d.pend = d.pend[:0]
	}
	for len(p) > 0 {
		n, need, err := d.step(p)
		if err != nil {
			return 0, d.fail(err)
		}
		if n == 0 {
			d.pend = append(d.pend[:0], p...)
			d.need = need
			break
		}
		p = p[n:]
	}
	return total, nil
}

// begin applies the settings, which the caller may change until the first Write.
func (d *Decoder) begin() {
	d.begun = true
	if d.MaxRows <= 0 {
		d.MaxRows = DefaultMaxRows
	}
	if d.MaxBytes <= 0 {
		d.MaxBytes = DefaultMaxBytes
	}
	d.prog.maxRows, d.prog.maxBytes = d.MaxRows, min(d.MaxBytes, maxBatchBytes)
	for _, c := range d.cols {
		c.setCheckUTF8(!d.TrustUTF8)
	}
	// Keep about two batches' memory: the one the consumer is done with,
	// while the next one fills.
	d.mem.setOpen(true, 2*d.prog.maxBytes+1<<20)
}

// step parses one unit (the header, a row or the trailer) at the start of b.
// It returns the unit's length, or 0 and the number of bytes b must have
// before the unit can be parsed.
func (d *Decoder) step(b []byte) (n, need int, err error) {
	switch d.state {
	case stHeader:
		return d.header(b)
	case stRows:
		return d.row(b)
	}
	return 0, 0, fmt.Errorf("%d bytes after the end of the copy stream", len(b))
}

func (d *Decoder) header(b []byte) (int, int, error) {
	if len(b) < headerLen {
		if !bytes.HasPrefix(copySignature, b[:min(len(b), len(copySignature))]) {
			return 0, 0, errNotCopy
		}
		return 0, headerLen, nil
	}
	if !bytes.Equal(b[:11], copySignature) {
		return 0, 0, errNotCopy
	}
	flags := binary.BigEndian.Uint32(b[11:])
	if flags&(1<<16) != 0 {
		return 0, 0, fmt.Errorf("binary copy stream has OIDs, which this decoder does not read")
	}
	if flags>>17 != 0 {
		return 0, 0, fmt.Errorf("binary copy stream has unknown critical flags 0x%08x", flags)
	}
	ext := int(int32(binary.BigEndian.Uint32(b[15:])))
	if ext < 0 {
		return 0, 0, fmt.Errorf("binary copy header has invalid extension length %d", ext)
	}
	if len(b) < headerLen+ext {
		return 0, headerLen + ext, nil
	}
	d.state = stRows
	return headerLen + ext, 0, nil
}

// flush emits the current batch, if it has rows.
func (d *Decoder) flush() error {
	if d.prog.rows == 0 {
		return nil
	}
	for i, c := range d.cols {
		data := c.finish()
		d.arrs[i] = array.MakeFromData(data)
		data.Release()
	}
	rec := array.NewRecordBatch(d.schema, d.arrs, int64(d.prog.rows))
	for i, a := range d.arrs {
		a.Release()
		d.arrs[i] = nil
	}
	d.prog.rows, d.prog.bytes, d.room = 0, 0, 0
	return d.emit(rec)
}

func (d *Decoder) fail(err error) error {
	d.err = err
	d.release()
	return err
}

// release frees the unemitted batch, and the memory kept for reuse: the
// Decoder is done, until Reset.
func (d *Decoder) release() {
	for _, c := range d.cols {
		c.release()
	}
	d.mem.setOpen(false, 0)
	d.prog.rows, d.prog.bytes, d.room = 0, 0, 0
}

// Reset readies the Decoder for another COPY of the same columns, emitting
// to emit, whatever state it was left in (closed, failed, or mid-stream: an
// unemitted batch is freed). It keeps the buffer sizes learnt so far, so the
// first batch of the next COPY does not regrow its buffers from nothing,
// copying them as it goes.
func (d *Decoder) Reset(emit func(arrow.RecordBatch) error) {
	d.release()
	for _, c := range d.cols {
		c.zeroCounts()
		c.begin()
	}
	d.emit = emit
	d.state, d.pend, d.need = stHeader, d.pend[:0], 0
	d.rows = 0
	d.err, d.closed = nil, false
	d.begun = false // begin again: the settings, and the reuse of memory
}

// Close emits the last batch. It fails if the stream ended before its
// trailer, in the middle of a row, or after an earlier error; the memory of
// an unemitted batch is freed in every case.
func (d *Decoder) Close() error {
	if d.closed || d.err != nil {
		d.closed = true
		return d.err
	}
	d.closed = true
	if d.state != stDone {
		err := errNoTrailer
		if len(d.pend) > 0 {
			err = errTruncated
		}
		if d.state == stRows || len(d.pend) > 0 {
			err = fmt.Errorf("after row %d: %w", d.rows, err)
		}
		return d.fail(err)
	}
	if err := d.flush(); err != nil {
		return d.fail(err)
	}
	d.release()
	return nil
}
