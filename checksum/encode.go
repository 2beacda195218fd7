package checksum

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/zeebo/xxh3"
)

// Tags of the value classes that are not exact numbers (see number.go). Two
// values encode alike only within one class: a text "5" never equals a 5.
const (
	tagString    = 0x05 // uvarint length, UTF-8 bytes (JSON canonicalized first)
	tagBinary    = 0x07 // uvarint length, bytes
	tagDate      = 0x08 // int32 LE days since 1970-01-01
	tagTimestamp = 0x09 // int64 LE µs since 1970-01-01, zone or not
	tagTimestNS  = 0x0a // int64 LE ns, only for values with a sub-µs part
	tagTime      = 0x0b // int64 LE µs: time of day, or a duration (MySQL time)
	tagTimeNS    = 0x0f // int64 LE ns, only for values with a sub-µs part
	tagInterval  = 0x0c // int32 months, int32 days, int64 ns, LE
	tagStruct    = 0x0d // the fields, in order
	tagList      = 0x0e // uvarint count, the elements
)

// logicalKey is format.FieldLogical (this package depends on Arrow only for
// the values it hashes, and reads the one field key it needs itself).
const logicalKey = "dbmig.logical"

// Logical returns the dbmig.logical field metadata of f ("" when none).
func Logical(f arrow.Field) string {
	v, _ := f.Metadata.GetValue(logicalKey)
	return v
}

// Hash is a 128-bit row hash.
type Hash = xxh3.Uint128

// sourceTypeKey is format.FieldSourceType: the declared type, which tells
// char(n) (blank-padded) text and the width of a MySQL bit(n).
const sourceTypeKey = "dbmig.source_type"

// column is one bound column of a Hasher or KeyEncoder.
type column struct {
	index   int    // in the record batch
	name    string // for messages
	logical string // dbmig.logical: "json", "jsonb", "numeric" change the encoding
	// Per-column rules of the top-level value (docs/CHECKSUM.md): trailing
	// blanks of char(n) are not part of the value, a MySQL set is the list
	// of its members, a MySQL bit(n) is its n binary digits.
	padded   bool
	set      bool
	bitWidth int // > 0: a bit(n) column carried as an unsigned integer
	arr      arrow.Array
	// The bound array's validity bitmap and offset, nil when it has no
	// nulls: Array.IsNull per value was a third of the hashing time.
	valid     []byte
	validFrom int
}

// bind makes c read its column of rec.
func (c *column) bind(rec arrow.RecordBatch) {
	c.arr = rec.Column(c.index)
	c.valid, c.validFrom = nil, 0
	if c.arr.NullN() > 0 {
		c.valid, c.validFrom = c.arr.NullBitmapBytes(), c.arr.Data().Offset()
	}
}

func (c *column) isNull(row int) bool {
	return c.valid != nil && bitutil.BitIsNotSet(c.valid, c.validFrom+row)
}

// newColumn describes field i of schema.
func newColumn(schema *arrow.Schema, i int) column {
	f := schema.Field(i)
	c := column{index: i, name: f.Name, logical: Logical(f)}
	st, _ := f.Metadata.GetValue(sourceTypeKey)
	st = strings.ToLower(strings.TrimSpace(st))
	switch f.Type.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		c.padded = st == "bpchar" || st == "char" || st == "character" ||
			strings.HasPrefix(st, "char(") || strings.HasPrefix(st, "character(") || strings.HasPrefix(st, "bpchar(")
		c.set = c.logical == "set"
	case arrow.UINT64, arrow.UINT32, arrow.UINT16, arrow.UINT8:
		if c.logical == "bit" {
			c.bitWidth = 64
			if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(st, "bit("), ")")); err == nil && n > 0 && n <= 64 {
				c.bitWidth = n
			}
		}
	}
	return c
}

// appendColumn appends the canonical encoding of the column's value in row.
func appendColumn(b []byte, c *column, row int) []byte {
	switch {
	case c.isNull(row):
		return append(b, tagNull)
	case c.padded || c.set:
		var v string
		switch a := c.arr.(type) {
		case *array.String:
			v = a.Value(row)
		case *array.LargeString:
			v = a.Value(row)
		}
		if c.padded {
			v = strings.TrimRight(v, " ")
		}
		if !c.set {
			return appendString(b, v, c.logical)
		}
		// A set is its members (MySQL forbids commas in them): as the
		// text[] the conversion makes of it.
		if v == "" {
			return binary.AppendUvarint(append(b, tagList), 0)
		}
		b = binary.AppendUvarint(append(b, tagList), uint64(strings.Count(v, ",")+1))
		for m := range strings.SplitSeq(v, ",") {
			b = appendString(b, m, "")
		}
		return b
	case c.bitWidth > 0:
		// MySQL bit(n) is carried as an integer, PostgreSQL bit varying(n)
		// as its digits: both are the n digits.
		var digits [64]byte
		v := bitValue(c.arr, row)
		for k := 0; k < c.bitWidth; k++ {
			digits[c.bitWidth-1-k] = '0' + byte(v>>k&1)
		}
		return appendString(b, string(digits[:c.bitWidth]), "")
	}
	return appendNonNull(b, c.arr, row, c.logical)
}

func bitValue(a arrow.Array, row int) uint64 {
	switch a := a.(type) {
	case *array.Uint64:
		return a.Value(row)
	case *array.Uint32:
		return uint64(a.Value(row))
	case *array.Uint16:
		return uint64(a.Value(row))
	case *array.Uint8:
		return uint64(a.Value(row))
	}
	return 0
}

// Hasher encodes and hashes rows of record batches of one schema. It is not
// safe for concurrent use.
type Hasher struct {
	cols []column
	buf  []byte
}

// NewHasher returns a Hasher for the given columns (indexes into schema), in
// that order: both sides of a comparison must list the same columns in the
// same order. It fails for a column whose type has no canonical encoding.
func NewHasher(schema *arrow.Schema, columns []int) (*Hasher, error) {
	h := &Hasher{buf: make([]byte, 0, 256)}
	for _, i := range columns {
		f := schema.Field(i)
		if err := checkType(f.Type); err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		h.cols = append(h.cols, newColumn(schema, i))
	}
	return h, nil
}

// Bind makes the Hasher read rec's columns. rec must stay alive while rows
// of it are hashed.
func (h *Hasher) Bind(rec arrow.RecordBatch) {
	for i := range h.cols {
		h.cols[i].bind(rec)
	}
}

// Hash returns the hash of row (of the bound batch): XXH3-128 of the
// canonical encoding of its values, one after another.
func (h *Hasher) Hash(row int) Hash {
	b := h.buf[:0]
	for i := range h.cols {
		b = appendColumn(b, &h.cols[i], row)
	}
	h.buf = b
	return xxh3.Hash128(b)
}

// AppendRow appends the canonical encoding of row to b.
func (h *Hasher) AppendRow(b []byte, row int) []byte {
	for i := range h.cols {
		b = appendColumn(b, &h.cols[i], row)
	}
	return b
}

// AppendValue appends the canonical encoding of the value of the col-th
// hashed column in row, for finding which columns of a row differ.
func (h *Hasher) AppendValue(b []byte, col, row int) []byte {
	return appendColumn(b, &h.cols[col], row)
}

// checkType reports whether values of type t can be encoded.
func checkType(t arrow.DataType) error {
	switch t := t.(type) {
	case *arrow.NullType, *arrow.BooleanType,
		*arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type, *arrow.Decimal128Type,
		*arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType,
		*arrow.FixedSizeBinaryType, *arrow.Date32Type, *arrow.Date64Type, *arrow.TimestampType,
		*arrow.Time32Type, *arrow.Time64Type, *arrow.DurationType,
		*arrow.MonthDayNanoIntervalType, *arrow.MonthIntervalType, *arrow.DayTimeIntervalType:
		return nil
	case *arrow.ListType:
		return checkType(t.Elem())
	case *arrow.LargeListType:
		return checkType(t.Elem())
	case *arrow.FixedSizeListType:
		return checkType(t.Elem())
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := checkType(f.Type); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("type %s has no canonical encoding (checksum version %d)", t, Version)
}

func appendBytes(b []byte, tag byte, v []byte) []byte {
	b = binary.AppendUvarint(append(b, tag), uint64(len(v)))
	return append(b, v...)
}

func appendString(b []byte, v, logical string) []byte {
	switch logical {
	case "json", "jsonb":
		if c, ok := canonicalJSON(v); ok {
			return appendBytes(b, tagString, c)
		}
	case "numeric":
		if nb, ok := appendNumericText(b, v); ok {
			return nb
		}
	}
	b = binary.AppendUvarint(append(b, tagString), uint64(len(v)))
	return append(b, v...)
}

func appendI64(b []byte, tag byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, tag), uint64(v))
}

// appendMicros encodes a count of unit since an epoch as µs, or as ns when
// it has a sub-µs part.
func appendMicros(b []byte, tag, tagNS byte, v int64, unit arrow.TimeUnit) []byte {
	switch unit {
	case arrow.Second:
		return appendI64(b, tag, v*1e6)
	case arrow.Millisecond:
		return appendI64(b, tag, v*1e3)
	case arrow.Nanosecond:
		if v%1000 != 0 {
			return appendI64(b, tagNS, v)
		}
		return appendI64(b, tag, v/1000)
	}
	return appendI64(b, tag, v)
}

// appendValue appends the canonical encoding of a.Value(i). The per-value
// type switch costs a few ns; it keeps one code path for every type and
// nested values.
func appendValue(b []byte, a arrow.Array, i int, logical string) []byte {
	if a.IsNull(i) {
		return append(b, tagNull)
	}
	return appendNonNull(b, a, i, logical)
}

// appendNonNull is appendValue for a value known not to be NULL.
func appendNonNull(b []byte, a arrow.Array, i int, logical string) []byte {
	switch a := a.(type) {
	case *array.Int64:
		return appendInt(b, a.Value(i))
	case *array.Int32:
		return appendInt(b, int64(a.Value(i)))
	case *array.Int16:
		return appendInt(b, int64(a.Value(i)))
	case *array.Int8:
		return appendInt(b, int64(a.Value(i)))
	case *array.Uint64:
		return appendUint(b, a.Value(i))
	case *array.Uint32:
		return appendInt(b, int64(a.Value(i)))
	case *array.Uint16:
		return appendInt(b, int64(a.Value(i)))
	case *array.Uint8:
		return appendInt(b, int64(a.Value(i)))
	case *array.Boolean:
		// Booleans are the integers 0 and 1: MySQL has no boolean type
		// (tinyint(1) carries them), so true must equal 1.
		if a.Value(i) {
			return appendInt(b, 1)
		}
		return appendInt(b, 0)
	case *array.Decimal128:
		return appendDecimal(b, a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.Float64:
		return appendFloat(b, a.Value(i))
	case *array.Float32:
		return appendFloat(b, float64(a.Value(i)))
	case *array.Float16:
		return appendFloat(b, float64(a.Value(i).Float32()))
	case *array.String:
		return appendString(b, a.Value(i), logical)
	case *array.LargeString:
		return appendString(b, a.Value(i), logical)
	case *array.Binary:
		return appendBytes(b, tagBinary, a.Value(i))
	case *array.LargeBinary:
		return appendBytes(b, tagBinary, a.Value(i))
	case *array.FixedSizeBinary:
		return appendBytes(b, tagBinary, a.Value(i))
	case *array.Date32:
		return binary.LittleEndian.AppendUint32(append(b, tagDate), uint32(a.Value(i)))
	case *array.Date64:
		return binary.LittleEndian.AppendUint32(append(b, tagDate), uint32(int64(a.Value(i))/86400000))
	case *array.Timestamp:
		return appendMicros(b, tagTimestamp, tagTimestNS, int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit)
	case *array.Time64:
		return appendMicros(b, tagTime, tagTimeNS, int64(a.Value(i)), a.DataType().(*arrow.Time64Type).Unit)
	case *array.Time32:
		return appendMicros(b, tagTime, tagTimeNS, int64(a.Value(i)), a.DataType().(*arrow.Time32Type).Unit)
	case *array.Duration:
		return appendMicros(b, tagTime, tagTimeNS, int64(a.Value(i)), a.DataType().(*arrow.DurationType).Unit)
	case *array.MonthDayNanoInterval:
		v := a.Value(i)
		if v.Months == 0 && v.Days == 0 {
			// An interval of hours and less is a duration: MySQL time
			// becomes such an interval in PostgreSQL.
			return appendMicros(b, tagTime, tagTimeNS, v.Nanoseconds, arrow.Nanosecond)
		}
		return appendInterval(b, v.Months, v.Days, v.Nanoseconds)
	case *array.MonthInterval:
		return appendInterval(b, int32(a.Value(i)), 0, 0)
	case *array.DayTimeInterval:
		v := a.Value(i)
		if v.Days == 0 {
			return appendMicros(b, tagTime, tagTimeNS, int64(v.Milliseconds), arrow.Millisecond)
		}
		return appendInterval(b, 0, v.Days, int64(v.Milliseconds)*1e6)
	case *array.Struct:
		b = append(b, tagStruct)
		for k := 0; k < a.NumField(); k++ {
			b = appendValue(b, a.Field(k), i, "")
		}
		return b
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		b = binary.AppendUvarint(append(b, tagList), uint64(end-start))
		elems := a.ListValues()
		for k := start; k < end; k++ {
			b = appendValue(b, elems, int(k), logical)
		}
		return b
	case *array.Null:
		return append(b, tagNull)
	}
	// checkType admitted only the types above.
	panic(fmt.Sprintf("checksum: no encoding for %s", a.DataType()))
}

func appendInterval(b []byte, months, days int32, ns int64) []byte {
	b = binary.LittleEndian.AppendUint32(append(b, tagInterval), uint32(months))
	b = binary.LittleEndian.AppendUint32(b, uint32(days))
	return binary.LittleEndian.AppendUint64(b, uint64(ns))
}

// Digest is an order-independent summary of a set of rows: their number,
// and the sum (mod 2^128) and exclusive or of their hashes. Adding the same
// rows in any order gives the same Digest, so neither side has to sort.
// A sum alone misses no single change; the xor is a second, independent
// check that costs nothing.
type Digest struct {
	Rows int64
	Sum  Hash
	Xor  Hash
}

// Add adds one row hash.
func (d *Digest) Add(h Hash) {
	d.Rows++
	lo := d.Sum.Lo + h.Lo
	carry := uint64(0)
	if lo < d.Sum.Lo {
		carry = 1
	}
	d.Sum.Lo, d.Sum.Hi = lo, d.Sum.Hi+h.Hi+carry
	d.Xor.Lo ^= h.Lo
	d.Xor.Hi ^= h.Hi
}

// Merge adds the rows of o.
func (d *Digest) Merge(o Digest) {
	rows := d.Rows
	d.Add(o.Sum)
	d.Rows = rows + o.Rows
	// Add xored o.Sum in: undo that and xor o.Xor instead.
	d.Xor.Lo ^= o.Sum.Lo ^ o.Xor.Lo
	d.Xor.Hi ^= o.Sum.Hi ^ o.Xor.Hi
}

// String formats the digest for logs and reports.
func (d Digest) String() string {
	return fmt.Sprintf("%d:%016x%016x:%016x%016x", d.Rows, d.Sum.Hi, d.Sum.Lo, d.Xor.Hi, d.Xor.Lo)
}
