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
		c.put4(binary.BigEndian.Uint32(v))
	case kInt8, kFloat8:
		if len(v) != 8 {
			return errLen(8, len(v))
		}
		c.put8(binary.BigEndian.Uint64(v))
	case kBytea:
		return c.putBytes(v)
	case kText:
		if c.utf8 && !validUTF8(v) {
			return errUTF8(v)
		}
		return c.putBytes(v)
	case kJSONB:
		if len(v) < 1 || v[0] != 1 {
			return fmt.Errorf("binary jsonb value is not version 1")
		}
		if c.utf8 && !validUTF8(v[1:]) {
			return errUTF8(v[1:])
		}
		return c.putBytes(v[1:])
	case kNumDec:
		x, err := numericToDecimal(v, c.prec, c.scale)
		if err != nil {
			return err
		}
		c.put16(x.lo, x.hi)
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
		c.put4(uint32(x))
	case kTime:
		if len(v) != 8 {
			return errLen(8, len(v))
		}
		us := int64(binary.BigEndian.Uint64(v))
		if err := checkTime(us); err != nil {
			return err
		}
		c.put8(uint64(us))
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
		c.kids[0].put8(uint64(us))
		// The wire counts seconds west of UTC; the stream seconds east.
		c.kids[1].put4(uint32(-zone))
		c.n++
	case kTimestamp:
		if len(v) != 8 {
			return errLen(8, len(v))
		}
		x, err := tsToArrow(int64(binary.BigEndian.Uint64(v)))
		if err != nil {
			return err
		}
		c.put8(uint64(x))
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
		c.put16(binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[8:]))
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

// validUTF8 is utf8.Valid with a faster check of ASCII, which is most
// text: 32 bytes a step, and the last bytes as whole words that may overlap
// bytes already seen, rather than one at a time. At the first word with a
// non-ASCII byte, utf8.Valid checks the rest: ASCII bytes are whole
// characters, so the rest starts at a character boundary.
func validUTF8(v []byte) bool {
	const hi = 0x8080808080808080
	n := len(v)
	if n < 8 {
		var x byte
		for _, c := range v {
			x |= c
		}
		return x < 0x80 || utf8.Valid(v)
	}
	i := 0
	for ; n-i > 32; i += 32 {
		s := v[i : i+32 : i+32]
		if (binary.LittleEndian.Uint64(s)|binary.LittleEndian.Uint64(s[8:])|
			binary.LittleEndian.Uint64(s[16:])|binary.LittleEndian.Uint64(s[24:]))&hi != 0 {
			return utf8.Valid(v[i:])
		}
	}
	// 1 to 32 bytes are left, and n ≥ 8.
	x := binary.LittleEndian.Uint64(v[n-8:])
	switch r := n - i; {
	case r > 16:
		x |= binary.LittleEndian.Uint64(v[i:]) | binary.LittleEndian.Uint64(v[i+8:]) | binary.LittleEndian.Uint64(v[n-16:])
	case r > 8:
		x |= binary.LittleEndian.Uint64(v[i:])
	}
	return x&hi == 0 || utf8.Valid(v[i:])
}

func errUTF8(v []byte) error {
	return fmt.Errorf("text value %q is not valid UTF-8 (is the server encoding SQL_ASCII?)", truncate(v))
}
