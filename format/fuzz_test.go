package format

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzReader feeds arbitrary bytes to the stream reader: it must never panic
// or allocate without bound, and a stream it accepts must account for every
// row (the trailer's count).
//
//	go test -fuzz FuzzReader -fuzztime 60s ./format/
func FuzzReader(f *testing.F) {
	for _, c := range []Compression{CompressionNone, CompressionLZ4, CompressionZstd} {
		data := writeStream(f, memory.DefaultAllocator, c, 5, 0, 2)
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		res, err := readAll(data, mem, ReaderOptions{MaxMessageBody: 1 << 20, MaxMessageMetadata: 1 << 16})
		if err != nil {
			// arrow-go leaks (to the GC) a buffer when it recovers from a
			// decompression panic, so only a clean read must balance.
			return
		}
		mem.AssertSize(t, 0)
		if len(res.headers) == 0 && len(res.rows) != 0 {
			t.Fatalf("rows without segments")
		}
	})
}
