package convert

import (
	"bytes"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type memAlloc = memory.Allocator

// fixedValues returns the values of a fixed-width array as a slice of T,
// indexed like the array (the array's offset already applied).
func fixedValues[T any](a arrow.Array) []T {
	d := a.Data()
	buf := d.Buffers()[1]
	if buf == nil || buf.Len() == 0 || a.Len() == 0 {
		return nil
	}
	var zero T
	n := buf.Len() / int(unsafe.Sizeof(zero))
	all := unsafe.Slice((*T)(unsafe.Pointer(&buf.Bytes()[0])), n)
	return all[d.Offset() : d.Offset()+a.Len()]
}

// mapFixed converts a fixed-width array element by element into a new
// fixed-width array of type dt. The validity bitmap is shared, not
// copied. f returns false to stop with the error valueErr built by the
// caller's closure; it sees only valid slots.
func mapFixed[S, D any](mem memAlloc, a arrow.Array, dt arrow.DataType, f func(i int, v S) (D, bool)) (arrow.Array, bool) {
	d := a.Data()
	n, off := a.Len(), d.Offset()
	var zero D
	size := int(unsafe.Sizeof(zero))
	out := memory.NewResizableBuffer(mem)
	out.Resize((off + n) * size)
	var dst []D
	if off+n > 0 {
		dst = unsafe.Slice((*D)(unsafe.Pointer(&out.Bytes()[0])), off+n)[off:]
	}
	src := fixedValues[S](a)
	ok := true
	if a.NullN() == 0 {
		for i, v := range src {
			if dst[i], ok = f(i, v); !ok {
				break
			}
		}
	} else {
		for i, v := range src {
			if a.IsNull(i) {
				continue
			}
			if dst[i], ok = f(i, v); !ok {
				break
			}
		}
	}
	if !ok {
		out.Release()
		return nil, false
	}
	validity := d.Buffers()[0]
	nd := array.NewData(dt, n, []*memory.Buffer{validity, out}, nil, a.NullN(), off)
	out.Release()
	defer nd.Release()
	return array.MakeFromData(nd), true
}

// widen converts a signed or unsigned integer array into a wider signed
// one: the values always fit, so nothing can fail.
func widen[S, D int8 | uint8 | int16 | uint16 | int32 | uint32 | int64](dt arrow.DataType) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return newFixed(b.mem(), a, dt, func(dst []D, src []S) {
			// Null slots hold whatever the source had: converting them is
			// cheaper than testing the bitmap, and nobody reads them.
			for i, v := range src {
				dst[i] = D(v)
			}
		}), nil
	}
}

// newFixed allocates a fixed-width array of type dt shaped like a (same
// length, offset and shared validity bitmap) and lets fill write every
// value in one loop.
func newFixed[S, D any](mem memAlloc, a arrow.Array, dt arrow.DataType, fill func(dst []D, src []S)) arrow.Array {
	d := a.Data()
	n, off := a.Len(), d.Offset()
	var zero D
	out := memory.NewResizableBuffer(mem)
	out.Resize((off + n) * int(unsafe.Sizeof(zero)))
	if n > 0 {
		fill(unsafe.Slice((*D)(unsafe.Pointer(&out.Bytes()[0])), off+n)[off:], fixedValues[S](a))
	}
	nd := array.NewData(dt, n, []*memory.Buffer{d.Buffers()[0], out}, nil, a.NullN(), off)
	out.Release()
	defer nd.Release()
	return array.MakeFromData(nd)
}

// uint64ToDecimal carries bigint unsigned as decimal128(20,0).
func uint64ToDecimal(b *batch, a arrow.Array) (arrow.Array, error) {
	return newFixed(b.mem(), a, &arrow.Decimal128Type{Precision: 20, Scale: 0}, func(dst []decimal128.Num, src []uint64) {
		for i, v := range src {
			dst[i] = decimal128.FromU64(v)
		}
	}), nil
}

// uint64ToInt64 carries an auto_increment bigint unsigned as bigint (a
// PostgreSQL identity is an integer type); a value above int64's range is
// an error naming the key.
func uint64ToInt64(b *batch, a arrow.Array) (arrow.Array, error) {
	var err error
	out, ok := mapFixed(b.mem(), a, arrow.PrimitiveTypes.Int64, func(i int, v uint64) (int64, bool) {
		if v > math.MaxInt64 {
			err = b.valueErr(i, "", "%d is above bigint's range (the auto_increment column becomes a bigint identity)", v)
			return 0, false
		}
		return int64(v), true
	})
	if !ok {
		return nil, err
	}
	return out, nil
}

// int8ToBool is tinyint(1) as boolean: 0 and 1 only, anything else is an
// error naming the key (MySQL would call 2 true, and 2 is data).
func int8ToBool(b *batch, a arrow.Array) (arrow.Array, error) {
	vals := fixedValues[int8](a)
	bld := array.NewBooleanBuilder(b.mem())
	defer bld.Release()
	bld.Reserve(a.Len())
	for i, v := range vals {
		if a.IsNull(i) {
			bld.UnsafeAppendBoolToBitmap(false)
			continue
		}
		if v != 0 && v != 1 {
			return nil, b.valueErr(i, "", "tinyint(1) value %d is not 0 or 1, so it cannot become a boolean (convert without --tinyint1-as-bool)", v)
		}
		bld.UnsafeAppend(v == 1)
	}
	return bld.NewArray(), nil
}

// durationToInterval is MySQL time (signed µs, ±838h) as a PostgreSQL
// interval: days 0, nanoseconds = µs × 1000.
func durationToInterval(b *batch, a arrow.Array) (arrow.Array, error) {
	return newFixed(b.mem(), a, arrow.FixedWidthTypes.MonthDayNanoInterval, func(dst []arrow.MonthDayNanoInterval, src []int64) {
		for i, us := range src {
			dst[i] = arrow.MonthDayNanoInterval{Nanoseconds: us * 1000}
		}
	}), nil
}

// bitsToText is MySQL bit(n) (the bits as uint64) as n '0'/'1' digits.
func bitsToText(width int) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		vals := fixedValues[uint64](a)
		bld := array.NewStringBuilder(b.mem())
		defer bld.Release()
		bld.Reserve(a.Len())
		bld.ReserveData(a.Len() * width)
		var buf [64]byte
		for i, v := range vals {
			if a.IsNull(i) {
				bld.AppendNull()
				continue
			}
			if width < 64 && v>>uint(width) != 0 {
				return nil, b.valueErr(i, "", "value %d has more than %d bits", v, width)
			}
			for j := range width {
				buf[j] = '0' + byte(v>>uint(width-1-j)&1)
			}
			bld.BinaryBuilder.Append(buf[:width])
		}
		return bld.NewArray(), nil
	}
}

// zeroDate applies --zero-dates to a date32 or timestamp column whose
// zero value (MySQL 0000-00-00) is the type's minimum. Without zero
// values the array passes through.
func zeroDate[T int32 | int64](policy string, zero T) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		vals := fixedValues[T](a)
		first := -1
		for i, v := range vals {
			if v == zero && a.IsValid(i) {
				first = i
				break
			}
		}
		if first < 0 {
			a.Retain()
			return a, nil
		}
		switch policy {
		case "null":
			return nullWhere(b, a, func(i int) bool { return vals[i] == zero }), nil
		case "epoch":
			var n int64
			out, _ := mapFixed(b.mem(), a, a.DataType(), func(_ int, v T) (T, bool) {
				if v == zero {
					n++
					return 0, true
				}
				return v, true
			})
			b.count(n)
			return out, nil
		}
		return nil, b.valueErr(first, "--zero-dates=null or --zero-dates=epoch converts it", "MySQL zero date 0000-00-00 has no PostgreSQL value")
	}
}

// nullWhere returns a with the slots where drop is true set null: a new
// validity bitmap over the same value buffers.
func nullWhere(b *batch, a arrow.Array, drop func(i int) bool) arrow.Array {
	d := a.Data()
	n, off := a.Len(), d.Offset()
	bm := memory.NewResizableBuffer(b.mem())
	bm.Resize(int(bitutil.BytesForBits(int64(off + n))))
	bits := bm.Bytes()
	if v := d.Buffers()[0]; v != nil {
		copy(bits, v.Bytes())
	} else {
		for i := range bits {
			bits[i] = 0xff
		}
	}
	var changed int64
	for i := range n {
		if bitutil.BitIsSet(bits, off+i) && drop(i) {
			bitutil.ClearBit(bits, off+i)
			changed++
		}
	}
	b.count(changed)
	bufs := append([]*memory.Buffer{bm}, d.Buffers()[1:]...)
	nd := array.NewData(d.DataType(), n, bufs, d.Children(), a.NullN()+int(changed), off)
	bm.Release()
	defer nd.Release()
	return array.MakeFromData(nd)
}

// checkText refuses (or with strip removes) NUL bytes, which PostgreSQL
// text cannot hold. A column without NULs passes through: one IndexByte
// over the whole value buffer.
func checkText(strip bool, next kernel) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		s := a.(*array.String)
		if s.Len() == 0 {
			return passOr(next, b, a)
		}
		offs := s.ValueOffsets()
		data := s.ValueBytes()
		whole := data[offs[0]:offs[len(offs)-1]]
		if bytes.IndexByte(whole, 0) < 0 {
			return passOr(next, b, a)
		}
		if !strip {
			for i := range s.Len() {
				if s.IsValid(i) && strings.IndexByte(s.Value(i), 0) >= 0 {
					return nil, b.valueErr(i, "--strip-nul removes them", "text holds a NUL byte, which PostgreSQL text cannot hold")
				}
			}
		}
		bld := array.NewStringBuilder(b.mem())
		defer bld.Release()
		bld.Reserve(s.Len())
		var n int64
		for i := range s.Len() {
			if s.IsNull(i) {
				bld.AppendNull()
				continue
			}
			v := s.Value(i)
			if strings.IndexByte(v, 0) >= 0 {
				v = strings.ReplaceAll(v, "\x00", "")
				n++
			}
			bld.Append(v)
		}
		b.count(n)
		out := bld.NewArray()
		if next == nil {
			return out, nil
		}
		defer out.Release()
		return next(b, out)
	}
}

func passOr(next kernel, b *batch, a arrow.Array) (arrow.Array, error) {
	if next != nil {
		return next(b, a)
	}
	a.Retain()
	return a, nil
}

// enumEmptyCheck refuses MySQL's invalid-value enum index 0 (read as ”)
// when ” is not a label: a PostgreSQL enum has no such value.
func enumEmptyCheck(b *batch, a arrow.Array) (arrow.Array, error) {
	s := a.(*array.String)
	for i := range s.Len() {
		if s.IsValid(i) && s.ValueLen(i) == 0 {
			return nil, b.valueErr(i, "--enum-as-text keeps it as text", "MySQL's invalid enum value '' (index 0) is not a label of the PostgreSQL enum")
		}
	}
	a.Retain()
	return a, nil
}

// setToList splits MySQL set values ("a,b") into list<utf8>; ” is the
// empty set.
func setToList(b *batch, a arrow.Array) (arrow.Array, error) {
	s := a.(*array.String)
	bld := array.NewListBuilder(b.mem(), arrow.BinaryTypes.String)
	defer bld.Release()
	vb := bld.ValueBuilder().(*array.StringBuilder)
	for i := range s.Len() {
		if s.IsNull(i) {
			bld.AppendNull()
			continue
		}
		bld.Append(true)
		v := s.Value(i)
		if v == "" {
			continue
		}
		for m := range strings.SplitSeq(v, ",") {
			vb.Append(m)
		}
	}
	return bld.NewArray(), nil
}

// formatUUID writes the canonical 8-4-4-4-12 form.
func formatUUID(u []byte) string {
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:16])
	return string(buf[:])
}

// mapToString converts any array to utf8 with f over valid slots.
func mapToString(b *batch, a arrow.Array, f func(i int) (string, error)) (arrow.Array, error) {
	bld := array.NewStringBuilder(b.mem())
	defer bld.Release()
	bld.Reserve(a.Len())
	for i := range a.Len() {
		if a.IsNull(i) {
			bld.AppendNull()
			continue
		}
		s, err := f(i)
		if err != nil {
			return nil, err
		}
		bld.Append(s)
	}
	return bld.NewArray(), nil
}

func itoa(n int) string { return strconv.Itoa(n) }
