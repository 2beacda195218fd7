package pgcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	copyHeader  = append(append([]byte(nil), copySignature...), 0, 0, 0, 0, 0, 0, 0, 0) // flags 0, no extension
	copyTrailer = []byte{0xff, 0xff}
)

// reader states
const (
	rsHeader = iota
	rsRows
	rsTrailer
	rsDone
)

// CopyReader is the io.Reader an Encoder gives for one COPY: the binary
// header, every row of the batches next returns, and the trailer. Read
// encodes straight into the caller's buffer, of any size down to one byte; a
// field that does not fit is staged in a small buffer (or, for a long text or
// bytea value, read from the batch's own memory) and carried to the next Read.
//
// Ownership: the CopyReader releases every batch next returns, once its rows
// are encoded. Close releases the batch in hand when the COPY stops early.
// A CopyReader is not safe for concurrent use.
type CopyReader struct {
	e     *Encoder
	next  func() (arrow.RecordBatch, error)
	cols  []*encCol
	state int

	batch arrow.RecordBatch
	nrows int
	row   int   // next row of batch
	col   int   // next column of row; -1 before the row's field count
	done  int64 // rows of earlier batches

	pend    []byte // encoded bytes not yet read
	big     []byte // then these: a long value, in the batch's memory
	scratch []byte
	err     error
}

// Reader returns the COPY stream of the batches next returns until it
// returns io.EOF. Any other error from next ends the stream with that error.
func (e *Encoder) Reader(next func() (arrow.RecordBatch, error)) *CopyReader {
	r := &CopyReader{e: e, next: next}
	for _, c := range e.cols {
		r.cols = append(r.cols, c.clone())
	}
	return r
}

// clone copies the column plan, so that readers of one Encoder can run at
// the same time.
func (c *encCol) clone() *encCol {
	d := *c
	if c.kid != nil {
		d.kid = c.kid.clone()
	}
	for i, k := range c.kids {
		if k != nil {
			d.kids[i] = k.clone()
		}
	}
	return &d
}

// Rows returns the number of rows fully encoded so far.
func (r *CopyReader) Rows() int64 { return r.done + int64(r.row) }

// Read implements io.Reader.
func (r *CopyReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n := 0
	for n < len(p) {
		if len(r.pend) > 0 {
			k := copy(p[n:], r.pend)
			r.pend = r.pend[k:]
			n += k
			continue
		}
		if len(r.big) > 0 {
			k := copy(p[n:], r.big)
			r.big = r.big[k:]
			n += k
			continue
		}
		switch r.state {
		case rsHeader:
			r.pend, r.state = copyHeader, rsRows
		case rsRows:
			if r.row >= r.nrows {
				if err := r.nextBatch(); err == io.EOF {
					r.state = rsTrailer
				} else if err != nil {
					return n, r.fail(err)
				}
				continue
			}
			k, err := r.encode(p[n:])
			n += k
			if err != nil {
				return n, r.fail(err)
			}
		case rsTrailer:
			r.pend, r.state = copyTrailer, rsDone
		case rsDone:
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
	}
	return n, nil
}

// encode writes rows into dst until a field does not fit, which it stages.
// The common kinds are written inline, each with its own room check; the
// rest, and any value these do not take, go through put.
func (r *CopyReader) encode(dst []byte) (int, error) {
	n := 0
	cols := r.cols
	row, col := r.row, r.col
	for ; row < r.nrows; row, col = row+1, -1 {
		if col < 0 {
			if len(dst)-n < 2 {
				r.pend = binary.BigEndian.AppendUint16(r.scratch[:0], uint16(len(cols)))
				r.row, r.col = row, 0
				return n, nil
			}
			binary.BigEndian.PutUint16(dst[n:], uint16(len(cols)))
			n += 2
			col = 0
		}
		for ; col < len(cols); col++ {
			c := cols[col]
			room := len(dst) - n
			if c.isNull(row) {
				if room >= 4 {
					binary.BigEndian.PutUint32(dst[n:], math.MaxUint32) // -1
					n += 4
					continue
				}
			} else {
				switch c.kind {
				case eInt8, eFloat8:
					if room >= 12 {
						w := dst[n : n+12 : n+12]
						binary.BigEndian.PutUint32(w, 8)
						binary.BigEndian.PutUint64(w[4:], binary.LittleEndian.Uint64(c.fixed[8*row:]))
						n += 12
						continue
					}
				case eInt4, eFloat4:
					if room >= 8 {
						w := dst[n : n+8 : n+8]
						binary.BigEndian.PutUint32(w, 4)
						binary.BigEndian.PutUint32(w[4:], binary.LittleEndian.Uint32(c.fixed[4*row:]))
						n += 8
						continue
					}
				case eTimestamp:
					if a := int64(binary.LittleEndian.Uint64(c.fixed[8*row:])); room >= 12 && a >= tsMinArrow && a != math.MaxInt64 {
						w := dst[n : n+12 : n+12]
						binary.BigEndian.PutUint32(w, 8)
						binary.BigEndian.PutUint64(w[4:], uint64(a-epochMicros))
						n += 12
						continue
					}
				case eDate:
					if a := int64(int32(binary.LittleEndian.Uint32(c.fixed[4*row:]))) - epochDays; room >= 8 && a >= dateMinPG && a < dateEndPG {
						w := dst[n : n+8 : n+8]
						binary.BigEndian.PutUint32(w, 4)
						binary.BigEndian.PutUint32(w[4:], uint32(a))
						n += 8
						continue
					}
				case eBool:
					if room >= 5 {
						i := c.boff + row
						w := dst[n : n+5 : n+5]
						binary.BigEndian.PutUint32(w, 1)
						w[4] = c.fixed[i>>3] >> (i & 7) & 1
						n += 5
						continue
					}
				case eFixed:
					if c.width == 16 && room >= 20 {
						s := c.fixed[16*row : 16*row+16]
						w := dst[n : n+20 : n+20]
						binary.BigEndian.PutUint32(w, 16)
						binary.LittleEndian.PutUint64(w[4:], binary.LittleEndian.Uint64(s))
						binary.LittleEndian.PutUint64(w[12:], binary.LittleEndian.Uint64(s[8:]))
						n += 20
						continue
					}
				case eBytes:
					if s := c.data[c.offs[row]:c.offs[row+1]]; room >= 4+len(s) {
						binary.BigEndian.PutUint32(dst[n:], uint32(len(s)))
						n += 4 + copy(dst[n+4:], s)
						continue
					}
				case eJSONB:
					if s := c.data[c.offs[row]:c.offs[row+1]]; room >= 5+len(s) {
						w := dst[n : n+5 : n+5]
						binary.BigEndian.PutUint32(w, uint32(len(s)+1))
						w[4] = 1 // jsonb binary format version
						n += 5 + copy(dst[n+5:], s)
						continue
					}
				case eNumDec:
					if room >= 4+numericDecimalMax {
						s := c.fixed[16*row:]
						k := putNumericDecimal(dst[n+4:], binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:16]), c.scale)
						binary.BigEndian.PutUint32(dst[n:], uint32(k))
						n += 4 + k
						continue
					}
				}
			}
			k, err := put(c, dst[n:], row)
			if err != nil {
				r.row, r.col = row, col
				return n, r.valueError(err)
			}
			if k < 0 {
				r.row, r.col = row, col
				if err := r.spill(c); err != nil {
					return n, r.valueError(err)
				}
				r.advance()
				return n, nil
			}
			n += k
		}
	}
	r.row, r.col = row, col
	return n, nil
}

func (r *CopyReader) advance() {
	if r.col++; r.col == len(r.cols) {
		r.col = -1
		r.row++
	}
}

// spill stages the current field, which did not fit the caller's buffer.
func (r *CopyReader) spill(c *encCol) error {
	if (c.kind == eBytes || c.kind == eJSONB) && !c.isNull(r.row) {
		v := c.varBytes(r.row)
		h := r.scratch[:0]
		if c.kind == eJSONB {
			h = append(binary.BigEndian.AppendUint32(h, uint32(len(v)+1)), 1)
		} else {
			h = binary.BigEndian.AppendUint32(h, uint32(len(v)))
		}
		r.scratch = h
		r.pend, r.big = h, v
		return nil
	}
	size := maxSize(c, r.row)
	if cap(r.scratch) < size {
		r.scratch = make([]byte, size)
	}
	k, err := put(c, r.scratch[:size], r.row)
	if err != nil {
		return err
	}
	if k < 0 {
		return fmt.Errorf("internal error: field needs more than its bound of %d bytes", size)
	}
	r.pend = r.scratch[:k]
	return nil
}

// nextBatch releases the finished batch and binds the next one.
func (r *CopyReader) nextBatch() error {
	if r.batch != nil {
		r.done += int64(r.nrows)
		r.batch.Release()
		r.batch = nil
		r.nrows, r.row = 0, 0
	}
	b, err := r.next()
	if err != nil {
		return err
	}
	if b == nil {
		return errors.New("batch source returned no batch and no error")
	}
	r.batch = b
	if s := b.Schema(); s != r.e.schema {
		if int(b.NumCols()) != len(r.cols) {
			return fmt.Errorf("batch has %d columns, want %d", b.NumCols(), len(r.cols))
		}
		for i, f := range s.Fields() {
			if want := r.e.schema.Field(i).Type; !arrow.TypeEqual(f.Type, want) {
				return fmt.Errorf("column %q: batch has type %s, want %s", r.e.schema.Field(i).Name, f.Type, want)
			}
		}
	}
	for i, c := range r.cols {
		c.bind(b.Column(i))
	}
	r.nrows, r.row, r.col = int(b.NumRows()), 0, -1
	return nil
}

func bytesOf(b *memory.Buffer) []byte {
	if b == nil {
		return nil
	}
	return b.Bytes()
}

// bind points c at the values of arr.
func (c *encCol) bind(arr arrow.Array) {
	d := arr.Data()
	off := d.Offset()
	bufs := d.Buffers()
	c.hasNulls = arr.NullN() > 0 && len(bufs) > 0 && bufs[0] != nil
	if c.hasNulls {
		c.valid, c.voff = bufs[0].Bytes(), off
	}
	switch c.kind {
	case eBool:
		c.fixed, c.boff = bytesOf(bufs[1]), off
	case eInt2:
		c.fixed = bytesOf(bufs[1])[2*off:]
	case eInt4, eFloat4, eDate:
		c.fixed = bytesOf(bufs[1])[4*off:]
	case eInt4From2, eInt8From2:
		c.fixed = bytesOf(bufs[1])[2*off:]
	case eInt8From4, eFloat8From4:
		c.fixed = bytesOf(bufs[1])[4*off:]
	case eInt8, eFloat8, eTime, eTimestamp:
		c.fixed = bytesOf(bufs[1])[8*off:]
	case eInterval, eNumDec:
		c.fixed = bytesOf(bufs[1])[16*off:]
	case eFixed:
		c.fixed = bytesOf(bufs[1])[c.width*off:]
	case eTimeTZ:
		st := arr.(*array.Struct) // its fields are already sliced to the struct's offset
		c.kids[0].bind(st.Field(0))
		c.kids[1].bind(st.Field(1))
	case eBytes, eJSONB, eNumText, eInet, eCidr:
		c.offs = arrow.Int32Traits.CastFromBytes(bytesOf(bufs[1]))[off:]
		c.data = bytesOf(bufs[2])
	case eArray:
		c.offs = arrow.Int32Traits.CastFromBytes(bytesOf(bufs[1]))[off:]
		c.kid.bind(arr.(*array.List).ListValues())
	}
}

func (r *CopyReader) valueError(err error) error {
	var key strings.Builder
	for _, k := range r.e.Keys {
		if k < 0 || k >= len(r.cols) || r.batch == nil {
			continue
		}
		if key.Len() > 0 {
			key.WriteString(", ")
		}
		key.WriteString(r.e.schema.Field(k).Name)
		key.WriteByte('=')
		key.WriteString(r.batch.Column(k).ValueStr(r.row))
	}
	return &ValueError{Column: r.cols[r.col].name, Row: r.done + int64(r.row) + 1, Key: key.String(), Err: err}
}

func (r *CopyReader) fail(err error) error {
	r.err = err
	r.release()
	return err
}

func (r *CopyReader) release() {
	if r.batch != nil {
		r.batch.Release()
		r.batch = nil
	}
	r.pend, r.big = nil, nil
	r.nrows, r.row = 0, 0
}

// Close releases the batch in hand. Call it after the COPY, whether it
// finished or not.
func (r *CopyReader) Close() error {
	r.release()
	if r.err == nil {
		r.err = errors.New("copy reader is closed")
	}
	return nil
}
