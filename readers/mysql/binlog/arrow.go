package binlog

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ArrowType is the Arrow type of a column's values (docs/TYPES-MYSQL.md).
func (c *Column) ArrowType() arrow.DataType {
	switch c.Kind {
	case KindInt8:
		return arrow.PrimitiveTypes.Int8
	case KindInt16, KindYear:
		return arrow.PrimitiveTypes.Int16
	case KindInt32:
		return arrow.PrimitiveTypes.Int32
	case KindInt64:
		return arrow.PrimitiveTypes.Int64
	case KindUint8:
		return arrow.PrimitiveTypes.Uint8
	case KindUint16:
		return arrow.PrimitiveTypes.Uint16
	case KindUint32:
		return arrow.PrimitiveTypes.Uint32
	case KindUint64, KindBit:
		return arrow.PrimitiveTypes.Uint64
	case KindFloat32:
		return arrow.PrimitiveTypes.Float32
	case KindFloat64:
		return arrow.PrimitiveTypes.Float64
	case KindDecimal:
		return &arrow.Decimal128Type{Precision: c.Precision, Scale: c.Scale}
	case KindDate:
		return arrow.FixedWidthTypes.Date32
	case KindDatetime:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case KindTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case KindTime:
		return arrow.FixedWidthTypes.Duration_us
	case KindBinary:
		return arrow.BinaryTypes.Binary
	case KindUUID:
		return &arrow.FixedSizeBinaryType{ByteWidth: 16}
	}
	return arrow.BinaryTypes.String // text, enum, set, json, inet, decimal text
}

// AppendValue appends v, a value of column c, to b, a builder of
// c.ArrowType(). It is the one place where Values meet Arrow.
func AppendValue(b array.Builder, c *Column, v Value) error {
	if v.null {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.Int8Builder:
		b.Append(int8(v.num))
	case *array.Int16Builder:
		b.Append(int16(v.num))
	case *array.Int32Builder:
		b.Append(int32(v.num))
	case *array.Int64Builder:
		b.Append(int64(v.num))
	case *array.Uint8Builder:
		b.Append(uint8(v.num))
	case *array.Uint16Builder:
		b.Append(uint16(v.num))
	case *array.Uint32Builder:
		b.Append(uint32(v.num))
	case *array.Uint64Builder:
		b.Append(v.num)
	case *array.Float32Builder:
		b.Append(v.Float32())
	case *array.Float64Builder:
		b.Append(v.Float64())
	case *array.Decimal128Builder:
		b.Append(v.Decimal128())
	case *array.Date32Builder:
		b.Append(arrow.Date32(int32(v.num)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(int64(v.num)))
	case *array.DurationBuilder:
		b.Append(arrow.Duration(int64(v.num)))
	case *array.StringBuilder:
		b.BinaryBuilder.Append(v.bytes)
	case *array.BinaryBuilder:
		b.Append(v.bytes)
	case *array.FixedSizeBinaryBuilder:
		b.Append(v.bytes)
	default:
		return fmt.Errorf("column %s (%s): builder %T is not for %s", quoteIdent(c.Name), c.Kind, b, c.ArrowType())
	}
	return nil
}
