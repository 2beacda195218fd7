package convert

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// myTable is a table of a hand-made MySQL stream, built as
// docs/TYPES-MYSQL.md specifies what readers/mysql produces.
type myTable struct {
	header format.Header
	cols   []format.Column
	arrays []arrow.Array
}

func myHeader(db, table string, pk ...string) format.Header {
	return format.Header{
		Table:      format.TableID{Engine: "mysql", Database: db, Schema: db, Name: table},
		PrimaryKey: pk,
		Chunk:      format.Chunk{ID: "all"},
	}
}

// writeStream writes the tables (and catalog headers) as one stream.
func writeStream(t *testing.T, tables []myTable, catalogs ...format.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Compression: format.CompressionNone})
	for _, h := range catalogs {
		h.Kind = format.KindCatalog
		s, err := w.Begin(h, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tb := range tables {
		s, err := w.Begin(tb.header, tb.cols)
		if err != nil {
			t.Fatal(err)
		}
		if len(tb.arrays) > 0 {
			rec := array.NewRecordBatch(s.Schema(), tb.arrays, int64(tb.arrays[0].Len()))
			if err := s.Write(rec); err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// convertStream runs Convert over a stream in memory.
func convertStream(t *testing.T, opts Options, in []byte) ([]byte, Report, error) {
	t.Helper()
	var out bytes.Buffer
	rep, err := Convert(context.Background(), opts, format.NewReader(bytes.NewReader(in), format.ReaderOptions{}),
		func(id string) *format.Writer {
			return format.NewWriter(&out, format.WriterOptions{StreamID: id, Compression: format.CompressionNone})
		})
	return out.Bytes(), rep, err
}

// readAll returns the segments of a stream with their batches.
type readSeg struct {
	header format.Header
	cols   []format.Column
	recs   []arrow.RecordBatch
}

func readStream(t *testing.T, b []byte) []readSeg {
	t.Helper()
	r := format.NewReader(bytes.NewReader(b), format.ReaderOptions{})
	var segs []readSeg
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return segs
		}
		if err != nil {
			t.Fatal(err)
		}
		s := readSeg{header: seg.Header, cols: seg.Columns}
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rec.Retain()
			s.recs = append(s.recs, rec)
			t.Cleanup(rec.Release)
		}
		segs = append(segs, s)
	}
}

// arrays built with the Go allocator, for tests.
var mem = memory.NewGoAllocator()

func i8s(v ...any) arrow.Array  { return build(array.NewInt8Builder(mem), v) }
func u8s(v ...any) arrow.Array  { return build(array.NewUint8Builder(mem), v) }
func i16s(v ...any) arrow.Array { return build(array.NewInt16Builder(mem), v) }
func u16s(v ...any) arrow.Array { return build(array.NewUint16Builder(mem), v) }
func i32s(v ...any) arrow.Array { return build(array.NewInt32Builder(mem), v) }
func u32s(v ...any) arrow.Array { return build(array.NewUint32Builder(mem), v) }
func i64s(v ...any) arrow.Array { return build(array.NewInt64Builder(mem), v) }
func u64s(v ...any) arrow.Array { return build(array.NewUint64Builder(mem), v) }
func strs(v ...any) arrow.Array { return build(array.NewStringBuilder(mem), v) }

// build appends each value (nil for NULL) with the builder's Append.
func build[T any, B interface {
	Append(T)
	AppendNull()
	NewArray() arrow.Array
	Release()
}](b B, vals []any) arrow.Array {
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch x := v.(type) {
		case int:
			var t T
			switch any(t).(type) {
			case int8:
				b.Append(any(int8(x)).(T))
			case uint8:
				b.Append(any(uint8(x)).(T))
			case int16:
				b.Append(any(int16(x)).(T))
			case uint16:
				b.Append(any(uint16(x)).(T))
			case int32:
				b.Append(any(int32(x)).(T))
			case uint32:
				b.Append(any(uint32(x)).(T))
			case int64:
				b.Append(any(int64(x)).(T))
			case uint64:
				b.Append(any(uint64(x)).(T))
			}
		default:
			b.Append(v.(T))
		}
	}
	return b.NewArray()
}
