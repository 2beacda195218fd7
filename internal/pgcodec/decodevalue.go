package pgcodec

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// decodeValue appends one non-null COPY value to c. Everything here runs per
// value: no allocation, errors built only when a value is bad.
func decodeValue(c *column, v []byte) error {
	switch c.kind {
	case kBool:
		if len(v) != 1 {
			return errLen(1, len(v))
		}
		c.putBool(v[0] != 0)
	case kInt2:
		if len(v) != 2 {
			return errLen(2, len(v))
		}
		binary.LittleEndian.PutUint16(c.fixed(2), binary.BigEndian.Uint16(v))
	case kInt4, kFloat4:
		if len(v) != 4 {
			return errLen(4, len(v))
		}
		binary.LittleEndian.PutUint32(c.fixed(4), binary.BigEndian.Uint32(v))
	case kInt8, kFloat8:
		if len(v) != 8 {
			return errLen(8, len(v))
		}
		binary.LittleEndian.PutUint64(c.fixed(8), binary.BigEndian.Uint64(v))
	case kBytea:
		return c.putBytes(v)
	case kText:
		if c.utf8 && !utf8.Valid(v) {
			return errUTF8(v)
		}
		return c.putBytes(v)
	case kJSONB:
		if len(v) < 1 || v[0] != 1 {
			return fmt.Errorf("binary jsonb value is not version 1")
		}
		if c.utf8 && !utf8.Valid(v[1:]) {
			return errUTF8(v[1:])
		}
		return c.putBytes(v[1:])
	case kNumDec:
		x, err := numericToDecimal(v, c.prec, c.scale)
		if err != nil {
			return err
		}
		s := c.fixed(16)
		binary.LittleEndian.PutUint64(s, x.lo)
		binary.LittleEndian.PutUint64(s[8:], x.hi)
	case kNumText:
		if len(v) < 8 {
			return errNumericShort
		}
		bound := numericTextLen(int(int16(binary.BigEndian.Uint16(v[2:]))), int(binary.BigEndian.Uint16(v[6:])))
		out, err := appendNumericText(c.tail(bound), v)
		if err != nil {
			return err
		}
		return c.endTail(out)
	case kDate:
		if len(v) != 4 {
			return errLen(4, len(v))
		}
		x, err := dateToArrow(int32(binary.BigEndian.Uint32(v)))
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(c.fixed(4), uint32(x))
	case kTime:
		if len(v) != 8 {
			return errLen(8, len(v))
		}
		us := int64(binary.BigEndian.Uint64(v))
		if err := checkTime(us); err != nil {
			return err
		}
		binary.LittleEndian.PutUint64(c.fixed(8), uint64(us))
	case kTimeTZ:
		if len(v) != 12 {
			return errLen(12, len(v))
		}
		us := int64(binary.BigEndian.Uint64(v))
		zone := int32(binary.BigEndian.Uint32(v[8:]))
		if err := checkTime(us); err != nil {
			return err
		}
		if err := checkZone(zone); err != nil {
			return err
		}
		binary.LittleEndian.PutUint64(c.kids[0].fixed(8), uint64(us))
		// The wire counts seconds west of UTC; the stream seconds east.
		binary.LittleEndian.PutUint32(c.kids[1].fixed(4), uint32(-zone))
		c.valued()
	case kTimestamp:
		if len(v) != 8 {
			return errLen(8, len(v))
		}
		x, err := tsToArrow(int64(binary.BigEndian.Uint64(v)))
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint64(c.fixed(8), uint64(x))
	case kInterval:
		if len(v) != 16 {
			return errLen(16, len(v))
		}
		ns, err := intervalToArrow(int64(binary.BigEndian.Uint64(v)))
		if err != nil {
			return err
		}
		// arrow.MonthDayNanoInterval: months int32, days int32, nanoseconds int64.
		s := c.fixed(16)
		binary.LittleEndian.PutUint32(s, binary.BigEndian.Uint32(v[12:]))
		binary.LittleEndian.PutUint32(s[4:], binary.BigEndian.Uint32(v[8:]))
		binary.LittleEndian.PutUint64(s[8:], uint64(ns))
	case kUUID:
		if len(v) != 16 {
			return errLen(16, len(v))
		}
		copy(c.fixed(16), v)
	case kMacaddr:
		if len(v) != 6 {
			return errLen(6, len(v))
		}
		copy(c.fixed(6), v)
	case kInet, kCidr:
		out, err := appendInet(c.tail(inetTextMax), v, c.kind == kCidr)
		if err != nil {
			return err
		}
		return c.endTail(out)
	case kArray:
		return decodeArray(c, v)
	default:
		return fmt.Errorf("internal error: no decoder for kind %d", c.kind)
	}
	return nil
}

func errUTF8(v []byte) error {
	return fmt.Errorf("text value %q is not valid UTF-8 (is the server encoding SQL_ASCII?)", truncate(v))
}
