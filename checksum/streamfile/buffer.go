package streamfile

import (
	"bufio"
	"io"
)

// newBuffered buffers a stream file: the format reader does small reads.
func newBuffered(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 1<<20) }
