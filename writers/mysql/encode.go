package mysql

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/dbmig/dbmig/format"
)

// LOAD DATA text format, as the statement declares it: fields end with a
// tab, lines with a newline, backslash escapes, \N is NULL. Inside a value,
// tab, newline, backslash and NUL are escaped (NUL as \0, which the server
// turns back into a NUL byte); every other byte goes as it is.

// loadColumn is one loaded stream column: how its values are written.
type loadColumn struct {
	index int // in the stream
	col   format.Column
	// via is the expression that turns the file's text (the variable) into
	// the column's value, or "" when the text goes straight in.
	via  string
	year bool // target is YEAR: 0 must be written "0000" ('0' would be 2000)
}

// newLoadColumn decides how column c of the stream is written for target
// column tc, refusing Arrow types this writer cannot write exactly.
func newLoadColumn(i int, c format.Column, tc targetColumn) (loadColumn, error) {
	lc := loadColumn{index: i, col: c}
	switch tc.dataType {
	case "bit":
		// A string assigned to BIT is taken as its bytes; the number must
		// arrive as a number.
		lc.via = "CAST(%s AS UNSIGNED)"
	case "year":
		lc.year = true
	case "json":
		// MySQL refuses JSON from a binary string.
		lc.via = "CONVERT(%s USING utf8mb4)"
	}
	if tc.charset != "" && tc.charset != "utf8mb4" && tc.charset != "binary" && lc.via == "" {
		// The file is binary (utf8mb4 bytes, as the stream holds them):
		// say so, and the server converts to the column's charset, refusing
		// what it cannot hold.
		lc.via = "CONVERT(%s USING utf8mb4)"
	}
	switch t := c.Type.(type) {
	case *arrow.BooleanType, *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float32Type, *arrow.Float64Type, *arrow.Decimal128Type,
		*arrow.StringType, *arrow.LargeStringType, *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.FixedSizeBinaryType,
		*arrow.Date32Type:
	case *arrow.TimestampType, *arrow.DurationType, *arrow.Time64Type, *arrow.Time32Type:
		_ = t
	default:
		return lc, fmt.Errorf("cannot load Arrow %s into MySQL (convert the stream with dbconvert --to mysql)", c.Type)
	}
	return lc, nil
}

// assign returns the SET expression for the column read into variable v,
// or "" when the column is loaded directly.
func (lc loadColumn) assign(v string) string {
	if lc.via == "" {
		return ""
	}
	return fmt.Sprintf(lc.via, v)
}

// valueError is a value this writer cannot write exactly.
type valueError struct {
	column string
	row    int64 // 1-based within the chunk
	msg    string
}

func (e *valueError) Error() string {
	return fmt.Sprintf("column %s, row %d of the chunk: %s", e.column, e.row, e.msg)
}

// appender appends value i of one column, escaped, to buf.
type appender func(buf []byte, i int) ([]byte, error)

// rowReader is the LOAD DATA file: it encodes the chunk's batches as the
// server asks for more, a bufferful at a time.
type rowReader struct {
	cols    []loadColumn
	batches []arrow.RecordBatch
	bi      int        // current batch
	row     int        // next row in it
	n       int64      // rows encoded
	enc     []appender // for the current batch; nil until bound
	nulls   []arrow.Array
	buf     []byte
	off     int
	err     error
}

// fillSize is how much text is encoded at a time: large enough that the
// per-fill overhead vanishes, small enough to stay in cache.
const fillSize = 256 << 10

func newRowReader(cols []loadColumn, batches []arrow.RecordBatch) *rowReader {
	return &rowReader{cols: cols, batches: batches, buf: make([]byte, 0, fillSize+4096)}
}

func (r *rowReader) Read(p []byte) (int, error) {
	for r.off == len(r.buf) {
		if r.err != nil {
			return 0, r.err
		}
		r.buf, r.off = r.buf[:0], 0
		r.err = r.fill()
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// fill encodes rows into r.buf until it holds fillSize bytes or the rows
// end (io.EOF).
func (r *rowReader) fill() error {
	for len(r.buf) < fillSize {
		if r.bi == len(r.batches) {
			return io.EOF
		}
		rec := r.batches[r.bi]
		if r.row == int(rec.NumRows()) {
			r.bi, r.row, r.enc = r.bi+1, 0, nil
			continue
		}
		if r.enc == nil {
			if err := r.bind(rec); err != nil {
				return err
			}
		}
		i := r.row
		for c, enc := range r.enc {
			if c > 0 {
				r.buf = append(r.buf, '\t')
			}
			if r.nulls[c].IsNull(i) {
				r.buf = append(r.buf, '\\', 'N')
				continue
			}
			var err error
			if r.buf, err = enc(r.buf, i); err != nil {
				return &valueError{column: r.cols[c].col.Name, row: r.n + 1, msg: err.Error()}
			}
		}
		r.buf = append(r.buf, '\n')
		r.row++
		r.n++
	}
	return nil
}

func (r *rowReader) bind(rec arrow.RecordBatch) error {
	r.enc = make([]appender, 0, len(r.cols))
	r.nulls = r.nulls[:0]
	for _, lc := range r.cols {
		arr := rec.Column(lc.index)
		enc, err := appenderFor(arr, lc)
		if err != nil {
			return fmt.Errorf("column %s: %w", lc.col.Name, err)
		}
		r.enc = append(r.enc, enc)
		r.nulls = append(r.nulls, arr)
	}
	return nil
}

func appenderFor(arr arrow.Array, lc loadColumn) (appender, error) {
	switch a := arr.(type) {
	case *array.Boolean:
		return func(b []byte, i int) ([]byte, error) {
			if a.Value(i) {
				return append(b, '1'), nil
			}
			return append(b, '0'), nil
		}, nil
	case *array.Int8:
		return intAppender(func(i int) int64 { return int64(a.Value(i)) }, lc.year), nil
	case *array.Int16:
		return intAppender(func(i int) int64 { return int64(a.Value(i)) }, lc.year), nil
	case *array.Int32:
		return intAppender(func(i int) int64 { return int64(a.Value(i)) }, lc.year), nil
	case *array.Int64:
		return intAppender(a.Value, lc.year), nil
	case *array.Uint8:
		return uintAppender(func(i int) uint64 { return uint64(a.Value(i)) }), nil
	case *array.Uint16:
		return uintAppender(func(i int) uint64 { return uint64(a.Value(i)) }), nil
	case *array.Uint32:
		return uintAppender(func(i int) uint64 { return uint64(a.Value(i)) }), nil
	case *array.Uint64:
		return uintAppender(a.Value), nil
	case *array.Float32:
		// A float32 goes as the shortest float64 text of its exact value:
		// float32's own shortest text (3.4028235e+38 for the maximum) reads
		// back as a double above FLT_MAX, which MySQL refuses.
		return floatAppender(func(i int) float64 { return float64(a.Value(i)) }, 64), nil
	case *array.Float64:
		return floatAppender(a.Value, 64), nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(b []byte, i int) ([]byte, error) { return appendDecimal(b, a.Value(i), scale), nil }, nil
	case *array.String:
		return func(b []byte, i int) ([]byte, error) { return appendEscaped(b, a.Value(i)), nil }, nil
	case *array.LargeString:
		return func(b []byte, i int) ([]byte, error) { return appendEscaped(b, a.Value(i)), nil }, nil
	case *array.Binary:
		return func(b []byte, i int) ([]byte, error) { return appendEscapedBytes(b, a.Value(i)), nil }, nil
	case *array.LargeBinary:
		return func(b []byte, i int) ([]byte, error) { return appendEscapedBytes(b, a.Value(i)), nil }, nil
	case *array.FixedSizeBinary:
		return func(b []byte, i int) ([]byte, error) { return appendEscapedBytes(b, a.Value(i)), nil }, nil
	case *array.Date32:
		return func(b []byte, i int) ([]byte, error) { return appendDate(b, int64(a.Value(i))) }, nil
	case *array.Timestamp:
		toMicro, err := microsPer(a.DataType().(*arrow.TimestampType).Unit)
		if err != nil {
			return nil, err
		}
		return func(b []byte, i int) ([]byte, error) {
			v := int64(a.Value(i))
			if v == math.MinInt64 {
				return append(b, "0000-00-00 00:00:00"...), nil // the zero datetime (docs/TYPES-MYSQL.md)
			}
			us, err := toMicro(v)
			if err != nil {
				return b, err
			}
			return appendDateTime(b, us)
		}, nil
	case *array.Duration:
		toMicro, err := microsPer(a.DataType().(*arrow.DurationType).Unit)
		if err != nil {
			return nil, err
		}
		return func(b []byte, i int) ([]byte, error) {
			us, err := toMicro(int64(a.Value(i)))
			if err != nil {
				return b, err
			}
			return appendTime(b, us), nil
		}, nil
	case *array.Time64:
		toMicro, err := microsPer(a.DataType().(*arrow.Time64Type).Unit)
		if err != nil {
			return nil, err
		}
		return func(b []byte, i int) ([]byte, error) {
			us, err := toMicro(int64(a.Value(i)))
			if err != nil {
				return b, err
			}
			return appendTime(b, us), nil
		}, nil
	case *array.Time32:
		toMicro, err := microsPer(a.DataType().(*arrow.Time32Type).Unit)
		if err != nil {
			return nil, err
		}
		return func(b []byte, i int) ([]byte, error) {
			us, err := toMicro(int64(a.Value(i)))
			if err != nil {
				return b, err
			}
			return appendTime(b, us), nil
		}, nil
	}
	return nil, fmt.Errorf("cannot load Arrow %s into MySQL", arr.DataType())
}

func intAppender(v func(int) int64, year bool) appender {
	if year {
		return func(b []byte, i int) ([]byte, error) {
			x := v(i)
			if x < 0 || x > 9999 {
				return b, fmt.Errorf("year %d out of range", x)
			}
			return appendPadded(b, x, 4), nil
		}
	}
	return func(b []byte, i int) ([]byte, error) { return strconv.AppendInt(b, v(i), 10), nil }
}

func uintAppender(v func(int) uint64) appender {
	return func(b []byte, i int) ([]byte, error) { return strconv.AppendUint(b, v(i), 10), nil }
}

func floatAppender(v func(int) float64, bits int) appender {
	return func(b []byte, i int) ([]byte, error) {
		f := v(i)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b, fmt.Errorf("%v cannot be stored in MySQL", f)
		}
		// The shortest text that reads back as the same float32/float64.
		return strconv.AppendFloat(b, f, 'g', -1, bits), nil
	}
}

// microsPer returns the conversion of a time unit's values to microseconds,
// refusing those that would lose digits (MySQL keeps at most 6).
func microsPer(u arrow.TimeUnit) (func(int64) (int64, error), error) {
	switch u {
	case arrow.Second:
		return func(v int64) (int64, error) { return mulMicro(v, 1_000_000) }, nil
	case arrow.Millisecond:
		return func(v int64) (int64, error) { return mulMicro(v, 1_000) }, nil
	case arrow.Microsecond:
		return func(v int64) (int64, error) { return v, nil }, nil
	case arrow.Nanosecond:
		return func(v int64) (int64, error) {
			if v%1000 != 0 {
				return 0, fmt.Errorf("%d ns has digits below a microsecond, which MySQL cannot hold", v)
			}
			return v / 1000, nil
		}, nil
	}
	return nil, fmt.Errorf("unknown time unit %v", u)
}

func mulMicro(v, f int64) (int64, error) {
	if v > math.MaxInt64/f || v < math.MinInt64/f {
		return 0, errors.New("time out of range")
	}
	return v * f, nil
}

// appendPadded appends non-negative x with at least width digits.
func appendPadded(b []byte, x int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], x, 10)
	for n := len(s); n < width; n++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

const microsPerDay = 86_400_000_000

// appendDate appends days since 1970-01-01 as YYYY-MM-DD; the minimum of
// date32 is the zero date.
func appendDate(b []byte, days int64) ([]byte, error) {
	if days == math.MinInt32 {
		return append(b, "0000-00-00"...), nil
	}
	t := time.Unix(days*86400, 0).UTC()
	return appendYMD(b, t)
}

func appendYMD(b []byte, t time.Time) ([]byte, error) {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return b, fmt.Errorf("date %s is outside MySQL's years 0000-9999", t.Format("2006-01-02"))
	}
	b = appendPadded(b, int64(y), 4)
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return b, nil
}

// appendDateTime appends µs since 1970-01-01 (UTC wall clock) as
// YYYY-MM-DD HH:MM:SS[.ffffff].
func appendDateTime(b []byte, us int64) ([]byte, error) {
	t := time.UnixMicro(us).UTC()
	b, err := appendYMD(b, t)
	if err != nil {
		return b, err
	}
	b = append(b, ' ')
	h, mi, s := t.Clock()
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	return appendFraction(b, int64(t.Nanosecond()/1000)), nil
}

func appendFraction(b []byte, us int64) []byte {
	if us == 0 {
		return b
	}
	b = append(b, '.')
	return appendPadded(b, us, 6)
}

// appendTime appends signed µs as [-]H:MM:SS[.ffffff], MySQL's TIME (the
// server refuses what is outside ±838:59:59).
func appendTime(b []byte, us int64) []byte {
	if us < 0 {
		b = append(b, '-')
		us = -us // TIME's range is far from int64's minimum
	}
	sec := us / 1_000_000
	b = strconv.AppendInt(b, sec/3600, 10)
	m, s := sec/60%60, sec%60
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	return appendFraction(b, us%1_000_000)
}

// appendDecimal appends a decimal128 with its scale, exactly.
func appendDecimal(b []byte, n decimal128.Num, scale int32) []byte {
	var digits []byte
	var tmp [48]byte
	neg := n.Sign() < 0
	if hi, lo := n.HighBits(), n.LowBits(); (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		v := int64(lo)
		if neg {
			digits = strconv.AppendUint(tmp[:0], uint64(-v), 10) // -MinInt64 wraps to its own magnitude
		} else {
			digits = strconv.AppendUint(tmp[:0], uint64(v), 10)
		}
	} else {
		bi := n.BigInt()
		digits = new(big.Int).Abs(bi).Append(tmp[:0], 10)
	}
	if neg {
		b = append(b, '-')
	}
	if scale <= 0 {
		b = append(b, digits...)
		for range -scale {
			b = append(b, '0')
		}
		return b
	}
	s := int(scale)
	if len(digits) <= s {
		b = append(b, '0', '.')
		for range s - len(digits) {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[:len(digits)-s]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-s:]...)
}

// special marks the bytes that must be escaped inside a value.
var special = [256]bool{'\t': true, '\n': true, '\\': true, 0: true}

func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !special[c] {
			continue
		}
		b = append(b, s[start:i]...)
		b = appendEscape(b, c)
		start = i + 1
	}
	return append(b, s[start:]...)
}

func appendEscapedBytes(b []byte, s []byte) []byte {
	start := 0
	for i, c := range s {
		if !special[c] {
			continue
		}
		b = append(b, s[start:i]...)
		b = appendEscape(b, c)
		start = i + 1
	}
	return append(b, s[start:]...)
}

func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '\t':
		return append(b, '\\', 't')
	case '\n':
		return append(b, '\\', 'n')
	case 0:
		return append(b, '\\', '0')
	}
	return append(b, '\\', c)
}
