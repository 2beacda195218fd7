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
	typ   arrow.DataType
	width int // bytes per value for fixed-width kinds
	prec  int32
	scale int32
	utf8  bool // check text values are valid UTF-8

	n     int // values in the batch
	nulls int
	// valid stays unallocated until the first null: most columns have none,
	// and Arrow allows omitting the bitmap then.
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

func newColumn(mem memory.Allocator, name string, p plan, typ arrow.DataType) *column {
	c := &column{name: name, kind: p.kind, typ: typ, width: widthOf(p.kind), prec: p.prec, scale: p.scale}
	c.valid = buf{mem: mem, zero: true}
	c.vals = buf{mem: mem, zero: p.kind == kBool}
	c.offs = buf{mem: mem}
	switch p.kind {
	case kArray:
		c.kids = []*column{newColumn(mem, name, *p.elem, typ.(*arrow.ListType).Elem())}
	case kTimeTZ:
		st := typ.(*arrow.StructType)
		c.kids = []*column{
			newColumn(mem, name, plan{kind: kTime}, st.Field(0).Type),
			newColumn(mem, name, plan{kind: kInt4}, st.Field(1).Type),
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
	if l := layoutOf(c.kind); l == layVar || l == layList {
		c.offs.grow(4)
		binary.LittleEndian.PutUint32(c.offs.b, 0)
		c.offs.n = 4
	}
	for _, k := range c.kids {
		k.begin()
	}
}

// valued counts one more non-null value.
func (c *column) valued() {
	if c.valid.mb != nil {
		c.valid.setBit(c.n, true)
	}
	c.n++
}

// fixed returns the slot of the next fixed-width value and counts it.
func (c *column) fixed(w int) []byte {
	c.vals.grow(w)
	s := c.vals.b[c.vals.n : c.vals.n+w : c.vals.n+w]
	c.vals.n += w
	c.valued()
	return s
}

func (c *column) putBool(v bool) {
	if v {
		c.vals.setBit(c.n, true)
	} else {
		c.vals.grow((c.n>>3 + 1) - c.vals.n)
		c.vals.n = c.n>>3 + 1
	}
	c.valued()
}

var errBatchTooBig = errors.New("values of one batch exceed 2 GiB")

// endVar records the end of a var-width value whose bytes were appended to
// vals, and counts it.
func (c *column) endVar() error {
	if c.vals.n > math.MaxInt32 {
		return errBatchTooBig
	}
	c.offs.grow(4)
	binary.LittleEndian.PutUint32(c.offs.b[c.offs.n:], uint32(c.vals.n))
	c.offs.n += 4
	c.valued()
	return nil
}

func (c *column) putBytes(v []byte) error {
	c.vals.grow(len(v))
	c.vals.n += copy(c.vals.b[c.vals.n:], v)
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

// putNull appends a null. Slots of fixed-width values are zeroed so that a
// batch's bytes do not depend on what the allocator held before.
func (c *column) putNull() {
	if c.valid.mb == nil {
		// First null of the batch: every earlier value was valid.
		c.valid.grow(max(c.n>>3+1, c.valid.hint))
		for i := 0; i < c.n>>3; i++ {
			c.valid.b[i] = 0xff
		}
		c.valid.b[c.n>>3] = byte(1)<<(c.n&7) - 1
		c.valid.n = c.n>>3 + 1
	}
	c.valid.setBit(c.n, false)
	switch layoutOf(c.kind) {
	case layFixed:
		c.vals.grow(c.width)
		clear(c.vals.b[c.vals.n : c.vals.n+c.width])
		c.vals.n += c.width
	case layBits:
		c.vals.grow((c.n>>3 + 1) - c.vals.n)
		c.vals.n = c.n>>3 + 1
	case layVar, layList:
		end := c.offs.b[c.offs.n-4 : c.offs.n]
		c.offs.grow(4)
		c.offs.n += copy(c.offs.b[c.offs.n:], end)
	case layStruct:
		for _, k := range c.kids {
			k.fixed(k.width)
			clear(k.vals.b[k.vals.n-k.width : k.vals.n])
		}
	}
	c.nulls++
	c.n++
}

// finish hands the batch's values over as Arrow array data (one reference,
// owned by the caller) and starts the next batch.
func (c *column) finish() *array.Data {
	var valid *memory.Buffer
	if c.nulls > 0 {
		valid = c.valid.finish()
	} else {
		c.valid.release()
	}
	var bufs []*memory.Buffer
	var kids []arrow.ArrayData
	switch layoutOf(c.kind) {
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
	if l := layoutOf(c.kind); l == layVar || l == layList {
		c.offs.grow(4)
		binary.LittleEndian.PutUint32(c.offs.b, 0)
		c.offs.n = 4
	}
	return d
}

// reset frees an unfinished batch and starts an empty one, keeping the
// buffer size hints.
func (c *column) reset() {
	c.release()
	c.zeroCounts()
	c.begin()
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
