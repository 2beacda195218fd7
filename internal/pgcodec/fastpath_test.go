package pgcodec

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestValidUTF8 checks the ASCII fast pass against utf8.Valid, with the
// first non-ASCII byte at every position of the 32- and 8-byte steps.
func TestValidUTF8(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	tails := [][]byte{nil, []byte("é"), []byte("€x"), {0xff}, {0xc3}, {0xe2, 0x82}, {0x80}, []byte("😀"), {0xed, 0xa0, 0x80}}
	for n := range 80 {
		for _, tail := range tails {
			for mid := range n + 1 {
				v := make([]byte, 0, n+len(tail))
				for range n {
					v = append(v, byte(' '+r.IntN(95)))
				}
				v = append(v[:mid], append(append([]byte(nil), tail...), v[mid:]...)...)
				if got, want := validUTF8(v), utf8.Valid(v); got != want {
					t.Fatalf("%q: validUTF8 %v, utf8.Valid %v", v, got, want)
				}
			}
		}
	}
}

// TestDecoderErrorOrder: the row loop decodes fields as it finds them, but
// reports what finding the row's end first would: a row cut short is
// incomplete (whatever its values), and a bad field length comes before a
// bad value that precedes it.
func TestDecoderErrorOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	names := []string{"id", "day", "note"}
	types := []Type{scalar(oidInt8, "int8"), scalar(oidDate, "date"), scalar(oidText, "text")}
	schema := schemaFor(t, names, types, Options{})
	row := func(fields ...[]byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, uint16(len(fields)))
		for _, f := range fields {
			if f == nil {
				b = binary.BigEndian.AppendUint32(b, math.MaxUint32)
				continue
			}
			b = append(binary.BigEndian.AppendUint32(b, uint32(len(f))), f...)
		}
		return b
	}
	id := binary.BigEndian.AppendUint64(nil, 7)
	badDay := []byte{0, 0, 1} // three bytes for a date
	hdr := append(append([]byte(nil), copySignature...), 0, 0, 0, 0, 0, 0, 0, 0)
	good := row(id, []byte{0, 0, 0, 1}, []byte("x"))
	bad := row(id, badDay, []byte("hello"))
	trailer := []byte{0xff, 0xff}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	badLen := row(id, badDay, []byte("hello"))
	binary.BigEndian.PutUint32(badLen[len(badLen)-9:], uint32(0xfffffffb)) // note's length: -5
	cases := []struct {
		name   string
		stream []byte
		want   string
	}{
		{"bad value", cat(hdr, good, bad, trailer), `column "day", row 2 (id=7): binary value has 3 bytes, want 4`},
		{"bad value, row cut short", cat(hdr, good, bad[:len(bad)-2]), "after row 1: copy stream ended in the middle of a row"},
		{"bad value, then a bad length", cat(hdr, good, badLen[:len(badLen)-5], trailer), "row 2 has invalid field length -5"},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 5, len(c.stream)} {
			var got []arrow.RecordBatch
			dec, err := NewDecoder(mem, schema, types, Options{}, func(b arrow.RecordBatch) error {
				got = append(got, b)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			dec.Keys = []int{0}
			err = runWrites(dec, c.stream, chunk)
			releaseAll(got)
			if err == nil || err.Error() != c.want {
				t.Errorf("%s, writes of %d: %v, want %s", c.name, chunk, err, c.want)
			}
		}
	}
}

// runWrites feeds stream to dec in writes of chunk bytes, then closes it.
func runWrites(dec *Decoder, stream []byte, chunk int) error {
	for len(stream) > 0 {
		k := min(chunk, len(stream))
		if _, err := dec.Write(stream[:k]); err != nil {
			dec.Close()
			return err
		}
		stream = stream[k:]
	}
	return dec.Close()
}

// countingAlloc counts what reaches the allocator behind a Decoder.
type countingAlloc struct {
	memory.Allocator
	mu     sync.Mutex
	allocs int
}

func (a *countingAlloc) Allocate(n int) []byte {
	if n >= minRecycle { // smaller ones are not kept
		a.mu.Lock()
		a.allocs++
		a.mu.Unlock()
	}
	return a.Allocator.Allocate(n)
}

// batchText is every value of b, column after column.
func batchText(b arrow.RecordBatch) []string {
	cols := make([]string, b.NumCols())
	for i := range cols {
		var sb strings.Builder
		c := b.Column(i)
		for r := range c.Len() {
			sb.WriteString(c.ValueStr(r))
			sb.WriteByte('|')
		}
		cols[i] = sb.String()
	}
	return cols
}

// TestDecoderRecycle: the memory of released batches serves the next ones,
// whether the consumer releases a batch at once or from another goroutine
// while the decoder goes on; what the decoder keeps goes back to the
// allocator at Close, and so does what is released after it.
func TestDecoderRecycle(t *testing.T) {
	names, types := benchTable()
	schema := schemaFor(t, names, types, Options{})
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	src := benchBatch(checked, schema, 12000)
	defer src.Release()
	src.Retain()
	stream := encodeAll(t, schema, types, []arrow.RecordBatch{src}, 65531)
	want := batchText(src)

	for _, mode := range []string{"at once", "concurrently", "after close"} {
		mem := &countingAlloc{Allocator: checked}
		var texts [][]string // per batch
		var kept []arrow.RecordBatch
		var mu sync.Mutex
		var wg sync.WaitGroup
		dec, err := NewDecoder(mem, schema, types, Options{}, func(b arrow.RecordBatch) error {
			mu.Lock()
			i := len(texts)
			texts = append(texts, nil)
			mu.Unlock()
			switch mode {
			case "at once":
				texts[i] = batchText(b)
				b.Release()
			case "concurrently":
				wg.Add(1)
				go func() {
					defer wg.Done()
					text := batchText(b)
					b.Release()
					mu.Lock()
					texts[i] = text
					mu.Unlock()
				}()
			default:
				kept = append(kept, b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		dec.MaxBytes = 256 << 10
		if err := runWrites(dec, stream, len(stream)); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		for i, b := range kept {
			texts[i] = batchText(b)
			b.Release()
		}
		mu.Lock()
		for c := range want {
			var sb strings.Builder
			for _, text := range texts {
				sb.WriteString(text[c])
			}
			if sb.String() != want[c] {
				t.Errorf("%s: column %s differs", mode, names[c])
			}
		}
		mu.Unlock()
		// The first batch allocates, and its buffers grow a few times; once
		// it is back, the next ones take its memory.
		if mode == "at once" && mem.allocs > 40 {
			t.Errorf("%s: %d allocations for %d batches", mode, mem.allocs, len(texts))
		}
		if len(texts) < 15 {
			t.Errorf("%s: %d batches, want many", mode, len(texts))
		}
	}
}
