package pgcodec

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The benchmark row has the shape of the 10 M-row benchmark table: bigint,
// int, numeric(12,2), float8, varchar(16), varchar(64), text ~100 B,
// timestamp, date, bool, bytea ~50 B, jsonb ~80 B, uuid.

const benchRows = 65536

func benchTable() ([]string, []Type) {
	varchar := func(n int32) Type { return Type{OID: oidVarchar, Name: "varchar", Typmod: n + 4} }
	return []string{"id", "qty", "price", "score", "code", "title", "body", "created", "day", "flag", "blob", "doc", "ref"},
		[]Type{scalar(oidInt8, "int8"), scalar(oidInt4, "int4"), tNumeric12, scalar(oidFloat8, "float8"),
			varchar(16), varchar(64), scalar(oidText, "text"), scalar(oidTimestamp, "timestamp"), scalar(oidDate, "date"),
			scalar(oidBool, "bool"), scalar(oidBytea, "bytea"), scalar(oidJSONB, "jsonb"), scalar(oidUUID, "uuid")}
}

func benchBatch(mem memory.Allocator, schema *arrow.Schema, n int) arrow.RecordBatch {
	r := rand.New(rand.NewPCG(11, 12))
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	words := strings.Fields("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua")
	sentence := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(words[r.IntN(len(words))])
			sb.WriteByte(' ')
		}
		return sb.String()[:n]
	}
	blob := make([]byte, 50)
	ref := make([]byte, 16)
	for i := range n {
		rb.Field(0).(*array.Int64Builder).Append(int64(i) + 1_000_000_000)
		rb.Field(1).(*array.Int32Builder).Append(r.Int32N(1000))
		rb.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(r.Int64N(1e9)))
		rb.Field(3).(*array.Float64Builder).Append(r.Float64() * 1000)
		rb.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("CODE-%08d", r.IntN(1e8)))
		rb.Field(5).(*array.StringBuilder).Append(sentence(20 + r.IntN(40)))
		rb.Field(6).(*array.StringBuilder).Append(sentence(80 + r.IntN(40)))
		rb.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() + r.Int64N(1e13)))
		rb.Field(8).(*array.Date32Builder).Append(arrow.Date32(19000 + r.IntN(1000)))
		rb.Field(9).(*array.BooleanBuilder).Append(r.IntN(2) == 0)
		for j := range blob {
			blob[j] = byte(r.Uint32())
		}
		rb.Field(10).(*array.BinaryBuilder).Append(blob)
		rb.Field(11).(*array.StringBuilder).Append(fmt.Sprintf(`{"id": %d, "tags": ["a", "b"], "name": "%s"}`, i, sentence(40)))
		for j := range ref {
			ref[j] = byte(r.Uint32())
		}
		rb.Field(12).(*array.FixedSizeBinaryBuilder).Append(ref)
	}
	return rb.NewRecordBatch()
}

// benchStream returns the benchmark batch's COPY stream cut as pgconn hands
// it over: one Write per row (CopyData message), the header with the first.
func benchStream(b *testing.B) (*arrow.Schema, []Type, []byte, [][]byte) {
	names, types := benchTable()
	schema := schemaFor(b, names, types, Options{})
	batch := benchBatch(memory.NewGoAllocator(), schema, benchRows)
	stream := encodeAll(b, schema, types, []arrow.RecordBatch{batch}, 65531)
	var chunks [][]byte
	start, off := 0, headerLen
	for {
		nf := int(int16(binary.BigEndian.Uint16(stream[off:])))
		if nf < 0 {
			chunks = append(chunks, stream[start:off], stream[off:])
			break
		}
		off += 2
		for range nf {
			if l := int(int32(binary.BigEndian.Uint32(stream[off:]))); l > 0 {
				off += l
			}
			off += 4
		}
		chunks = append(chunks, stream[start:off])
		start = off
	}
	return schema, types, stream, chunks
}

func BenchmarkDecode(b *testing.B) {
	schema, types, stream, chunks := benchStream(b)
	for _, trust := range []bool{true, false} {
		b.Run(fmt.Sprintf("TrustUTF8=%v", trust), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			for b.Loop() {
				dec, err := NewDecoder(mem, schema, types, Options{}, func(r arrow.RecordBatch) error {
					r.Release()
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				dec.TrustUTF8 = trust
				for _, c := range chunks {
					if _, err := dec.Write(c); err != nil {
						b.Fatal(err)
					}
				}
				if err := dec.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
			b.ReportMetric(float64(len(stream))/benchRows, "B/row")
		})
	}
	// Reuse decodes with one Decoder, Reset per COPY, as the reader does for
	// the chunks of a table: buffers start at the sizes the last batch had
	// instead of growing from nothing.
	b.Run("Reuse", func(b *testing.B) {
		mem := memory.NewGoAllocator()
		emit := func(r arrow.RecordBatch) error {
			r.Release()
			return nil
		}
		dec, err := NewDecoder(mem, schema, types, Options{}, emit)
		if err != nil {
			b.Fatal(err)
		}
		dec.TrustUTF8 = true
		b.SetBytes(int64(len(stream)))
		b.ReportAllocs()
		for b.Loop() {
			dec.Reset(emit)
			for _, c := range chunks {
				if _, err := dec.Write(c); err != nil {
					b.Fatal(err)
				}
			}
			if err := dec.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
		b.ReportMetric(float64(len(stream))/benchRows, "B/row")
	})
}

func BenchmarkEncode(b *testing.B) {
	names, types := benchTable()
	schema := schemaFor(b, names, types, Options{})
	batch := benchBatch(memory.NewGoAllocator(), schema, benchRows)
	defer batch.Release()
	enc, err := NewEncoder(schema, types)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 65531) // what pgconn.CopyFrom reads into
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		batch.Retain() // the reader releases what it is given
		r := enc.Reader(sliceSource([]arrow.RecordBatch{batch}))
		n = 0
		for {
			k, err := r.Read(buf)
			n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
	b.SetBytes(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchRows, "ns/row")
}
