package mysql

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// ValueError is a value that could not be read into its Arrow column. It
// names the table, column and row key.
type ValueError struct {
	Table  string
	Column string
	Key    string // "id=42" (the primary key, or the whole row when there is none)
	Err    error
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("table %s column %s at %s: %v", e.Table, e.Column, e.Key, e.Err)
}

func (e *ValueError) Unwrap() error { return e.Err }

// appender appends one non-NULL value to its column's builder.
type appender func(v *mysql.FieldValue) error

// rowDecoder builds record batches from the rows of one table.
type rowDecoder struct {
	t        *table
	rb       *array.RecordBuilder
	append   []appender
	rows     int
	bytes    int64
	maxRows  int
	maxBytes int64
	lastRows int
}

func newRowDecoder(mem memory.Allocator, t *table, schema *arrow.Schema, maxRows int, maxBytes int64) *rowDecoder {
	d := &rowDecoder{t: t, rb: array.NewRecordBuilder(mem, schema), maxRows: maxRows, maxBytes: maxBytes}
	d.append = make([]appender, len(t.cols))
	for i := range t.cols {
		d.append[i] = newAppender(t.kinds[i], d.rb.Field(i), t.scales[i])
	}
	return d
}

func (d *rowDecoder) release() { d.rb.Release() }

// add appends one row; full says the batch reached a limit.
func (d *rowDecoder) add(row []mysql.FieldValue) (full bool, err error) {
	if len(row) != len(d.append) {
		return false, fmt.Errorf("table %s: query returned %d columns for %d", d.t, len(row), len(d.append))
	}
	for i := range row {
		v := &row[i]
		switch v.Type {
		case mysql.FieldValueTypeNull:
			d.rb.Field(i).AppendNull()
			continue
		case mysql.FieldValueTypeString:
			d.bytes += int64(len(v.AsString()))
		default:
			d.bytes += 8
		}
		if err := d.append[i](v); err != nil {
			return false, &ValueError{Table: d.t.String(), Column: d.t.cols[i].Name, Key: d.key(row), Err: err}
		}
	}
	d.rows++
	return d.rows >= d.maxRows || d.bytes >= d.maxBytes, nil
}

// key describes a row by its primary key, for error messages.
func (d *rowDecoder) key(row []mysql.FieldValue) string {
	idx := d.t.keyIdx
	if len(idx) == 0 {
		idx = make([]int, 0, len(row))
		for i := range row {
			if d.t.kinds[i] != kBinary && d.t.kinds[i] != kText || len(row[i].AsString()) < 64 {
				idx = append(idx, i)
			}
		}
	}
	parts := make([]string, len(idx))
	for i, j := range idx {
		parts[i] = d.t.cols[j].Name + "=" + textOf(&row[j])
		if row[j].Type == mysql.FieldValueTypeNull {
			parts[i] = d.t.cols[j].Name + "=NULL"
		}
	}
	return strings.Join(parts, ", ")
}

// flush returns the built batch (nil when empty) and starts the next one.
func (d *rowDecoder) flush() arrow.RecordBatch {
	if d.rows == 0 {
		return nil
	}
	rec := d.rb.NewRecordBatch()
	d.lastRows, d.rows, d.bytes = d.rows, 0, 0
	// The next batch is likely as long: size the builders once.
	for _, b := range d.rb.Fields() {
		b.Reserve(d.lastRows)
	}
	return rec
}

// intOf reads an integer value. go-mysql parses the text of integer
// columns itself; a value of another field type is parsed here.
func intOf(v *mysql.FieldValue) (int64, error) {
	switch v.Type {
	case mysql.FieldValueTypeSigned, mysql.FieldValueTypeUnsigned:
		return v.AsInt64(), nil
	}
	return strconv.ParseInt(string(v.AsString()), 10, 64)
}

func uintOf(v *mysql.FieldValue) (uint64, error) {
	switch v.Type {
	case mysql.FieldValueTypeSigned, mysql.FieldValueTypeUnsigned:
		return v.AsUint64(), nil
	}
	return strconv.ParseUint(string(v.AsString()), 10, 64)
}

func floatOf(v *mysql.FieldValue) (float64, error) {
	if v.Type == mysql.FieldValueTypeFloat {
		return v.AsFloat64(), nil
	}
	return strconv.ParseFloat(string(v.AsString()), 64)
}

func checkRange(n, lo, hi int64) error {
	if n < lo || n > hi {
		return fmt.Errorf("%d out of range [%d, %d]", n, lo, hi)
	}
	return nil
}

// newAppender returns the parser of one column into its builder.
func newAppender(k kind, b array.Builder, scale int) appender {
	signed := func(lo, hi int64, put func(int64)) appender {
		return func(v *mysql.FieldValue) error {
			n, err := intOf(v)
			if err == nil {
				err = checkRange(n, lo, hi)
			}
			if err != nil {
				return err
			}
			put(n)
			return nil
		}
	}
	unsigned := func(hi uint64, put func(uint64)) appender {
		return func(v *mysql.FieldValue) error {
			n, err := uintOf(v)
			if err == nil && n > hi {
				err = fmt.Errorf("%d out of range [0, %d]", n, hi)
			}
			if err != nil {
				return err
			}
			put(n)
			return nil
		}
	}
	switch k {
	case kInt8:
		bb := b.(*array.Int8Builder)
		return signed(math.MinInt8, math.MaxInt8, func(n int64) { bb.Append(int8(n)) })
	case kInt16:
		bb := b.(*array.Int16Builder)
		return signed(math.MinInt16, math.MaxInt16, func(n int64) { bb.Append(int16(n)) })
	case kInt32:
		bb := b.(*array.Int32Builder)
		return signed(math.MinInt32, math.MaxInt32, func(n int64) { bb.Append(int32(n)) })
	case kInt64:
		bb := b.(*array.Int64Builder)
		return signed(math.MinInt64, math.MaxInt64, bb.Append)
	case kYear:
		bb := b.(*array.Int16Builder)
		return signed(0, 9999, func(n int64) { bb.Append(int16(n)) })
	case kUint8:
		bb := b.(*array.Uint8Builder)
		return unsigned(math.MaxUint8, func(n uint64) { bb.Append(uint8(n)) })
	case kUint16:
		bb := b.(*array.Uint16Builder)
		return unsigned(math.MaxUint16, func(n uint64) { bb.Append(uint16(n)) })
	case kUint32:
		bb := b.(*array.Uint32Builder)
		return unsigned(math.MaxUint32, func(n uint64) { bb.Append(uint32(n)) })
	case kUint64:
		bb := b.(*array.Uint64Builder)
		return unsigned(math.MaxUint64, bb.Append)
	case kFloat32:
		bb := b.(*array.Float32Builder)
		return func(v *mysql.FieldValue) error {
			f, err := floatOf(v)
			if err != nil {
				return err
			}
			bb.Append(float32(f)) // exact: the server widened a float
			return nil
		}
	case kFloat64:
		bb := b.(*array.Float64Builder)
		return func(v *mysql.FieldValue) error {
			f, err := floatOf(v)
			if err != nil {
				return err
			}
			bb.Append(f)
			return nil
		}
	case kDecimal:
		bb := b.(*array.Decimal128Builder)
		return func(v *mysql.FieldValue) error {
			n, err := parseDecimal(v.AsString(), scale)
			if err != nil {
				return err
			}
			bb.Append(n)
			return nil
		}
	case kBit:
		bb := b.(*array.Uint64Builder)
		return func(v *mysql.FieldValue) error {
			n, err := parseBit(v.AsString())
			if err != nil {
				return err
			}
			bb.Append(n)
			return nil
		}
	case kDate:
		bb := b.(*array.Date32Builder)
		return func(v *mysql.FieldValue) error {
			n, err := parseDate(v.AsString())
			if err != nil {
				return err
			}
			bb.Append(arrow.Date32(n))
			return nil
		}
	case kDateTime, kTimestamp:
		bb := b.(*array.TimestampBuilder)
		return func(v *mysql.FieldValue) error {
			n, err := parseDateTime(v.AsString())
			if err != nil {
				return err
			}
			bb.Append(arrow.Timestamp(n))
			return nil
		}
	case kTime:
		bb := b.(*array.DurationBuilder)
		return func(v *mysql.FieldValue) error {
			n, err := parseTime(v.AsString())
			if err != nil {
				return err
			}
			bb.Append(arrow.Duration(n))
			return nil
		}
	case kText, kDecimalText:
		bb := b.(*array.StringBuilder)
		return func(v *mysql.FieldValue) error {
			bb.BinaryBuilder.Append(v.AsString()) // the bytes as read: no string conversion
			return nil
		}
	case kBinary:
		bb := b.(*array.BinaryBuilder)
		return func(v *mysql.FieldValue) error {
			bb.Append(v.AsString())
			return nil
		}
	case kUUID:
		bb := b.(*array.FixedSizeBinaryBuilder)
		return func(v *mysql.FieldValue) error {
			u, err := parseUUID(v.AsString())
			if err != nil {
				return err
			}
			bb.Append(u[:])
			return nil
		}
	}
	panic(fmt.Sprintf("mysql: no appender for kind %d", k))
}
