package pgcodec

import (
	"encoding/binary"
	"fmt"
	"math"
)

// noRoom is put's answer when dst is too small for the field.
const noRoom = -1

func (c *encCol) isNull(row int) bool {
	if !c.hasNulls {
		return false
	}
	i := c.voff + row
	return c.valid[i>>3]&(1<<(i&7)) == 0
}

// varBytes returns the bytes of var-width value row.
func (c *encCol) varBytes(row int) []byte {
	return c.data[c.offs[row]:c.offs[row+1]]
}

// put writes field row (its int32 length and bytes) at the start of dst and
// returns the bytes written, or noRoom when dst is too small. It runs per
// value: no allocation, errors built only for a bad value.
func put(c *encCol, dst []byte, row int) (int, error) {
	if c.isNull(row) {
		if len(dst) < 4 {
			return noRoom, nil
		}
		binary.BigEndian.PutUint32(dst, math.MaxUint32) // -1
		return 4, nil
	}
	// Fixed-width kinds: w is the value's size, written after the length.
	var w int
	switch c.kind {
	case eBool:
		w = 1
	case eInt2:
		w = 2
	case eInt4, eInt4From2, eFloat4, eDate:
		w = 4
	case eInt8, eInt8From2, eInt8From4, eFloat8, eFloat8From4, eTime, eTimestamp:
		w = 8
	case eTimeTZ:
		w = 12
	case eInterval:
		w = 16
	case eFixed:
		w = c.width
	default:
		return putVar(c, dst, row)
	}
	if len(dst) < 4+w {
		return noRoom, nil
	}
	binary.BigEndian.PutUint32(dst, uint32(w))
	v := dst[4 : 4+w]
	switch c.kind {
	case eBool:
		i := c.boff + row
		v[0] = c.fixed[i>>3] >> (i & 7) & 1
	case eInt2:
		binary.BigEndian.PutUint16(v, binary.LittleEndian.Uint16(c.fixed[2*row:]))
	case eInt4, eFloat4:
		binary.BigEndian.PutUint32(v, binary.LittleEndian.Uint32(c.fixed[4*row:]))
	case eInt4From2:
		binary.BigEndian.PutUint32(v, uint32(int32(int16(binary.LittleEndian.Uint16(c.fixed[2*row:])))))
	case eInt8:
		binary.BigEndian.PutUint64(v, binary.LittleEndian.Uint64(c.fixed[8*row:]))
	case eInt8From2:
		binary.BigEndian.PutUint64(v, uint64(int64(int16(binary.LittleEndian.Uint16(c.fixed[2*row:])))))
	case eInt8From4:
		binary.BigEndian.PutUint64(v, uint64(int64(int32(binary.LittleEndian.Uint32(c.fixed[4*row:])))))
	case eFloat8:
		binary.BigEndian.PutUint64(v, binary.LittleEndian.Uint64(c.fixed[8*row:]))
	case eFloat8From4:
		// float32 → float64 is exact, NaN and ±Inf included.
		f := math.Float32frombits(binary.LittleEndian.Uint32(c.fixed[4*row:]))
		binary.BigEndian.PutUint64(v, math.Float64bits(float64(f)))
	case eDate:
		d, err := dateFromArrow(int32(binary.LittleEndian.Uint32(c.fixed[4*row:])))
		if err != nil {
			return 0, err
		}
		binary.BigEndian.PutUint32(v, uint32(d))
	case eTime:
		us := int64(binary.LittleEndian.Uint64(c.fixed[8*row:]))
		if err := checkTime(us); err != nil {
			return 0, err
		}
		binary.BigEndian.PutUint64(v, uint64(us))
	case eTimeTZ:
		us := int64(binary.LittleEndian.Uint64(c.kids[0].fixed[8*row:]))
		zone := -int32(binary.LittleEndian.Uint32(c.kids[1].fixed[4*row:])) // east → west
		if err := checkTime(us); err != nil {
			return 0, err
		}
		if err := checkZone(zone); err != nil {
			return 0, err
		}
		binary.BigEndian.PutUint64(v, uint64(us))
		binary.BigEndian.PutUint32(v[8:], uint32(zone))
	case eTimestamp:
		p, err := tsFromArrow(int64(binary.LittleEndian.Uint64(c.fixed[8*row:])))
		if err != nil {
			return 0, err
		}
		binary.BigEndian.PutUint64(v, uint64(p))
	case eInterval:
		s := c.fixed[16*row : 16*row+16]
		us, err := intervalFromArrow(int64(binary.LittleEndian.Uint64(s[8:])))
		if err != nil {
			return 0, err
		}
		binary.BigEndian.PutUint64(v, uint64(us))
		binary.BigEndian.PutUint32(v[8:], binary.LittleEndian.Uint32(s[4:])) // days
		binary.BigEndian.PutUint32(v[12:], binary.LittleEndian.Uint32(s))    // months
	case eFixed:
		copy(v, c.fixed[w*row:w*row+w])
	}
	return 4 + w, nil
}

// putVar is put for the var-width kinds.
func putVar(c *encCol, dst []byte, row int) (int, error) {
	var n int
	switch c.kind {
	case eBytes:
		s := c.varBytes(row)
		if len(dst) < 4+len(s) {
			return noRoom, nil
		}
		n = copy(dst[4:], s)
	case eJSONB:
		s := c.varBytes(row)
		if len(dst) < 5+len(s) {
			return noRoom, nil
		}
		dst[4] = 1 // jsonb binary format version
		n = 1 + copy(dst[5:], s)
	case eNumDec:
		if len(dst) < 4+numericDecimalMax {
			return noRoom, nil
		}
		s := c.fixed[16*row : 16*row+16]
		n = putNumericDecimal(dst[4:], binary.LittleEndian.Uint64(s), binary.LittleEndian.Uint64(s[8:]), c.scale)
	case eNumText:
		s := c.varBytes(row)
		if len(dst) < 4+numericTextMax(len(s)) {
			return noRoom, nil
		}
		var err error
		if n, err = putNumericText(dst[4:], s, c.maxScale); err != nil {
			return 0, err
		}
	case eInet, eCidr:
		if len(dst) < 4+inetWireMax {
			return noRoom, nil
		}
		var err error
		if n, err = putInet(dst[4:], c.varBytes(row), c.kind == eCidr); err != nil {
			return 0, err
		}
	case eArray:
		return putArray(c, dst, row)
	default:
		return 0, fmt.Errorf("internal error: no encoder for kind %d", c.kind)
	}
	binary.BigEndian.PutUint32(dst, uint32(n))
	return 4 + n, nil
}

// maxSize bounds what put writes for field row; used only to size the spill
// buffer when a field does not fit the caller's buffer.
func maxSize(c *encCol, row int) int {
	if c.isNull(row) {
		return 4
	}
	switch c.kind {
	case eBytes:
		return 4 + len(c.varBytes(row))
	case eJSONB:
		return 5 + len(c.varBytes(row))
	case eNumDec:
		return 4 + numericDecimalMax
	case eNumText:
		return 4 + numericTextMax(len(c.varBytes(row)))
	case eInet, eCidr:
		return 4 + inetWireMax
	case eArray:
		n := 4 + 20
		for j := int(c.offs[row]); j < int(c.offs[row+1]); j++ {
			n += maxSize(c.kid, j)
		}
		return n
	}
	return 4 + 16 // fixed-width kinds
}
