package pgcodec

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The row loop: everything here runs once per row, and its inner loop once
// per value.

// rowEnd finds the end of the row (or trailer) at the start of b without
// decoding it: it returns the row's length, or 0 and the number of bytes b
// must have, or the error of an invalid field count or length.
func (d *Decoder) rowEnd(b []byte) (int, int, error) {
	if len(b) < 2 {
		return 0, 2, nil
	}
	nf := int(int16(binary.BigEndian.Uint16(b)))
	if nf == -1 {
		return 2, 0, nil
	}
	if nf != len(d.cols) {
		return 0, 0, d.errFields(nf)
	}
	off := 2
	for range nf {
		if len(b) < off+4 {
			return 0, off + 4, nil
		}
		l := int(int32(binary.BigEndian.Uint32(b[off:])))
		off += 4
		if l > 0 {
			off += l
		} else if l < -1 {
			return 0, 0, d.errFieldLen(l)
		}
		if len(b) < off {
			return 0, off, nil
		}
	}
	return off, 0, nil
}

func (d *Decoder) errFields(nf int) error {
	return fmt.Errorf("row %d has %d fields, want %d", d.rows+1, nf, len(d.cols))
}

func (d *Decoder) errFieldLen(l int) error {
	return fmt.Errorf("row %d has invalid field length %d", d.rows+1, l)
}

// row parses one row, or the trailer. It decodes the fields as it finds
// them, in one pass over the row (pgconn hands over whole rows), and undoes
// them when the row turns out to be cut short. The outcome is that of
// finding the row's end first: an incomplete row or a bad field length is
// reported before a bad value.
func (d *Decoder) row(b []byte) (int, int, error) {
	if len(b) < 2 {
		return 0, 2, nil
	}
	nf := int(int16(binary.BigEndian.Uint16(b)))
	if nf == -1 {
		d.state = stDone
		return 2, 0, nil
	}
	if nf != len(d.cols) {
		return 0, 0, d.errFields(nf)
	}
	if d.room == 0 {
		d.reserve()
	}
	off := 2
	for i, c := range d.cols {
		if len(b)-off < 4 {
			d.undo(i)
			return 0, off + 4, nil
		}
		l := int(int32(binary.BigEndian.Uint32(b[off:])))
		off += 4
		if l < 0 {
			if l != -1 {
				return 0, 0, d.errFieldLen(l)
			}
			c.putNull()
			continue
		}
		if len(b)-off < l {
			d.undo(i)
			return 0, off + l, nil
		}
		v := b[off : off+l : off+l]
		off += l
		// The common kinds, inline; anything else, and any value these do
		// not take (bad length, infinities, out of range, text to check),
		// goes to decodeValue.
		switch c.kind {
		case kInt8, kFloat8:
			if l == 8 {
				c.add8(binary.BigEndian.Uint64(v))
				continue
			}
		case kInt4, kFloat4:
			if l == 4 {
				c.add4(binary.BigEndian.Uint32(v))
				continue
			}
		case kTimestamp:
			if l == 8 {
				if p := int64(binary.BigEndian.Uint64(v)); p >= tsMinPG && p < tsBandStart {
					c.add8(uint64(p + epochMicros))
					continue
				}
			}
		case kDate:
			if l == 4 {
				if x := int32(binary.BigEndian.Uint32(v)); x >= dateMinPG && x < dateEndPG {
					c.add4(uint32(x + epochDays))
					continue
				}
			}
		case kBool:
			if l == 1 {
				c.addBool(v[0] != 0)
				continue
			}
		case kUUID:
			if l == 16 {
				c.add16(binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[8:]))
				continue
			}
		case kNumDec:
			if x, ok := numericToInt64(v, c.prec, c.scale); ok {
				c.add16(x.lo, x.hi)
				continue
			}
		case kText, kBytea, kJSONB:
			s := v
			if c.kind == kJSONB {
				if l == 0 || v[0] != 1 {
					break
				}
				s = v[1:]
			}
			if c.utf8 && c.kind != kBytea && !validUTF8(s) {
				break
			}
			if len(c.vals.b)-c.vals.n < len(s) {
				c.vals.growSlow(c.vals.n + len(s))
			}
			if err := c.addVar(s); err != nil {
				return d.badValue(b, i, err)
			}
			continue
		}
		if err := decodeValue(c, v); err != nil {
			return d.badValue(b, i, err)
		}
	}
	d.room--
	d.rows++
	d.prog.rows++
	d.prog.bytes += off
	if d.prog.rows >= d.MaxRows || d.prog.bytes >= d.prog.maxBytes {
		if err := d.flush(); err != nil {
			return 0, 0, err
		}
	}
	return off, 0, nil
}

// reserve makes room for at least one more row in the fixed-size parts of
// the columns, and counts how many fit.
func (d *Decoder) reserve() {
	d.room = math.MaxInt
	for _, c := range d.cols {
		d.room = min(d.room, c.reserve())
	}
}

// badValue handles err, the failure of column i's value: if the row is
// incomplete, or has a bad field length, that comes first.
func (d *Decoder) badValue(b []byte, i int, err error) (int, int, error) {
	_, need, err2 := d.rowEnd(b)
	if err2 != nil {
		return 0, 0, err2
	}
	if need > 0 {
		d.undo(i + 1)
		return 0, need, nil
	}
	return 0, 0, d.valueError(i, err)
}

// undo removes the values of the row being decoded from columns [0, i).
func (d *Decoder) undo(i int) {
	for _, c := range d.cols[:i] {
		c.truncate(d.prog.rows)
	}
}
