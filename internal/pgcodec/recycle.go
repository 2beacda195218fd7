package pgcodec

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recycler is the allocator of a Decoder's buffers. It keeps the memory of
// emitted batches once their consumer has released them, and hands it out
// again for the next batches of the same COPY. A batch's buffers are about
// as big as the previous one's, so most are reused: the Go allocator would
// otherwise clear (and the kernel often fault in) fresh memory for every
// batch, as many bytes again as the decoding writes, and the garbage
// collector would run that much more often.
//
// Reused memory is not cleared: the columns write every byte of a batch's
// buffers that the batch covers (see buf.filled and column.putNull). A
// slice goes back to the parent exactly as the parent returned it (a kept
// one is handed out whole, never resliced), for allocators that account by
// length.
//
// While the Decoder is closed, freed memory goes straight back to the
// caller's allocator, and so does what the recycler kept when it closes: a
// checked allocator sees everything returned once the batches are released.
type recycler struct {
	parent memory.Allocator

	mu    sync.Mutex // Free may come from the consumer's goroutines
	open  bool
	free  [][]byte // allocations, as the parent returned them
	bytes int      // their total length
	limit int      // most bytes kept
}

// minRecycle is the smallest allocation worth keeping; smaller ones are
// cheap to allocate anyway.
const minRecycle = 4096

func (a *recycler) Allocate(size int) []byte {
	if size >= minRecycle {
		a.mu.Lock()
		best := -1
		for i, b := range a.free {
			// Best fit, but not a buffer much bigger than asked for: it
			// would serve better a bigger buffer of a later batch.
			if c := len(b); c >= size && c-size <= size/2 && (best < 0 || c < len(a.free[best])) {
				best = i
			}
		}
		if best >= 0 {
			b := a.free[best]
			last := len(a.free) - 1
			a.free[best], a.free[last] = a.free[last], nil
			a.free = a.free[:last]
			a.bytes -= len(b)
			a.mu.Unlock()
			return b
		}
		a.mu.Unlock()
	}
	return a.parent.Allocate(size)
}

func (a *recycler) Reallocate(size int, b []byte) []byte {
	if len(b) >= size {
		return b
	}
	nb := a.Allocate(size)
	copy(nb, b)
	a.Free(b)
	return nb
}

func (a *recycler) Free(b []byte) {
	if len(b) >= minRecycle {
		a.mu.Lock()
		if a.open && a.bytes+len(b) <= a.limit {
			a.free = append(a.free, b)
			a.bytes += len(b)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
	a.parent.Free(b)
}

// setOpen starts or stops keeping freed memory; stopping returns what was
// kept to the parent.
func (a *recycler) setOpen(open bool, limit int) {
	a.mu.Lock()
	a.open, a.limit = open, limit
	var free [][]byte
	if !open {
		free, a.free, a.bytes = a.free, nil, 0
	}
	a.mu.Unlock()
	for _, b := range free {
		a.parent.Free(b)
	}
}
