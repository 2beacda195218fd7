package checksum

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Key encoding: bytes whose bytewise order is the order of the key values,
// the same whichever engine the key came from. Composite keys are the
// concatenation of their columns' encodings (each is self-delimiting, so
// the order is lexicographic by column). Text sorts by its UTF-8 bytes,
// which is code point order, never an engine's collation.
const (
	keyNumber = 0x10 // int128 BE of floor(v) with the sign bit flipped, fraction digits, 0x00
	keyFloat  = 0x11 // float64 bits made order-preserving
	keyText   = 0x20 // bytes with 0x00 escaped as 0x00 0xff, then 0x00 0x01
	keyBinary = 0x21 // as text
	keyDate   = 0x30 // int32 BE, sign flipped
	keyTime   = 0x31 // timestamps: int64 µs BE, sign flipped
	keyClock  = 0x32 // time of day and durations: int64 µs BE, sign flipped
)

// KeyEncoder encodes the primary key of rows of record batches of one
// schema. It is not safe for concurrent use.
type KeyEncoder struct {
	cols []column
}

// NewKeyEncoder returns a KeyEncoder for the key columns (indexes into
// schema, in key order). It fails for a column whose type cannot be a key
// here (floats can, with -0 = 0 and NaN above everything, as PostgreSQL
// orders them).
func NewKeyEncoder(schema *arrow.Schema, key []int) (*KeyEncoder, error) {
	k := &KeyEncoder{}
	for _, i := range key {
		f := schema.Field(i)
		switch t := f.Type.(type) {
		case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
			*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
			*arrow.BooleanType, *arrow.Decimal128Type, *arrow.Float32Type, *arrow.Float64Type,
			*arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType,
			*arrow.FixedSizeBinaryType, *arrow.Date32Type, *arrow.TimestampType,
			*arrow.Time64Type, *arrow.DurationType:
		default:
			return nil, fmt.Errorf("key column %q: type %s cannot be compared as a key", f.Name, t)
		}
		if l := Logical(f); l == "numeric" || l == "json" || l == "jsonb" {
			return nil, fmt.Errorf("key column %q: %s text cannot be compared as a key", f.Name, l)
		}
		k.cols = append(k.cols, newColumn(schema, i))
	}
	return k, nil
}

// Bind makes the encoder read rec's columns.
func (k *KeyEncoder) Bind(rec arrow.RecordBatch) {
	for i := range k.cols {
		k.cols[i].bind(rec)
	}
}

// Append appends the key of row to b. A NULL key value is an error (a
// primary key has none).
func (k *KeyEncoder) Append(b []byte, row int) ([]byte, error) {
	for i := range k.cols {
		c := &k.cols[i]
		if c.isNull(row) {
			return b, fmt.Errorf("key column %q is NULL", c.name)
		}
		if c.padded {
			b = appendKeyBytes(b, keyText, []byte(strings.TrimRight(ValueText(c.arr, row), " ")))
			continue
		}
		var err error
		if b, err = appendKey(b, c.arr, row); err != nil {
			return b, fmt.Errorf("key column %q: %w", c.name, err)
		}
	}
	return b, nil
}

// Texts returns the key of row as text, one string per key column, in the
// form SQL engines accept as a literal of the column's type (numbers as
// digits, timestamps as "2006-01-02 15:04:05.999999[+00]", binary as \x
// hex): for query parameters and for reports.
func (k *KeyEncoder) Texts(row int) []string {
	out := make([]string, len(k.cols))
	for i := range k.cols {
		out[i] = ValueText(k.cols[i].arr, row)
		if k.cols[i].padded {
			out[i] = strings.TrimRight(out[i], " ")
		}
	}
	return out
}

// Names returns the key column names.
func (k *KeyEncoder) Names() []string {
	out := make([]string, len(k.cols))
	for i, c := range k.cols {
		out[i] = c.name
	}
	return out
}

func flip64(v int64) uint64 { return uint64(v) ^ 1<<63 }

func appendKey(b []byte, a arrow.Array, i int) ([]byte, error) {
	switch a := a.(type) {
	case *array.Int64:
		return appendKeyInt(b, a.Value(i)), nil
	case *array.Int32:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.Int16:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.Int8:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.Uint64:
		b = append(b, keyNumber)
		b = binary.BigEndian.AppendUint64(b, 1<<63) // high half of a non-negative int128, flipped
		return append(binary.BigEndian.AppendUint64(b, a.Value(i)), 0), nil
	case *array.Uint32:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.Uint16:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.Uint8:
		return appendKeyInt(b, int64(a.Value(i))), nil
	case *array.Boolean:
		if a.Value(i) {
			return appendKeyInt(b, 1), nil
		}
		return appendKeyInt(b, 0), nil
	case *array.Decimal128:
		return appendKeyDecimal(b, a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Float64:
		return appendKeyFloat(b, a.Value(i)), nil
	case *array.Float32:
		return appendKeyFloat(b, float64(a.Value(i))), nil
	case *array.String:
		return appendKeyBytes(b, keyText, []byte(a.Value(i))), nil
	case *array.LargeString:
		return appendKeyBytes(b, keyText, []byte(a.Value(i))), nil
	case *array.Binary:
		return appendKeyBytes(b, keyBinary, a.Value(i)), nil
	case *array.LargeBinary:
		return appendKeyBytes(b, keyBinary, a.Value(i)), nil
	case *array.FixedSizeBinary:
		return appendKeyBytes(b, keyBinary, a.Value(i)), nil
	case *array.Date32:
		return binary.BigEndian.AppendUint32(append(b, keyDate), uint32(a.Value(i))^1<<31), nil
	case *array.Timestamp:
		return binary.BigEndian.AppendUint64(append(b, keyTime), flip64(toMicros(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit))), nil
	case *array.Time64:
		return binary.BigEndian.AppendUint64(append(b, keyClock), flip64(toMicros(int64(a.Value(i)), a.DataType().(*arrow.Time64Type).Unit))), nil
	case *array.Duration:
		return binary.BigEndian.AppendUint64(append(b, keyClock), flip64(toMicros(int64(a.Value(i)), a.DataType().(*arrow.DurationType).Unit))), nil
	}
	return b, fmt.Errorf("type %s cannot be compared as a key", a.DataType())
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1e6
	case arrow.Millisecond:
		return v * 1e3
	case arrow.Nanosecond:
		// Floor, so that order is kept; equal µs with different ns are
		// told apart by the row hash, not by the key.
		if v < 0 && v%1000 != 0 {
			return v/1000 - 1
		}
		return v / 1000
	}
	return v
}

func appendKeyInt(b []byte, v int64) []byte {
	b = append(b, keyNumber)
	b = binary.BigEndian.AppendUint64(b, flip64(v>>63)) // sign extension of the int128
	return append(binary.BigEndian.AppendUint64(b, uint64(v)), 0)
}

// appendKeyDecimal encodes v = n × 10^-scale as floor(v) (an int128) and
// the digits of v - floor(v) without trailing zeros, then 0x00: digits sort
// after the terminator, so 0.5 < 0.51 < 0.6.
func appendKeyDecimal(b []byte, n decimal128.Num, scale int32) ([]byte, error) {
	if v, ok := decimalInt64(n); ok && scale >= 0 && scale <= 18 {
		p := pow10[scale]
		q, r := v/p, v%p
		if r < 0 {
			q, r = q-1, r+p
		}
		b = appendKeyInt(b, q)
		return appendFraction(b[:len(b)-1], strconv.FormatInt(r, 10), int(scale)), nil
	}
	c := n.BigInt()
	if scale <= 0 {
		c.Mul(c, new(big.Int).Exp(bigTen, big.NewInt(int64(-scale)), nil))
		return appendKeyBig(b, c, "", 0)
	}
	p := new(big.Int).Exp(bigTen, big.NewInt(int64(scale)), nil)
	q, r := new(big.Int), new(big.Int)
	q.DivMod(c, p, r) // Euclidean: r ≥ 0, q = floor
	return appendKeyBig(b, q, r.String(), int(scale))
}

func appendKeyBig(b []byte, q *big.Int, frac string, scale int) ([]byte, error) {
	if q.Cmp(minInt128) < 0 || q.Cmp(maxInt128) > 0 {
		return b, fmt.Errorf("key value beyond 128 bits")
	}
	n := decimal128.FromBigInt(q)
	b = append(b, keyNumber)
	b = binary.BigEndian.AppendUint64(b, uint64(n.HighBits())^1<<63)
	b = binary.BigEndian.AppendUint64(b, n.LowBits())
	return appendFraction(b, frac, scale), nil
}

// appendFraction appends the fraction digits r (of scale digits, without
// leading zeros as given) with trailing zeros dropped, and the terminator.
func appendFraction(b []byte, r string, scale int) []byte {
	if r != "" && r != "0" {
		for pad := scale - len(r); pad > 0; pad-- {
			b = append(b, '0')
		}
		end := len(r)
		for end > 0 && r[end-1] == '0' {
			end--
		}
		b = append(b, r[:end]...)
	}
	return append(b, 0)
}

func appendKeyFloat(b []byte, f float64) []byte {
	bits := canonFloat(f)
	if bits&(1<<63) != 0 {
		bits = ^bits
	} else {
		bits |= 1 << 63
	}
	return binary.BigEndian.AppendUint64(append(b, keyFloat), bits)
}

func appendKeyBytes(b []byte, tag byte, v []byte) []byte {
	b = append(b, tag)
	for _, c := range v {
		if c == 0 {
			b = append(b, 0, 0xff)
			continue
		}
		b = append(b, c)
	}
	return append(b, 0, 1)
}

// ValueText formats a value for people and for SQL literals: numbers
// exactly, text as it is, binary as \x hex, uuid in its usual form,
// dates and timestamps in ISO form (UTC, with "+00" when zoned), NULL as
// "NULL".
func ValueText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.String:
		// Value aliases the batch's buffer, which is reused: copy.
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Binary:
		return `\x` + hex.EncodeToString(a.Value(i))
	case *array.LargeBinary:
		return `\x` + hex.EncodeToString(a.Value(i))
	case *array.FixedSizeBinary:
		v := a.Value(i)
		if len(v) == 16 {
			h := hex.EncodeToString(v)
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		}
		return `\x` + hex.EncodeToString(v)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', -1, 32)
	case *array.Date32:
		return formatDate(int64(a.Value(i)))
	case *array.Timestamp:
		t := a.DataType().(*arrow.TimestampType)
		s := formatTimestamp(toMicros(int64(a.Value(i)), t.Unit))
		if t.TimeZone != "" && s != "infinity" && s != "-infinity" {
			s += "+00"
		}
		return s
	case *array.Time64:
		us := toMicros(int64(a.Value(i)), a.DataType().(*arrow.Time64Type).Unit)
		return formatClock(us)
	case *array.Duration:
		us := toMicros(int64(a.Value(i)), a.DataType().(*arrow.DurationType).Unit)
		return formatClock(us)
	}
	return a.ValueStr(i)
}

func formatDate(days int64) string {
	switch days {
	case math.MaxInt32:
		return "infinity"
	case math.MinInt32:
		return "-infinity"
	}
	return withEra(time.Unix(days*86400, 0).UTC(), "2006-01-02")
}

func formatTimestamp(us int64) string {
	switch us {
	case math.MaxInt64:
		return "infinity"
	case math.MinInt64:
		return "-infinity"
	}
	return withEra(time.UnixMicro(us).UTC(), "2006-01-02 15:04:05.999999")
}

// withEra formats t, writing years before 1 as PostgreSQL does ("0044-03-15
// BC" for the year -43).
func withEra(t time.Time, layout string) string {
	if t.Year() > 0 {
		return t.Format(layout)
	}
	return t.AddDate(1-2*t.Year(), 0, 0).Format(layout) + " BC"
}

func formatClock(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	h, m, s, f := us/3600e6, us/60e6%60, us/1e6%60, us%1e6
	out := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
	if f != 0 {
		out += "." + fmt.Sprintf("%06d", f)
		for out[len(out)-1] == '0' {
			out = out[:len(out)-1]
		}
	}
	return out
}
