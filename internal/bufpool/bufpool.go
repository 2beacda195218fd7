// Package bufpool is an Arrow memory allocator that recycles freed buffers
// instead of zeroing fresh ones.
//
// Why: a copy moves every byte of a database through Arrow buffers. With Go's
// allocator each batch's buffers are new memory that the runtime zeroes (and
// the kernel faults in) only for the decoder to overwrite it, then garbage;
// on a busy 2-core machine that is CPU taken from the database servers.
// Recycled buffers by power-of-two size class skip all of that.
//
// The memory it returns is NOT zeroed. Use it only for code that writes
// every byte it later reads, such as internal/pgcodec's Decoder (which clears
// bit-packed buffers itself); Arrow's own builders expect zeroed memory.
package bufpool

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Allocations below this size go to the Go allocator: pooling small buffers
// gains nothing.
const minPooled = 64 << 10

// Allocator implements memory.Allocator. The zero value is ready to use and
// safe for concurrent use.
type Allocator struct {
	classes [48]sync.Pool // class c holds buffers of capacity 1<<c
}

var _ memory.Allocator = (*Allocator)(nil)

// Allocate returns a buffer of size bytes, not zeroed.
func (a *Allocator) Allocate(size int) []byte {
	if size < minPooled {
		return make([]byte, size)
	}
	c := bits.Len(uint(size - 1))
	if p, ok := a.classes[c].Get().(*[]byte); ok {
		return (*p)[:size]
	}
	return make([]byte, size, 1<<c)
}

// Reallocate grows or shrinks b to size, keeping its contents.
func (a *Allocator) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		return b[:size]
	}
	n := a.Allocate(size)
	copy(n, b)
	a.Free(b)
	return n
}

// Free returns b to its size class; buffers not made here are left to the GC.
func (a *Allocator) Free(b []byte) {
	c := cap(b)
	if c < minPooled || c&(c-1) != 0 {
		return
	}
	b = b[:c]
	a.classes[bits.Len(uint(c-1))].Put(&b)
}
