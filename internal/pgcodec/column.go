package pgcodec

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// column accumulates one column of the batch being decoded, in Arrow layout.
type column struct {
	name  string
	kind  kind
	lay   int // layoutOf(kind)
	typ   arrow.DataType
	width int // bytes per value for fixed-width kinds
	prec  int32
	scale int32
	utf8  bool // check text values are valid UTF-8

	n     int // values in the batch
	nulls int
	// valid stays unallocated until the first null: most columns have none,
	// and Arrow allows omitting the bitmap then. It grows filled with ones,
	// so that a valid value costs nothing and a null clears its bit; its n
	// is set only by finish.
	valid buf
	vals  buf // fixed-width values, bool bits, or the bytes of var-width values
	offs  buf // int32 offsets of var-width values and lists (n+1 entries)
	kids  []*column
}

// layout classes of a kind's Arrow array.
const (
	layFixed = iota
	layBits
	layVar
	layList
	layStruct
)

func layoutOf(k kind) int {
	switch k {
	case kBool:
		return layBits
	case kNumText, kText, kBytea, kJSONB, kInet, kCidr:
		return layVar
	case kArray:
		return layList
	case kTimeTZ:
		return layStruct
	}
	return layFixed
}

func widthOf(k kind) int {
	switch k {
	case kInt2:
		return 2
	case kInt4, kFloat4, kDate:
		return 4
	case kInt8, kFloat8, kTime, kTimestamp:
		return 8
	case kNumDec, kInterval, kUUID:
		return 16
	case kMacaddr:
		return 6
	}
	return 0
}

func newColumn(mem memory.Allocator, prog *progress, name string, p plan, typ arrow.DataType) *column {
	c := &column{name: name, kind: p.kind, lay: layoutOf(p.kind), typ: typ, width: widthOf(p.kind), prec: p.prec, scale: p.scale}
	c.valid = buf{mem: mem, prog: prog, filled: true, fill: 0xff}
	c.vals = buf{mem: mem, prog: prog, filled: p.kind == kBool}
	c.offs = buf{mem: mem, prog: prog}
	switch p.kind {
	case kArray:
		c.kids = []*column{newColumn(mem, prog, name, *p.elem, typ.(*arrow.ListType).Elem())}
	case kTimeTZ:
		st := typ.(*arrow.StructType)
		c.kids = []*column{
			newColumn(mem, prog, name, plan{kind: kTime}, st.Field(0).Type),
			newColumn(mem, prog, name, plan{kind: kInt4}, st.Field(1).Type),
		}
	}
	c.begin()
	return c
}

func (c *column) setCheckUTF8(v bool) {
	c.utf8 = v
	for _, k := range c.kids {
		k.setCheckUTF8(v)
	}
}

// begin starts a batch: var-width and list offsets start with a 0.
func (c *column) begin() {
	if c.lay == layVar || c.lay == layList {
		c.offs.grow(4)
		binary.LittleEndian.PutUint32(c.offs.b, 0)
		c.offs.n = 4
	}
	for _, k := range c.kids {
		k.begin()
	}
}

// fixed returns the slot of the next fixed-width value and counts it.
func (c *column) fixed(w int) []byte {
	n := c.vals.n
	if len(c.vals.b)-n < w {
		c.vals.growSlow(n + w)
	}
	c.vals.n = n + w
	c.n++
	return c.vals.b[n : n+w : n+w]
}

// put4, put8 and put16 are fixed for the common widths: no slice to make
// and fill. (The row loop uses the add methods below.)
func (c *column) put4(x uint32) {
	n := c.vals.n
	if len(c.vals.b)-n < 4 {
		c.vals.growSlow(n + 4)
	}
	binary.LittleEndian.PutUint32(c.vals.b[n:], x)
	c.vals.n = n + 4
	c.n++
}

func (c *column) put8(x uint64) {
	n := c.vals.n
	if len(c.vals.b)-n < 8 {
		c.vals.growSlow(n + 8)
	}
	binary.LittleEndian.PutUint64(c.vals.b[n:], x)
	c.vals.n = n + 8
	c.n++
}

// put16 appends a 16-byte value stored as two little-endian words.
func (c *column) put16(lo, hi uint64) {
	n := c.vals.n
	if len(c.vals.b)-n < 16 {
		c.vals.growSlow(n + 16)
	}
	s := c.vals.b[n : n+16 : n+16]
	binary.LittleEndian.PutUint64(s, lo)
	binary.LittleEndian.PutUint64(s[8:], hi)
	c.vals.n = n + 16
	c.n++
}

func (c *column) putBool(v bool) {
	if v {
		c.vals.setBit(c.n)
	} else if nb := c.n>>3 + 1; nb > c.vals.n {
		if nb > len(c.vals.b) {
			c.vals.growSlow(nb)
		}
		c.vals.n = nb
	}
	c.n++
}

// The add methods append a value to a top-level column without a capacity
// check of their own: the row loop reserves room for whole rows in the
// fixed-size parts of those columns first (Decoder.reserve), and the caller
// makes room for var-width bytes. Small enough to be inlined, they save a
// call per value. Indexing stays checked: a broken reservation panics, it
// cannot write out of bounds.

func (c *column) add4(x uint32) {
	binary.LittleEndian.PutUint32(c.vals.b[c.vals.n:], x)
	c.vals.n += 4
	c.n++
}

func (c *column) add8(x uint64) {
	binary.LittleEndian.PutUint64(c.vals.b[c.vals.n:], x)
	c.vals.n += 8
	c.n++
}

func (c *column) add16(lo, hi uint64) {
	s := c.vals.b[c.vals.n:]
	binary.LittleEndian.PutUint64(s[:8], lo)
	binary.LittleEndian.PutUint64(s[8:16], hi)
	c.vals.n += 16
	c.n++
}

func (c *column) addBool(v bool) {
	i := c.n
	if v {
		c.vals.b[i>>3] |= 1 << (i & 7)
	}
	c.vals.n = i>>3 + 1
	c.n++
}

// addVar appends a var-width value; vals must have room for v.
func (c *column) addVar(v []byte) error {
	n := c.vals.n + copy(c.vals.b[c.vals.n:c.vals.n+len(v)], v)
	if n > math.MaxInt32 {
		return errBatchTooBig
	}
	c.vals.n = n
	binary.LittleEndian.PutUint32(c.offs.b[c.offs.n:], uint32(n))
	c.offs.n += 4
	c.n++
	return nil
}

// reserve makes room for at least one more value in the fixed-size part
// of c (values, bits or offsets) and returns how many values fit, or
// math.MaxInt for a column the add methods do not serve.
func (c *column) reserve() int {
	var x *buf
	w := 4
	switch c.lay {
	case layFixed:
		x, w = &c.vals, c.width
	case layVar, layList:
		x = &c.offs
	case layBits:
		if c.n>>3 >= len(c.vals.b) {
			c.vals.growSlow(c.n>>3 + 1)
		}
		return len(c.vals.b)*8 - c.n
	default:
		return math.MaxInt
	}
	if len(x.b)-x.n < w {
		x.growSlow(x.n + w)
	}
	return (len(x.b) - x.n) / w
}

var errBatchTooBig = errors.New("values of one batch exceed 2 GiB")

// endVar records the end of a var-width value whose bytes were appended to
// vals, and counts it.
func (c *column) endVar() error {
	if c.vals.n > math.MaxInt32 {
		return errBatchTooBig
	}
	o := c.offs.n
	if len(c.offs.b)-o < 4 {
		c.offs.growSlow(o + 4)
	}
	binary.LittleEndian.PutUint32(c.offs.b[o:], uint32(c.vals.n))
	c.offs.n = o + 4
	c.n++
	return nil
}

func (c *column) putBytes(v []byte) error {
	n := c.vals.n
	if len(c.vals.b)-n < len(v) {
		c.vals.growSlow(n + len(v))
	}
	c.vals.n = n + copy(c.vals.b[n:], v)
	return c.endVar()
}

// tail returns the free capacity of vals, at least extra bytes, for an
// append-style formatter; endTail then records what it appended.
func (c *column) tail(extra int) []byte {
	c.vals.grow(extra)
	return c.vals.b[c.vals.n:c.vals.n:len(c.vals.b)]
}

// endTail ends a var-width value that an append-style formatter wrote into
// tail; out is what it returned.
func (c *column) endTail(out []byte) error {
	if cap(out) != len(c.vals.b)-c.vals.n {
		// The formatter outgrew its bound and append moved the bytes.
		return errors.New("internal error: formatted value exceeds its bound")
	}
	c.vals.n += len(out)
	return c.endVar()
}

// isNull reports whether value i is null.
func (c *column) isNull(i int) bool {
	return i>>3 < len(c.valid.b) && c.valid.b[i>>3]&(1<<(i&7)) == 0
}

// putNull appends a null. Slots of fixed-width values are zeroed so that a
// batch's bytes do not depend on what the allocator held before.
func (c *column) putNull() {
	i := c.n
	if i>>3 >= len(c.valid.b) {
		// The first null of the batch, or past the bitmap so far: growing
		// fills with ones, for the valid values before this one.
		c.valid.growSlow(i>>3 + 1)
	}
	c.valid.b[i>>3] &^= 1 << (i & 7)
	switch c.lay {
	case layFixed:
		n := c.vals.n
		c.vals.grow(c.width)
		clear(c.vals.b[n : n+c.width])
		c.vals.n = n + c.width
	case layBits:
		if nb := i>>3 + 1; nb > c.vals.n {
			c.vals.grow(nb - c.vals.n)
			c.vals.n = nb
		}
	case layVar, layList:
		end := c.offs.b[c.offs.n-4 : c.offs.n]
		c.offs.grow(4)
		c.offs.n += copy(c.offs.b[c.offs.n:], end)
	case layStruct:
		for _, k := range c.kids {
			clear(k.fixed(k.width))
		}
	}
	c.nulls++
	c.n++
}

// truncate drops the values from the m-th on, undoing the fields of a row
// that turned out to be incomplete (and any part of a value whose decoding
// failed midway).
func (c *column) truncate(m int) {
	for i := m; i < c.n; i++ {
		if c.isNull(i) {
			c.valid.b[i>>3] |= 1 << (i & 7)
			c.nulls--
		}
	}
	switch c.lay {
	case layFixed:
		c.vals.n = m * c.width
	case layBits:
		for i := m; i < c.n; i++ {
			if i>>3 < len(c.vals.b) {
				c.vals.b[i>>3] &^= 1 << (i & 7)
			}
		}
		c.vals.n = min(c.vals.n, (m+7)>>3)
	case layVar, layList:
		c.offs.n = 4 * (m + 1)
		end := int(binary.LittleEndian.Uint32(c.offs.b[4*m:]))
		if c.lay == layVar {
			c.vals.n = end
		} else {
			c.kids[0].truncate(end)
		}
	case layStruct:
		for _, k := range c.kids {
			k.truncate(m)
		}
	}
	c.n = m
}

// finish hands the batch's values over as Arrow array data (one reference,
// owned by the caller) and starts the next batch.
func (c *column) finish() *array.Data {
	var valid *memory.Buffer
	if c.nulls > 0 {
		// The bitmap covers the values up to the last null; the rest are
		// valid. Bits past the last value read as zero, as Arrow writers
		// leave them.
		nb := (c.n + 7) >> 3
		if nb > len(c.valid.b) {
			c.valid.growSlow(nb)
		}
		if c.n&7 != 0 {
			c.valid.b[nb-1] &= byte(1)<<(c.n&7) - 1
		}
		c.valid.n = nb
		valid = c.valid.finish()
	} else {
		c.valid.release()
	}
	var bufs []*memory.Buffer
	var kids []arrow.ArrayData
	switch c.lay {
	case layFixed, layBits:
		bufs = []*memory.Buffer{valid, c.vals.finish()}
	case layVar:
		offs := c.offs.finish()
		bufs = []*memory.Buffer{valid, offs, c.vals.finish()}
	case layList:
		bufs = []*memory.Buffer{valid, c.offs.finish()}
	case layStruct:
		bufs = []*memory.Buffer{valid}
	}
	for _, k := range c.kids {
		kids = append(kids, k.finish())
	}
	d := array.NewData(c.typ, c.n, bufs, kids, c.nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	for _, k := range kids {
		k.Release()
	}
	c.n, c.nulls = 0, 0
	if c.lay == layVar || c.lay == layList {
		c.offs.grow(4)
		binary.LittleEndian.PutUint32(c.offs.b, 0)
		c.offs.n = 4
	}
	return d
}

func (c *column) zeroCounts() {
	c.n, c.nulls = 0, 0
	for _, k := range c.kids {
		k.zeroCounts()
	}
}

// release frees an unfinished batch.
func (c *column) release() {
	c.valid.release()
	c.vals.release()
	c.offs.release()
	for _, k := range c.kids {
		k.release()
	}
}
