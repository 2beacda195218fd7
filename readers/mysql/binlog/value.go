package binlog

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Value is one decoded column value. Which accessor applies, and which Arrow
// type it maps to, is given by the column's Kind. A Value holds numbers
// inline and bytes as a slice into the transaction's buffer, so decoding a
// row allocates nothing per value.
type Value struct {
	num   uint64 // integers (two's complement for signed), float bits, µs, days
	hi    uint64 // high word of a decimal128
	bytes []byte
	null  bool
}

// IsNull reports SQL NULL.
func (v Value) IsNull() bool { return v.null }

// Int64 is the value of signed integer, year, date, datetime, timestamp and
// time kinds.
func (v Value) Int64() int64 { return int64(v.num) }

// Uint64 is the value of unsigned integer and bit kinds.
func (v Value) Uint64() uint64 { return v.num }

// Float64 is the value of KindFloat64.
func (v Value) Float64() float64 { return math.Float64frombits(v.num) }

// Float32 is the value of KindFloat32.
func (v Value) Float32() float32 { return math.Float32frombits(uint32(v.num)) }

// Decimal128 is the unscaled value of KindDecimal (scale is the column's).
func (v Value) Decimal128() decimal128.Num { return decimal128.New(int64(v.hi), v.num) }

// Bytes is the value of text (UTF-8), binary, enum, set, json, uuid, inet
// and decimal-text kinds. It points into the transaction's buffer: copy it
// to keep it past the next call of Stream.Next.
func (v Value) Bytes() []byte { return v.bytes }

// String is Bytes as a string (a copy).
func (v Value) String() string { return string(v.bytes) }

// buffers hold the values and bytes of the transaction being decoded. They
// are reused from one Stream.Next call to the next, so a steady stream of
// transactions decodes without allocating.
type buffers struct {
	values     [][]Value
	valueChunk int // index of the chunk being filled
	valueUsed  int
	bytes      [][]byte
	byteChunk  int
	size       int64 // bytes handed out, for the transaction memory bound
}

const (
	valueChunkLen = 4096
	byteChunkLen  = 256 << 10
)

// row returns n zeroed values.
func (b *buffers) row(n int) []Value {
	b.size += int64(n) * 48
	if n > valueChunkLen {
		return make([]Value, n)
	}
	for {
		if b.valueChunk == len(b.values) {
			b.values = append(b.values, make([]Value, valueChunkLen))
		}
		c := b.values[b.valueChunk]
		if b.valueUsed+n <= len(c) {
			r := c[b.valueUsed : b.valueUsed+n : b.valueUsed+n]
			b.valueUsed += n
			clear(r)
			return r
		}
		b.valueChunk++
		b.valueUsed = 0
	}
}

// space returns a zero-length slice with capacity for at least n bytes,
// which the caller fills and then commits with keep.
func (b *buffers) space(n int) []byte {
	if n > byteChunkLen/4 {
		return make([]byte, 0, n)
	}
	for {
		if b.byteChunk == len(b.bytes) {
			b.bytes = append(b.bytes, make([]byte, 0, byteChunkLen))
		}
		c := b.bytes[b.byteChunk]
		if cap(c)-len(c) >= n {
			return c[len(c):len(c):cap(c)]
		}
		b.byteChunk++
	}
}

// keep records that the slice s returned by space (and maybe grown by
// append past it) is in use.
func (b *buffers) keep(s []byte) []byte {
	b.size += int64(len(s))
	if b.byteChunk < len(b.bytes) {
		c := b.bytes[b.byteChunk]
		// s still in the chunk: advance the chunk's length over it.
		if len(s) > 0 && cap(c) > len(c) && &c[:len(c)+1][len(c)] == &s[0] && len(c)+len(s) <= cap(c) {
			b.bytes[b.byteChunk] = c[:len(c)+len(s)]
		}
	}
	return s[:len(s):len(s)]
}

// copyBytes keeps a copy of src.
func (b *buffers) copyBytes(src []byte) []byte {
	return b.keep(append(b.space(len(src)), src...))
}

// reset makes all memory reusable; values handed out before become invalid.
func (b *buffers) reset() {
	for i := range b.bytes[:min(b.byteChunk+1, len(b.bytes))] {
		b.bytes[i] = b.bytes[i][:0]
	}
	b.valueChunk, b.valueUsed, b.byteChunk, b.size = 0, 0, 0, 0
	// Drop what one huge transaction grew, keeping a working set.
	if len(b.bytes) > 64 {
		b.bytes = b.bytes[:64]
	}
	if len(b.values) > 64 {
		b.values = b.values[:64]
	}
}
