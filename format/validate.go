package format

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// A segment's seal proves its bytes whole only at its end, but a consumer
// sees batches before that. So each batch is checked for structure as it is
// read: a damaged stream gives an error, never a batch whose buffers are too
// short for its lengths or whose offsets point outside its data (which would
// make the consumer panic, far from the cause). The checks are linear in the
// number of values and touch only offsets and buffer sizes.

// validateType accepts the Arrow types a dbmig stream may carry, with sane
// parameters.
func validateType(dt arrow.DataType, depth int) error {
	if depth > 32 {
		return fmt.Errorf("types nested deeper than 32 levels")
	}
	switch t := dt.(type) {
	case *arrow.BooleanType, *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float32Type, *arrow.Float64Type, *arrow.StringType, *arrow.BinaryType,
		*arrow.LargeStringType, *arrow.LargeBinaryType, *arrow.Date32Type, *arrow.Date64Type,
		*arrow.Time32Type, *arrow.Time64Type, *arrow.TimestampType, *arrow.DurationType,
		*arrow.MonthDayNanoIntervalType, *arrow.NullType:
		return nil
	case *arrow.Decimal128Type:
		if t.Precision < 1 || t.Precision > 38 || t.Scale < -38 || t.Scale > 38 {
			return fmt.Errorf("invalid type %s", t)
		}
	case *arrow.Decimal256Type:
		if t.Precision < 1 || t.Precision > 76 || t.Scale < -76 || t.Scale > 76 {
			return fmt.Errorf("invalid type %s", t)
		}
	case *arrow.FixedSizeBinaryType:
		if t.ByteWidth < 1 {
			return fmt.Errorf("invalid type %s", t)
		}
	case *arrow.ListType:
		return validateType(t.Elem(), depth+1)
	case *arrow.LargeListType:
		return validateType(t.Elem(), depth+1)
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := validateType(f.Type, depth+1); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("arrow type %s is not used in dbmig streams", dt)
	}
	return nil
}

func validateSchema(s *arrow.Schema) error {
	for _, f := range s.Fields() {
		if err := validateType(f.Type, 0); err != nil {
			return fmt.Errorf("column %q: %w", f.Name, err)
		}
	}
	return nil
}

func validateBatch(rec arrow.RecordBatch) error {
	for i, col := range rec.Columns() {
		if int64(col.Len()) != rec.NumRows() {
			return fmt.Errorf("column %q has %d values in a batch of %d rows", rec.ColumnName(i), col.Len(), rec.NumRows())
		}
		if err := validateData(col.Data()); err != nil {
			return fmt.Errorf("column %q: %w", rec.ColumnName(i), err)
		}
	}
	return nil
}

func bufLen(d arrow.ArrayData, i int) int {
	bufs := d.Buffers()
	if i >= len(bufs) || bufs[i] == nil {
		return 0
	}
	return bufs[i].Len()
}

func validateData(d arrow.ArrayData) error {
	n, off := d.Len(), d.Offset()
	if n < 0 || off < 0 {
		return fmt.Errorf("negative length or offset")
	}
	end := off + n
	if d.NullN() > 0 && d.DataType().ID() != arrow.NULL && bufLen(d, 0) < (end+7)/8 {
		return fmt.Errorf("validity bitmap of %d bytes is short for %d values", bufLen(d, 0), end)
	}
	switch t := d.DataType().(type) {
	case *arrow.NullType:
		return nil
	case *arrow.BooleanType:
		return need(bufLen(d, 1), (end+7)/8)
	case arrow.FixedWidthDataType:
		return need(bufLen(d, 1), end*t.BitWidth()/8)
	case *arrow.StringType, *arrow.BinaryType:
		return validateOffsets(d, 1, bufLen(d, 2))
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return validateLargeOffsets(d, bufLen(d, 2))
	case *arrow.ListType:
		if len(d.Children()) != 1 {
			return fmt.Errorf("list without its child")
		}
		if err := validateOffsets(d, 1, d.Children()[0].Len()); err != nil {
			return err
		}
		return validateData(d.Children()[0])
	case *arrow.StructType:
		if len(d.Children()) != t.NumFields() {
			return fmt.Errorf("struct has %d children, type says %d", len(d.Children()), t.NumFields())
		}
		for _, c := range d.Children() {
			if c.Len() < end {
				return fmt.Errorf("struct child has %d values, need %d", c.Len(), end)
			}
			if err := validateData(c); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("arrow type %s is not used in dbmig streams", d.DataType())
}

func need(have, want int) error {
	if have < want {
		return fmt.Errorf("data buffer of %d bytes is short: %d needed", have, want)
	}
	return nil
}

// validateOffsets checks an int32 offsets buffer: long enough, starting at or
// above zero, never decreasing, ending within limit.
func validateOffsets(d arrow.ArrayData, buf, limit int) error {
	n, off := d.Len(), d.Offset()
	if err := need(bufLen(d, buf), (off+n+1)*4); err != nil {
		return fmt.Errorf("offsets: %w", err)
	}
	b := d.Buffers()[buf].Bytes()[off*4 : (off+n+1)*4]
	prev := int32(binary.LittleEndian.Uint32(b))
	if prev < 0 {
		return fmt.Errorf("negative offset %d", prev)
	}
	for i := 4; i < len(b); i += 4 {
		o := int32(binary.LittleEndian.Uint32(b[i:]))
		if o < prev {
			return fmt.Errorf("offsets decrease at value %d", i/4-1)
		}
		prev = o
	}
	if int(prev) > limit {
		return fmt.Errorf("offset %d beyond %d bytes of values", prev, limit)
	}
	return nil
}

func validateLargeOffsets(d arrow.ArrayData, limit int) error {
	n, off := d.Len(), d.Offset()
	if err := need(bufLen(d, 1), (off+n+1)*8); err != nil {
		return fmt.Errorf("offsets: %w", err)
	}
	b := d.Buffers()[1].Bytes()[off*8 : (off+n+1)*8]
	prev := int64(binary.LittleEndian.Uint64(b))
	if prev < 0 {
		return fmt.Errorf("negative offset %d", prev)
	}
	for i := 8; i < len(b); i += 8 {
		o := int64(binary.LittleEndian.Uint64(b[i:]))
		if o < prev {
			return fmt.Errorf("offsets decrease at value %d", i/8-1)
		}
		prev = o
	}
	if prev > int64(limit) {
		return fmt.Errorf("offset %d beyond %d bytes of values", prev, limit)
	}
	return nil
}
