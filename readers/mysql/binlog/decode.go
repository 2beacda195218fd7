package binlog

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/go-mysql-org/go-mysql/mysql"
)

// errShort reports a row image that ends inside a value.
type errShort struct{ need, have int }

func (e errShort) Error() string {
	return fmt.Sprintf("row image truncated: value needs %d bytes, %d left", e.need, e.have)
}

// decodeImage decodes one row image (a null bitmap, then the non-null
// values) of t from data, for the columns set in present. It returns the
// values and the bytes consumed.
func (s *Stream) decodeImage(t *Table, data []byte, present []byte) ([]Value, int, error) {
	n := len(t.Columns)
	for i := range n {
		if present[i>>3]&(1<<(i&7)) == 0 {
			return nil, 0, fmt.Errorf("column %s is not in the row image: set binlog_row_image=FULL on the source", quoteIdent(t.Columns[i].Name))
		}
	}
	nullBytes := (n + 7) / 8
	if len(data) < nullBytes {
		return nil, 0, errShort{nullBytes, len(data)}
	}
	nulls := data[:nullBytes]
	pos := nullBytes
	row := s.buf.row(n)
	for i := range t.Columns {
		if nulls[i>>3]&(1<<(i&7)) != 0 {
			row[i].null = true
			continue
		}
		c := &t.Columns[i]
		used, err := s.decodeValue(c, data[pos:], &row[i])
		if err != nil {
			return nil, 0, fmt.Errorf("column %s (%s): %w", quoteIdent(c.Name), c.Kind, err)
		}
		pos += used
	}
	return row, pos, nil
}

// decodeValue decodes one non-null value of column c from the start of data
// into v and returns its length in the row image. Formats: MySQL's
// sql/log_event.cc (log_event_print_value) and the Field::pack of each type.
func (s *Stream) decodeValue(c *Column, data []byte, v *Value) (int, error) {
	need := func(n int) error {
		if len(data) < n {
			return errShort{n, len(data)}
		}
		return nil
	}
	switch c.wireType {
	case mysql.MYSQL_TYPE_TINY:
		if err := need(1); err != nil {
			return 0, err
		}
		if c.Kind == KindUint8 {
			v.num = uint64(data[0])
		} else {
			v.num = uint64(int64(int8(data[0])))
		}
		return 1, nil
	case mysql.MYSQL_TYPE_SHORT:
		if err := need(2); err != nil {
			return 0, err
		}
		u := binary.LittleEndian.Uint16(data)
		if c.Kind == KindUint16 {
			v.num = uint64(u)
		} else {
			v.num = uint64(int64(int16(u)))
		}
		return 2, nil
	case mysql.MYSQL_TYPE_INT24:
		if err := need(3); err != nil {
			return 0, err
		}
		u := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
		if c.Kind == KindUint32 {
			v.num = uint64(u)
		} else {
			v.num = uint64(int64(int32(u<<8) >> 8))
		}
		return 3, nil
	case mysql.MYSQL_TYPE_LONG:
		if err := need(4); err != nil {
			return 0, err
		}
		u := binary.LittleEndian.Uint32(data)
		if c.Kind == KindUint32 {
			v.num = uint64(u)
		} else {
			v.num = uint64(int64(int32(u)))
		}
		return 4, nil
	case mysql.MYSQL_TYPE_LONGLONG:
		if err := need(8); err != nil {
			return 0, err
		}
		v.num = binary.LittleEndian.Uint64(data)
		return 8, nil
	case mysql.MYSQL_TYPE_FLOAT:
		if err := need(4); err != nil {
			return 0, err
		}
		v.num = uint64(binary.LittleEndian.Uint32(data))
		return 4, nil
	case mysql.MYSQL_TYPE_DOUBLE:
		if err := need(8); err != nil {
			return 0, err
		}
		v.num = binary.LittleEndian.Uint64(data)
		return 8, nil
	case mysql.MYSQL_TYPE_YEAR:
		if err := need(1); err != nil {
			return 0, err
		}
		if data[0] != 0 {
			v.num = uint64(1900 + int64(data[0]))
		}
		return 1, nil
	case mysql.MYSQL_TYPE_NEWDECIMAL:
		return s.decodeDecimal(c, data, v)
	case mysql.MYSQL_TYPE_BIT:
		n := (c.Length + 7) / 8
		if err := need(n); err != nil {
			return 0, err
		}
		var u uint64
		for _, b := range data[:n] {
			u = u<<8 | uint64(b)
		}
		v.num = u
		return n, nil
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
		if err := need(3); err != nil {
			return 0, err
		}
		u := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
		if u == 0 {
			v.num = minDate
			return 3, nil
		}
		y, m, d := int(u>>9), int(u>>5)&15, int(u&31)
		if m == 0 || d == 0 {
			return 0, fmt.Errorf("date %04d-%02d-%02d has a zero month or day", y, m, d)
		}
		v.num = uint64(daysFromCivil(y, m, d))
		return 3, nil
	case mysql.MYSQL_TYPE_DATETIME2:
		n := 5 + (c.FSP+1)/2
		if err := need(n); err != nil {
			return 0, err
		}
		packed := int64(uint64(data[0])<<32|uint64(binary.BigEndian.Uint32(data[1:]))) - 0x8000000000
		frac := fracMicros(data[5:n], c.FSP)
		ymd, hms := packed>>17, packed&(1<<17-1)
		ym, day := ymd>>5, int(ymd&31)
		year, month := int(ym/13), int(ym%13)
		if packed == 0 && frac == 0 {
			v.num = minTimestamp
			return n, nil
		}
		if month == 0 || day == 0 {
			return 0, fmt.Errorf("datetime %04d-%02d-%02d has a zero month or day", year, month, day)
		}
		secs := daysFromCivil(year, month, day)*86400 + (hms>>12)*3600 + ((hms>>6)&63)*60 + hms&63
		v.num = uint64(secs*1_000_000 + frac)
		return n, nil
	case mysql.MYSQL_TYPE_DATETIME:
		// Before MySQL 5.6: YYYYMMDDhhmmss as an integer.
		if err := need(8); err != nil {
			return 0, err
		}
		u := binary.LittleEndian.Uint64(data)
		if u == 0 {
			v.num = minTimestamp
			return 8, nil
		}
		d, t := u/1000000, u%1000000
		year, month, day := int(d/10000), int(d/100%100), int(d%100)
		if month == 0 || day == 0 {
			return 0, fmt.Errorf("datetime %04d-%02d-%02d has a zero month or day", year, month, day)
		}
		secs := daysFromCivil(year, month, day)*86400 + int64(t/10000)*3600 + int64(t/100%100)*60 + int64(t%100)
		v.num = uint64(secs * 1_000_000)
		return 8, nil
	case mysql.MYSQL_TYPE_TIMESTAMP2:
		n := 4 + (c.FSP+1)/2
		if err := need(n); err != nil {
			return 0, err
		}
		secs := int64(binary.BigEndian.Uint32(data))
		frac := fracMicros(data[4:n], c.FSP)
		if secs == 0 && frac == 0 {
			v.num = minTimestamp // 0000-00-00 00:00:00
			return n, nil
		}
		v.num = uint64(secs*1_000_000 + frac)
		return n, nil
	case mysql.MYSQL_TYPE_TIMESTAMP:
		if err := need(4); err != nil {
			return 0, err
		}
		secs := int64(binary.LittleEndian.Uint32(data))
		if secs == 0 {
			v.num = minTimestamp
		} else {
			v.num = uint64(secs * 1_000_000)
		}
		return 4, nil
	case mysql.MYSQL_TYPE_TIME2:
		return decodeTime2(c.FSP, data, v)
	case mysql.MYSQL_TYPE_TIME:
		if err := need(3); err != nil {
			return 0, err
		}
		i := int64(int32(uint32(data[0])|uint32(data[1])<<8|uint32(data[2])<<16) << 8 >> 8)
		neg := i < 0
		if neg {
			i = -i
		}
		us := (i/10000*3600 + i/100%100*60 + i%100) * 1_000_000
		if neg {
			us = -us
		}
		v.num = uint64(us)
		return 3, nil
	case mysql.MYSQL_TYPE_ENUM:
		if err := need(c.Length); err != nil {
			return 0, err
		}
		var idx int
		switch c.Length {
		case 1:
			idx = int(data[0])
		case 2:
			idx = int(binary.LittleEndian.Uint16(data))
		default:
			return 0, fmt.Errorf("enum of %d bytes", c.Length)
		}
		switch {
		case idx == 0:
			v.bytes = []byte{} // the invalid-value index: ''
		case idx <= len(c.Values):
			v.bytes = s.buf.copyBytes([]byte(c.Values[idx-1]))
		default:
			return 0, fmt.Errorf("enum index %d, the column has %d labels", idx, len(c.Values))
		}
		return c.Length, nil
	case mysql.MYSQL_TYPE_SET:
		if err := need(c.Length); err != nil {
			return 0, err
		}
		var members uint64
		for i := c.Length - 1; i >= 0; i-- {
			members = members<<8 | uint64(data[i])
		}
		out := s.buf.space(64)
		for members != 0 {
			i := bits.TrailingZeros64(members)
			members &^= 1 << i
			if i >= len(c.Values) {
				return 0, fmt.Errorf("set member %d, the column has %d", i+1, len(c.Values))
			}
			if len(out) > 0 {
				out = append(out, ',')
			}
			out = append(out, c.Values[i]...)
		}
		v.bytes = s.buf.keep(out)
		return c.Length, nil
	case mysql.MYSQL_TYPE_STRING:
		// char/binary: a length (two bytes when the column can exceed 255
		// bytes), then the bytes with trailing pad characters stripped.
		var l, h int
		if c.Length > 255 {
			if err := need(2); err != nil {
				return 0, err
			}
			l, h = int(binary.LittleEndian.Uint16(data)), 2
		} else {
			if err := need(1); err != nil {
				return 0, err
			}
			l, h = int(data[0]), 1
		}
		if err := need(h + l); err != nil {
			return 0, err
		}
		raw := data[h : h+l]
		switch c.Kind {
		case KindBinary, KindUUID, KindInet:
			// binary(n) keeps its 0x00 padding, which the binlog drops.
			out := append(s.buf.space(max(c.Length, l)), raw...)
			for len(out) < c.Length {
				out = append(out, 0)
			}
			if c.Kind == KindInet {
				return h + l, s.inetText(out, v)
			}
			v.bytes = s.buf.keep(out)
		default:
			for len(raw) > 0 && raw[len(raw)-1] == ' ' {
				raw = raw[:len(raw)-1] // char: as MySQL returns it
			}
			return h + l, s.text(c, raw, v)
		}
		return h + l, nil
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING:
		var l, h int
		if c.meta < 256 {
			if err := need(1); err != nil {
				return 0, err
			}
			l, h = int(data[0]), 1
		} else {
			if err := need(2); err != nil {
				return 0, err
			}
			l, h = int(binary.LittleEndian.Uint16(data)), 2
		}
		if err := need(h + l); err != nil {
			return 0, err
		}
		return h + l, s.bytesOf(c, data[h:h+l], v)
	case mysql.MYSQL_TYPE_BLOB, mysql.MYSQL_TYPE_JSON:
		h := int(c.meta)
		if h < 1 || h > 4 {
			return 0, fmt.Errorf("blob length of %d bytes", h)
		}
		if err := need(h); err != nil {
			return 0, err
		}
		var l int
		for i := h - 1; i >= 0; i-- {
			l = l<<8 | int(data[i])
		}
		if err := need(h + l); err != nil {
			return 0, err
		}
		raw := data[h : h+l]
		if c.wireType == mysql.MYSQL_TYPE_JSON {
			out, err := appendJSONText(s.buf.space(2*l+2), raw)
			if err != nil {
				return 0, fmt.Errorf("json: %w", err)
			}
			v.bytes = s.buf.keep(out)
			return h + l, nil
		}
		return h + l, s.bytesOf(c, raw, v)
	}
	return 0, fmt.Errorf("binlog type %d is not supported", c.wireType)
}

// bytesOf stores a string value: converted to UTF-8 for text, as is for
// binary.
func (s *Stream) bytesOf(c *Column, raw []byte, v *Value) error {
	if c.Kind == KindBinary {
		v.bytes = s.buf.copyBytes(raw)
		return nil
	}
	return s.text(c, raw, v)
}

// text stores raw, in the column's charset, as UTF-8.
func (s *Stream) text(c *Column, raw []byte, v *Value) error {
	if c.text == nil {
		v.bytes = s.buf.copyBytes(raw)
		return nil
	}
	out, err := c.text.appendUTF8(s.buf.space(2*len(raw)), raw)
	if err != nil {
		return fmt.Errorf("convert from %s to UTF-8: %w", c.Charset, err)
	}
	v.bytes = s.buf.keep(out)
	return nil
}

// fracMicros reads the big-endian fractional seconds of a temporal value
// with fsp digits (stored in (fsp+1)/2 bytes) as microseconds.
func fracMicros(b []byte, fsp int) int64 {
	switch (fsp + 1) / 2 {
	case 1:
		return int64(b[0]) * 10000
	case 2:
		return int64(binary.BigEndian.Uint16(b)) * 100
	case 3:
		return int64(b[0])<<16 | int64(b[1])<<8 | int64(b[2])
	}
	return 0
}

// decodeTime2 decodes MySQL 5.6's TIME: a 24-bit offset integer part
// (sign, hours, minutes, seconds) and signed fractional bytes, as
// my_time_packed_from_binary does.
func decodeTime2(fsp int, data []byte, v *Value) (int, error) {
	n := 3 + (fsp+1)/2
	if len(data) < n {
		return 0, errShort{n, len(data)}
	}
	be := func(b []byte) int64 {
		var u int64
		for _, x := range b {
			u = u<<8 | int64(x)
		}
		return u
	}
	var packed int64
	switch (fsp + 1) / 2 {
	case 0:
		packed = (be(data[:3]) - 0x800000) << 24
	case 1:
		intpart, frac := be(data[:3])-0x800000, be(data[3:4])
		if intpart < 0 && frac != 0 {
			intpart++
			frac -= 0x100
		}
		packed = intpart<<24 + frac*10000
	case 2:
		intpart, frac := be(data[:3])-0x800000, be(data[3:5])
		if intpart < 0 && frac != 0 {
			intpart++
			frac -= 0x10000
		}
		packed = intpart<<24 + frac*100
	case 3:
		packed = be(data[:6]) - 0x800000000000
	}
	neg := packed < 0
	if neg {
		packed = -packed
	}
	hms, frac := packed>>24, packed&(1<<24-1)
	us := ((hms>>12)&1023*3600+(hms>>6)&63*60+hms&63)*1_000_000 + frac
	if neg {
		us = -us
	}
	v.num = uint64(us)
	return n, nil
}

// decimalDigitBytes is the size of a group of fewer than nine digits.
var decimalDigitBytes = [10]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}

var pow10 = [10]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// decodeDecimal decodes MySQL's binary decimal (groups of nine digits in
// four big-endian bytes, the sign in the top bit, negatives inverted) into
// a decimal128 or, above 38 digits, its text.
func (s *Stream) decodeDecimal(c *Column, data []byte, v *Value) (int, error) {
	prec, scale := int(c.Precision), int(c.Scale)
	intg := prec - scale
	intg0, intg0x, frac0, frac0x := intg/9, intg%9, scale/9, scale%9
	size := intg0*4 + decimalDigitBytes[intg0x] + frac0*4 + decimalDigitBytes[frac0x]
	if len(data) < size {
		return 0, errShort{size, len(data)}
	}
	var b [40]byte
	copy(b[:], data[:size])
	neg := b[0]&0x80 == 0
	b[0] ^= 0x80
	if neg {
		for i := range size {
			b[i] = ^b[i]
		}
	}
	p := 0
	group := func(nbytes int) uint64 {
		var u uint64
		for _, x := range b[p : p+nbytes] {
			u = u<<8 | uint64(x)
		}
		p += nbytes
		return u
	}
	// Groups as (value, digits), most significant first.
	var groups [16]struct {
		val    uint64
		digits int
	}
	ng := 0
	add := func(val uint64, digits int) {
		groups[ng].val, groups[ng].digits = val, digits
		ng++
	}
	if intg0x > 0 {
		add(group(decimalDigitBytes[intg0x]), intg0x)
	}
	for range intg0 {
		add(group(4), 9)
	}
	intGroups := ng
	for range frac0 {
		add(group(4), 9)
	}
	if frac0x > 0 {
		add(group(decimalDigitBytes[frac0x]), frac0x)
	}
	for _, g := range groups[:ng] {
		if g.val >= pow10[g.digits] {
			return 0, fmt.Errorf("decimal(%d,%d): corrupt digit group %d", prec, scale, g.val)
		}
	}

	if c.Kind == KindDecimal {
		var n decimal128.Num
		if prec <= 18 {
			var u uint64
			for _, g := range groups[:ng] {
				u = u*pow10[g.digits] + g.val
			}
			n = decimal128.FromU64(u)
		} else {
			for _, g := range groups[:ng] {
				n = n.Mul(decimal128.FromU64(pow10[g.digits])).Add(decimal128.FromU64(g.val))
			}
		}
		if neg {
			n = n.Negate()
		}
		v.num, v.hi = n.LowBits(), uint64(n.HighBits())
		return size, nil
	}

	// Text: MySQL's form, e.g. -12.3400 (no leading zeros, all scale digits).
	out := s.buf.space(prec + 3)
	if neg {
		out = append(out, '-')
	}
	started := false
	for _, g := range groups[:intGroups] {
		switch {
		case started:
			out = appendPadded(out, g.val, g.digits)
		case g.val != 0:
			out = strconv.AppendUint(out, g.val, 10)
			started = true
		}
	}
	if !started {
		out = append(out, '0')
	}
	if scale > 0 {
		out = append(out, '.')
		for _, g := range groups[intGroups:ng] {
			out = appendPadded(out, g.val, g.digits)
		}
	}
	v.bytes = s.buf.keep(out)
	return size, nil
}

func appendPadded(out []byte, val uint64, digits int) []byte {
	var tmp [20]byte
	t := strconv.AppendUint(tmp[:0], val, 10)
	for range digits - len(t) {
		out = append(out, '0')
	}
	return append(out, t...)
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm), for any year MySQL stores.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// The zero-date sentinels of docs/TYPES-MYSQL.md, as Value bits: the minimum
// of date32 and of int64 microseconds.
var (
	minDate      = int64Bits(math.MinInt32)
	minTimestamp = int64Bits(math.MinInt64)
)

func int64Bits(i int64) uint64 { return uint64(i) }
