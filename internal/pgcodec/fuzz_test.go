package pgcodec

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzDecoder feeds arbitrary bytes, split at an arbitrary point, to a
// Decoder of every type: it must never panic, must return an error or
// well-formed batches, and must free all memory either way.
//
//	go test -run '^$' -fuzz FuzzDecoder -fuzztime 60s ./internal/pgcodec/
func FuzzDecoder(f *testing.F) {
	names, types := allTypes()
	schema := schemaFor(f, names, types, Options{})
	r := rand.New(rand.NewPCG(9, 10))
	// Small seeds (one or two rows, many nulls) keep the fuzzer's
	// minimization quick.
	for i := range 8 {
		mem := memory.NewGoAllocator()
		stream := encodeAll(f, schema, types, []arrow.RecordBatch{genBatch(mem, schema, types, i%2+1, r, 2)}, 4096)
		f.Add(stream, uint16(i*7))
		f.Add(stream[:len(stream)/2], uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		dec, err := NewDecoder(mem, schema, types, Options{}, func(b arrow.RecordBatch) error {
			defer b.Release()
			for i, c := range b.Columns() {
				if v, ok := c.(interface{ ValidateFull() error }); ok {
					if err := v.ValidateFull(); err != nil {
						t.Fatalf("column %s of an emitted batch is malformed: %v", names[i], err)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		dec.MaxRows = 2
		k := min(int(split), len(data))
		if _, err := dec.Write(data[:k]); err == nil {
			_, _ = dec.Write(data[k:])
		}
		_ = dec.Close()
	})
}
