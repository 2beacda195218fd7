package pgcodec

import (
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// buf is a growable byte buffer whose memory comes from the caller's Arrow
// allocator, so that a finished batch hands it to Arrow without a copy.
// Builders would do the same with more bookkeeping per value; here a value
// costs one capacity check and a store.
type buf struct {
	mem  memory.Allocator
	mb   *memory.Buffer
	b    []byte // mb.Buf(): the whole allocation
	n    int    // bytes in use
	hint int    // capacity to start the next batch with: the last batch's size and some
	zero bool   // bit-packed: bytes added by growing must read as zero
}

// grow makes room for extra more bytes.
func (x *buf) grow(extra int) {
	if x.n+extra > len(x.b) {
		x.growSlow(x.n + extra)
	}
}

func (x *buf) growSlow(need int) {
	c := max(2*len(x.b), need, x.hint, 64)
	if x.mb == nil {
		x.mb = memory.NewResizableBuffer(x.mem)
	}
	old := len(x.b)
	x.mb.Reserve(c)
	x.b = x.mb.Buf()
	if x.zero {
		clear(x.b[old:])
	}
}

// finish hands the bytes in use over as an Arrow buffer (the caller owns the
// one reference) and leaves x empty for the next batch.
func (x *buf) finish() *memory.Buffer {
	if x.mb == nil {
		x.growSlow(0)
	}
	mb := x.mb
	mb.ResizeNoShrink(x.n)
	// Batches end at a row boundary, so the next one may need a little more
	// than this one did; headroom saves regrowing (and copying) it.
	x.hint = x.n + x.n/8
	x.mb, x.b, x.n = nil, nil, 0
	return mb
}

// release frees the memory of an unfinished batch.
func (x *buf) release() {
	if x.mb != nil {
		x.mb.Release()
	}
	x.mb, x.b, x.n = nil, nil, 0
}

// setBit sets or clears bit i of a bit-packed buffer whose n counts bytes.
func (x *buf) setBit(i int, v bool) {
	nb := i>>3 + 1
	if nb > len(x.b) {
		x.growSlow(nb)
	}
	if nb > x.n {
		x.n = nb
	}
	if v {
		x.b[i>>3] |= 1 << (i & 7)
	} else {
		x.b[i>>3] &^= 1 << (i & 7)
	}
}
