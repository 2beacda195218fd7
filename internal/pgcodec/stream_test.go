package pgcodec

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestEncodeDecodeIdentity: random batches of every type go through the
// Encoder and back through the Decoder unchanged, whatever the write and
// read sizes.
func TestEncodeDecodeIdentity(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	names, types := allTypes()
	schema := schemaFor(t, names, types, Options{})
	r := rand.New(rand.NewPCG(5, 6))
	orig := []arrow.RecordBatch{genBatch(mem, schema, types, 150, r, 5), genBatch(mem, schema, types, 0, r, 5), genBatch(mem, schema, types, 50, r, 0)}
	// A sliced batch: arrays with offsets must encode from their offset.
	sliced := orig[0].NewSlice(7, 100)
	orig = append(orig, sliced)
	defer releaseAll(orig)
	for _, b := range orig {
		b.Retain()
	}
	stream := encodeAll(t, schema, types, append([]arrow.RecordBatch(nil), orig...), 65531)

	// Every read size gives the same bytes.
	for _, size := range []int{1, 2, 3, 5, 7, 19, 20, 21, 1000} {
		for _, b := range orig {
			b.Retain()
		}
		if got := encodeAll(t, schema, types, append([]arrow.RecordBatch(nil), orig...), size); !bytes.Equal(got, stream) {
			t.Errorf("read size %d: stream differs at byte %d", size, firstDiff(got, stream))
		}
	}

	want := array.NewTableFromRecords(schema, orig)
	defer want.Release()
	for _, chunk := range []int{1, 2, 3, 7, 64, len(stream)} {
		got, err := decodeChunks(t, mem, schema, types, stream, chunk, 64)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		tbl := array.NewTableFromRecords(schema, got)
		releaseAll(got)
		if tbl.NumRows() != want.NumRows() {
			t.Errorf("write size %d: %d rows, want %d", chunk, tbl.NumRows(), want.NumRows())
		}
		diffTable(t, tbl, want)
		if int64(len(got)) != (tbl.NumRows()+63)/64 {
			t.Errorf("write size %d: %d batches for %d rows of at most 64", chunk, len(got), tbl.NumRows())
		}
		tbl.Release()
	}
}

// diffTable compares two tables value by value. (array.TableEqual has no
// NaN-equal option, and NaN is one of the values.)
func diffTable(t *testing.T, got, want arrow.Table) {
	t.Helper()
	for i := range int(want.NumCols()) {
		g, w := got.Column(i).Data(), want.Column(i).Data()
		ga, err := array.Concatenate(g.Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		wa, err := array.Concatenate(w.Chunks(), memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		for r := range wa.Len() {
			if gv, wv := ga.ValueStr(r), wa.ValueStr(r); gv != wv {
				t.Errorf("column %s row %d: got %s, want %s", want.Schema().Field(i).Name, r+1, gv, wv)
				break
			}
		}
		ga.Release()
		wa.Release()
	}
}

// TestDecoderTruncated: every proper prefix of a stream fails at Close (or
// earlier), and leaks nothing.
func TestDecoderTruncated(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	names, types := allTypes()
	schema := schemaFor(t, names, types, Options{})
	r := rand.New(rand.NewPCG(7, 8))
	stream := encodeAll(t, schema, types, []arrow.RecordBatch{genBatch(mem, schema, types, 3, r, 4)}, 4096)
	for n := 0; n < len(stream); n++ {
		for _, chunk := range []int{1, 13, len(stream)} {
			got, err := decodeChunks(t, mem, schema, types, stream[:n], chunk, 1)
			releaseAll(got)
			if err == nil {
				t.Fatalf("prefix of %d/%d bytes in writes of %d: no error", n, len(stream), chunk)
			}
			if n > 0 && !errors.Is(err, errNoTrailer) && !errors.Is(err, errTruncated) {
				t.Fatalf("prefix of %d bytes: %v, want a truncation error", n, err)
			}
		}
	}
	got, err := decodeChunks(t, mem, schema, types, append(stream, 0), len(stream)+1, 0)
	releaseAll(got)
	if err == nil {
		t.Error("byte after the trailer: no error")
	}
	got, err = decodeChunks(t, mem, schema, types, stream, len(stream), 0)
	releaseAll(got)
	if err != nil || len(got) != 1 {
		t.Errorf("whole stream: %d batches, %v", len(got), err)
	}
}

// TestDecoderEmitError: an error from emit stops the decoder and is returned.
func TestDecoderEmitError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	names, types := allTypes()
	schema := schemaFor(t, names, types, Options{})
	stream := encodeAll(t, schema, types, []arrow.RecordBatch{genBatch(mem, schema, types, 10, rand.New(rand.NewPCG(1, 1)), 4)}, 4096)
	stop := errors.New("downstream gone")
	dec, err := NewDecoder(mem, schema, types, Options{}, func(b arrow.RecordBatch) error {
		b.Release()
		return stop
	})
	if err != nil {
		t.Fatal(err)
	}
	dec.MaxRows = 3
	if _, err := dec.Write(stream); !errors.Is(err, stop) {
		t.Errorf("Write: %v, want %v", err, stop)
	}
	if err := dec.Close(); !errors.Is(err, stop) {
		t.Errorf("Close: %v, want %v", err, stop)
	}
	if dec.Rows() != 3 {
		t.Errorf("Rows = %d, want 3", dec.Rows())
	}
}

// TestDecoderReset: a Decoder reset after a clean close, after a failure and
// in the middle of a stream decodes the next stream exactly as a new one.
func TestDecoderReset(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	names, types := allTypes()
	schema := schemaFor(t, names, types, Options{})
	r := rand.New(rand.NewPCG(9, 10))
	a := encodeAll(t, schema, types, []arrow.RecordBatch{genBatch(mem, schema, types, 120, r, 5)}, 4096)
	b := encodeAll(t, schema, types, []arrow.RecordBatch{genBatch(mem, schema, types, 90, r, 5)}, 4096)
	want, err := decodeChunks(t, mem, schema, types, b, len(b), 32)
	if err != nil {
		t.Fatal(err)
	}
	wantTbl := array.NewTableFromRecords(schema, want)
	releaseAll(want)
	defer wantTbl.Release()

	var got []arrow.RecordBatch
	collect := func(rec arrow.RecordBatch) error { got = append(got, rec); return nil }
	dec, err := NewDecoder(mem, schema, types, Options{}, collect)
	if err != nil {
		t.Fatal(err)
	}
	dec.MaxRows = 32
	for _, before := range []string{"closed", "failed", "mid-stream"} {
		switch before {
		case "closed":
			_, _ = dec.Write(a)
			_ = dec.Close()
		case "failed":
			_, _ = dec.Write(a[:len(a)/2])
			_, _ = dec.Write([]byte{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0})
			_ = dec.Close()
		case "mid-stream":
			_, _ = dec.Write(a[:len(a)/3])
		}
		releaseAll(got)
		got = nil
		dec.Reset(collect)
		if _, err := dec.Write(b); err != nil {
			t.Fatalf("after reset (%s): %v", before, err)
		}
		if err := dec.Close(); err != nil {
			t.Fatalf("after reset (%s): %v", before, err)
		}
		tbl := array.NewTableFromRecords(schema, got)
		if tbl.NumRows() != wantTbl.NumRows() || dec.Rows() != wantTbl.NumRows() {
			t.Errorf("after reset (%s): %d rows (Rows() %d), want %d", before, tbl.NumRows(), dec.Rows(), wantTbl.NumRows())
		}
		diffTable(t, tbl, wantTbl)
		tbl.Release()
	}
	releaseAll(got)
}
