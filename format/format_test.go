package format

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func stride() int {
	if raceEnabled {
		return 29
	}
	return 1
}

var testCols = []Column{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint", PKOrdinal: 1, Identity: "by default",
		Sequence: &Sequence{Name: "t_id_seq", Start: 1, Increment: 1, Min: 1, Max: 1 << 62, Cache: 1, LastValue: 42, IsCalled: true}},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "character varying(20)", Default: "'x'::character varying"},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true, SourceType: "numeric(12,2)"},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true, SourceType: "text[]",
		Extra: map[string]string{"dbmig.pg.note": "kept"}},
}

// batch builds a batch of n rows starting at id from.
func batch(mem memory.Allocator, schema *arrow.Schema, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%3 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name-%d-😀", i))
		}
		b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i) * 101))
		lb := b.Field(3).(*array.ListBuilder)
		lb.Append(true)
		for j := 0; j < i%4; j++ {
			lb.ValueBuilder().(*array.StringBuilder).Append(strings.Repeat("t", j))
		}
	}
	return b.NewRecordBatch()
}

func header(table string, chunk, of int) Header {
	return Header{
		Table:       TableID{Engine: "postgres", Database: "src", Schema: "public", Name: table},
		PrimaryKey:  []string{"id"},
		Chunk:       Chunk{ID: fmt.Sprintf("pk:[%d]", chunk), Index: chunk, Count: of},
		Snapshot:    Position{"snapshot": "00000003-00000002-1", "lsn": "0/16B3748"},
		Constraints: []Constraint{{Name: "t_pkey", Kind: "primary", Columns: []string{"id"}, Definition: "PRIMARY KEY (id)", Index: "t_pkey"}},
		Indexes:     []Index{{Name: "t_pkey", Unique: true, Columns: []string{"id"}, Definition: "CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)", Constraint: "t_pkey"}},
		Estimate:    Estimate{Rows: 10, Bytes: 1000},
		Extra:       map[string]string{"dbmig.pg.relkind": "r"},
	}
}

// writeStream writes segments of sizes rows each (0 = an empty segment).
func writeStream(t testing.TB, mem memory.Allocator, c Compression, sizes ...int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, WriterOptions{Compression: c, Allocator: mem, StreamID: "s1"})
	id := 0
	for i, n := range sizes {
		s, err := w.Begin(header("t", i, len(sizes)), testCols)
		if err != nil {
			t.Fatal(err)
		}
		for n > 0 {
			k := min(n, 7)
			rec := batch(mem, s.Schema(), id, k)
			if err := s.Write(rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			id += k
			n -= k
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type readResult struct {
	headers []Header
	rows    []string // one line per row, all segments
}

// readAll reads a whole stream, returning what it held or the first error.
func readAll(data []byte, mem memory.Allocator, opts ReaderOptions) (readResult, error) {
	var res readResult
	opts.Allocator = mem
	r := NewReader(bufio.NewReader(bytes.NewReader(data)), opts)
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.headers = append(res.headers, seg.Header)
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return res, err
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var sb strings.Builder
				for _, col := range rec.Columns() {
					sb.WriteString(col.ValueStr(i))
					sb.WriteByte('|')
				}
				res.rows = append(res.rows, sb.String())
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []Compression{CompressionNone, CompressionLZ4, CompressionZstd} {
		t.Run(string(c), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data := writeStream(t, mem, c, 20, 0, 3)
			res, err := readAll(data, mem, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.headers) != 3 || len(res.rows) != 23 {
				t.Fatalf("got %d segments, %d rows; want 3, 23", len(res.headers), len(res.rows))
			}
			h := res.headers[2]
			want := header("t", 2, 3)
			want.Kind, want.Stream, want.Compression = KindSnapshot, "s1", c
			if fmt.Sprint(h) != fmt.Sprint(want) {
				t.Errorf("header round trip:\n got %+v\nwant %+v", h, want)
			}
			if res.rows[1] != "1|name-1-😀|1.01|[\"\"]|" {
				t.Errorf("row 1 = %q", res.rows[1])
			}
		})
	}
}

func TestColumnsRoundTrip(t *testing.T) {
	s := NewSchema(header("t", 0, 1), testCols)
	got, err := Columns(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range testCols {
		if !reflect.DeepEqual(got[i], testCols[i]) {
			t.Errorf("column %d:\n got %+v\nwant %+v", i, got[i], testCols[i])
		}
	}
}

// Every cut of a stream is an error that names a byte offset, never a panic
// and never a silent success.
func TestTruncationAtEveryByte(t *testing.T) {
	for _, c := range []Compression{CompressionNone, CompressionZstd} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		data := writeStream(t, mem, c, 9, 0, 2)
		for cut := 0; cut < len(data); cut += stride() {
			_, err := readAll(data[:cut], mem, ReaderOptions{})
			var se *StreamError
			if !errors.As(err, &se) {
				t.Fatalf("%s: cut at %d of %d: got %v, want a *StreamError", c, cut, len(data), err)
			}
			if !strings.Contains(err.Error(), "byte offset") || se.Offset > int64(cut) {
				t.Fatalf("%s: cut at %d: bad location in %q", c, cut, err)
			}
		}
		mem.AssertSize(t, 0)
	}
}

func TestTruncationMessages(t *testing.T) {
	data := writeStream(t, memory.DefaultAllocator, CompressionNone, 9, 2)
	_, err := readAll(nil, memory.DefaultAllocator, ReaderOptions{})
	if err == nil || !strings.Contains(err.Error(), "empty input") {
		t.Errorf("empty input: %v", err)
	}
	// Cut exactly after the first segment: a clean boundary, but no trailer.
	r := NewReader(bytes.NewReader(data), ReaderOptions{})
	seg, _ := r.Next()
	if err := seg.drain(); err != nil {
		t.Fatal(err)
	}
	_, err = readAll(data[:r.Offset()], memory.DefaultAllocator, ReaderOptions{})
	if err == nil || !strings.Contains(err.Error(), "after 1 segment(s) without its trailer") {
		t.Errorf("cut at segment boundary: %v", err)
	}
	// Cut in the middle of the first segment names it.
	_, err = readAll(data[:r.Offset()-4], memory.DefaultAllocator, ReaderOptions{})
	if err == nil || !strings.Contains(err.Error(), "segment 0 (public.t chunk 1/2 pk:[0])") {
		t.Errorf("cut inside segment: %v", err)
	}
	// Appended garbage after the trailer.
	_, err = readAll(append(bytes.Clone(data), 0), memory.DefaultAllocator, ReaderOptions{})
	if err == nil || !strings.Contains(err.Error(), "data after the stream's trailer") {
		t.Errorf("trailing data: %v", err)
	}
}

// A flipped byte anywhere either yields an error or leaves every value as
// written (flips in padding or in the seal's own padding change nothing).
func TestCorruptionNeverSilent(t *testing.T) {
	for _, c := range []Compression{CompressionNone, CompressionZstd} {
		data := writeStream(t, memory.DefaultAllocator, c, 9, 0, 2)
		want, err := readAll(data, memory.DefaultAllocator, ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		undetected := 0
		for i := 0; i < len(data); i += stride() {
			bad := bytes.Clone(data)
			bad[i] ^= 0x5a
			got, err := readAll(bad, memory.DefaultAllocator, ReaderOptions{MaxMessageBody: 1 << 20})
			if err != nil {
				continue
			}
			undetected++
			if fmt.Sprint(got.rows) != fmt.Sprint(want.rows) || fmt.Sprint(got.headers) != fmt.Sprint(want.headers) {
				t.Fatalf("%s: flip at byte %d of %d changed the data without an error", c, i, len(data))
			}
		}
		t.Logf("%s: %d of %d single-byte flips were harmless (padding), the rest were errors", c, undetected, len(data))
	}
}

func TestConcurrentSegments(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	w := NewWriter(&out, WriterOptions{Allocator: mem, Compression: CompressionLZ4})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 5 {
				s, err := w.Begin(header(fmt.Sprintf("t%d", g), k, 5), testCols)
				if err != nil {
					errs <- err
					return
				}
				for b := range 3 {
					rec := batch(mem, s.Schema(), g*1000+k*100+b*10, 10)
					err := s.Write(rec)
					rec.Release()
					if err != nil {
						errs <- err
						return
					}
				}
				if err := s.Close(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := readAll(out.Bytes(), mem, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.headers) != 40 || len(res.rows) != 40*30 {
		t.Fatalf("got %d segments and %d rows, want 40 and 1200", len(res.headers), len(res.rows))
	}
}

func TestWriterMisuse(t *testing.T) {
	w := NewWriter(io.Discard, WriterOptions{})
	s, err := w.Begin(header("t", 0, 1), testCols)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "still open") {
		t.Errorf("close with open segment: %v", err)
	}
	s.Abort() // a direct segment already wrote bytes: the stream is broken
	if _, err := w.Begin(header("t", 0, 1), testCols); err == nil {
		t.Error("begin after an aborted direct segment should fail")
	}
}

func TestAbortSpooledSegmentLeavesNoTrace(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, WriterOptions{})
	a, _ := w.Begin(header("a", 0, 1), testCols) // direct
	b, _ := w.Begin(header("b", 0, 1), testCols) // spooled
	rec := batch(memory.DefaultAllocator, b.Schema(), 0, 3)
	defer rec.Release()
	if err := b.Write(rec); err != nil {
		t.Fatal(err)
	}
	b.Abort()
	if err := a.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := readAll(out.Bytes(), memory.DefaultAllocator, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.headers) != 1 || res.headers[0].Table.Name != "a" || len(res.rows) != 3 {
		t.Fatalf("got %d segments, %d rows", len(res.headers), len(res.rows))
	}
}

func TestRefusesNewerVersionAndForeignStreams(t *testing.T) {
	md := NewSchema(header("t", 0, 1), testCols).Metadata()
	keys, vals := md.Keys(), md.Values()
	for i := range keys {
		if keys[i] == KeyVersion {
			vals[i] = "2"
		}
	}
	_, err := ParseHeader(arrow.NewMetadata(keys, vals))
	if err == nil || !strings.Contains(err.Error(), "version 2 is newer") {
		t.Errorf("newer version: %v", err)
	}
	_, err = ParseHeader(arrow.Metadata{})
	if err == nil || !strings.Contains(err.Error(), "not a dbmig stream") {
		t.Errorf("foreign stream: %v", err)
	}
}

func TestBodyLimit(t *testing.T) {
	data := writeStream(t, memory.DefaultAllocator, CompressionNone, 20)
	_, err := readAll(data, memory.DefaultAllocator, ReaderOptions{MaxMessageBody: 64})
	if err == nil || !strings.Contains(err.Error(), "exceeds limit 64") {
		t.Errorf("body limit: %v", err)
	}
}
