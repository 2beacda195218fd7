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
	// bit-packed buffers: bytes added by growing must read as fill
	filled bool
	fill   byte
	prog   *progress // the batch's, for projecting growth; nil for none
}

// progress is how far the batch being decoded is towards its limits. A
// buffer that must grow mid-batch projects its final size from it.
type progress struct {
	rows, bytes       int // whole rows decoded into the batch, and their COPY bytes
	maxRows, maxBytes int
}

// project returns the size a buffer holding n bytes will likely reach by the
// end of the batch, or 0 when there is too little to go by.
func (p *progress) project(n int) int {
	if p == nil || p.rows < 8 {
		return 0
	}
	// The batch ends at whichever limit it reaches first. For var-width
	// values, n ≤ p.bytes, so this stays within maxBytes.
	f := min(float64(p.maxRows)/float64(p.rows), float64(p.maxBytes)/float64(p.bytes))
	return int(float64(n) * f * (1 + 1.0/16))
}

// grow makes room for extra more bytes.
func (x *buf) grow(extra int) {
	if x.n+extra > len(x.b) {
		x.growSlow(x.n + extra)
	}
}

func (x *buf) growSlow(need int) {
	// Doubling would allocate (and the Go allocator clear) up to twice what
	// the batch needs, and copy everything once more: grow straight to the
	// projected end of the batch instead, but by at least a half so that
	// skewed batches still regrow only a few times.
	c := max(need, x.hint, 64, len(x.b)+len(x.b)/2)
	if p := x.prog.project(need); p > c {
		c = p
	}
	if x.mb == nil {
		x.mb = memory.NewResizableBuffer(x.mem)
	}
	old := len(x.b)
	x.mb.Reserve(c)
	x.b = x.mb.Buf()
	if x.filled {
		s := x.b[old:]
		for i := range s {
			s[i] = x.fill
		}
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

// setBit sets bit i of a zero-filled bit-packed buffer whose n counts bytes.
func (x *buf) setBit(i int) {
	nb := i>>3 + 1
	if nb > len(x.b) {
		x.growSlow(nb)
	}
	if nb > x.n {
		x.n = nb
	}
	x.b[i>>3] |= 1 << (i & 7)
}
