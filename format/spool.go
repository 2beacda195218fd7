package format

import (
	"hash"
	"io"
	"sync"
)

// spool is an in-memory byte buffer made of fixed-size blocks: it grows
// without copying what it already holds (a bytes.Buffer doubles and copies,
// briefly needing twice a segment's size), and its blocks are recycled.
type spool struct {
	blocks [][]byte
	size   int
}

const spoolBlock = 1 << 20

var spoolPool = sync.Pool{New: func() any { b := make([]byte, spoolBlock); return &b }}

func (s *spool) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		off := s.size % spoolBlock
		if off == 0 {
			b := spoolPool.Get().(*[]byte)
			s.blocks = append(s.blocks, *b)
		}
		c := copy(s.blocks[len(s.blocks)-1][off:], p)
		p = p[c:]
		s.size += c
	}
	return n, nil
}

// copyTo writes the spooled bytes to w.
func (s *spool) copyTo(w io.Writer) error {
	rest := s.size
	for _, b := range s.blocks {
		n := min(rest, len(b))
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		rest -= n
	}
	return nil
}

// hashPrefix feeds the first n spooled bytes to h.
func (s *spool) hashPrefix(h hash.Hash64, n int) {
	for _, b := range s.blocks {
		c := min(n, len(b))
		_, _ = h.Write(b[:c])
		n -= c
		if n == 0 {
			return
		}
	}
}

// release returns the blocks to the pool; the spool is empty afterwards.
func (s *spool) release() {
	for i := range s.blocks {
		b := s.blocks[i]
		spoolPool.Put(&b)
	}
	s.blocks, s.size = nil, 0
}
