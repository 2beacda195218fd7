package binlog

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// MySQL's binary JSON (sql-common/json_binary.cc) value types.
const (
	jsonSmallObject = 0x00
	jsonLargeObject = 0x01
	jsonSmallArray  = 0x02
	jsonLargeArray  = 0x03
	jsonLiteral     = 0x04
	jsonInt16       = 0x05
	jsonUint16      = 0x06
	jsonInt32       = 0x07
	jsonUint32      = 0x08
	jsonInt64       = 0x09
	jsonUint64      = 0x0a
	jsonDouble      = 0x0b
	jsonString      = 0x0c
	jsonOpaque      = 0x0f
)

var errJSONShort = errors.New("binary JSON value truncated")

// appendJSONText renders a MySQL binary JSON document as text the way MySQL
// prints it: ", " and ": " separators, keys in stored order.
func appendJSONText(dst, doc []byte) ([]byte, error) {
	if len(doc) == 0 {
		return append(dst, "null"...), nil // an empty value is JSON null (MySQL writes it for partial updates)
	}
	return appendJSONValue(dst, doc[0], doc[1:], 0)
}

func appendJSONValue(dst []byte, typ byte, b []byte, depth int) ([]byte, error) {
	if depth > 100 {
		return dst, errors.New("binary JSON nested too deep")
	}
	switch typ {
	case jsonSmallObject, jsonLargeObject, jsonSmallArray, jsonLargeArray:
		return appendJSONContainer(dst, typ, b, depth)
	case jsonLiteral:
		if len(b) < 1 {
			return dst, errJSONShort
		}
		switch b[0] {
		case 0:
			return append(dst, "null"...), nil
		case 1:
			return append(dst, "true"...), nil
		case 2:
			return append(dst, "false"...), nil
		}
		return dst, fmt.Errorf("binary JSON literal %d", b[0])
	case jsonInt16, jsonUint16:
		if len(b) < 2 {
			return dst, errJSONShort
		}
		u := binary.LittleEndian.Uint16(b)
		if typ == jsonInt16 {
			return strconv.AppendInt(dst, int64(int16(u)), 10), nil
		}
		return strconv.AppendUint(dst, uint64(u), 10), nil
	case jsonInt32, jsonUint32:
		if len(b) < 4 {
			return dst, errJSONShort
		}
		u := binary.LittleEndian.Uint32(b)
		if typ == jsonInt32 {
			return strconv.AppendInt(dst, int64(int32(u)), 10), nil
		}
		return strconv.AppendUint(dst, uint64(u), 10), nil
	case jsonInt64, jsonUint64:
		if len(b) < 8 {
			return dst, errJSONShort
		}
		u := binary.LittleEndian.Uint64(b)
		if typ == jsonInt64 {
			return strconv.AppendInt(dst, int64(u), 10), nil
		}
		return strconv.AppendUint(dst, u, 10), nil
	case jsonDouble:
		if len(b) < 8 {
			return dst, errJSONShort
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
		integral := true
		for _, c := range dst[start:] {
			if c == '.' || c == 'e' || c == 'n' || c == 'N' {
				integral = false
			}
		}
		if integral {
			dst = append(dst, ".0"...) // MySQL keeps doubles distinct from integers
		}
		return dst, nil
	case jsonString:
		l, n, err := jsonVarLen(b)
		if err != nil {
			return dst, err
		}
		if len(b) < n+l {
			return dst, errJSONShort
		}
		return appendJSONString(dst, b[n:n+l]), nil
	case jsonOpaque:
		if len(b) < 1 {
			return dst, errJSONShort
		}
		ft := b[0]
		l, n, err := jsonVarLen(b[1:])
		if err != nil {
			return dst, err
		}
		if len(b) < 1+n+l {
			return dst, errJSONShort
		}
		return appendJSONOpaque(dst, ft, b[1+n:1+n+l])
	}
	return dst, fmt.Errorf("binary JSON type %#x", typ)
}

func appendJSONContainer(dst []byte, typ byte, b []byte, depth int) ([]byte, error) {
	large := typ == jsonLargeObject || typ == jsonLargeArray
	object := typ == jsonSmallObject || typ == jsonLargeObject
	w := 2
	if large {
		w = 4
	}
	read := func(off int) (int, error) {
		if off+w > len(b) || off < 0 {
			return 0, errJSONShort
		}
		if large {
			return int(binary.LittleEndian.Uint32(b[off:])), nil
		}
		return int(binary.LittleEndian.Uint16(b[off:])), nil
	}
	count, err := read(0)
	if err != nil {
		return dst, err
	}
	size, err := read(w)
	if err != nil {
		return dst, err
	}
	if size > len(b) {
		return dst, errJSONShort
	}
	b = b[:size]
	keyEntries := 2 * w
	valueEntries := keyEntries
	if object {
		valueEntries += count * (w + 2)
	}
	open, close := byte('['), byte(']')
	if object {
		open, close = '{', '}'
	}
	dst = append(dst, open)
	for i := range count {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		if object {
			e := keyEntries + i*(w+2)
			koff, err := read(e)
			if err != nil {
				return dst, err
			}
			if e+w+2 > len(b) {
				return dst, errJSONShort
			}
			klen := int(binary.LittleEndian.Uint16(b[e+w:]))
			if koff+klen > len(b) {
				return dst, errJSONShort
			}
			dst = appendJSONString(dst, b[koff:koff+klen])
			dst = append(dst, ": "...)
		}
		e := valueEntries + i*(1+w)
		if e+1+w > len(b) {
			return dst, errJSONShort
		}
		vt := b[e]
		inline := vt == jsonLiteral || vt == jsonInt16 || vt == jsonUint16 || (large && (vt == jsonInt32 || vt == jsonUint32))
		if inline {
			dst, err = appendJSONValue(dst, vt, b[e+1:e+1+w], depth+1)
		} else {
			off, rerr := read(e + 1)
			if rerr != nil {
				return dst, rerr
			}
			if off > len(b) {
				return dst, errJSONShort
			}
			dst, err = appendJSONValue(dst, vt, b[off:], depth+1)
		}
		if err != nil {
			return dst, err
		}
	}
	return append(dst, close), nil
}

// jsonVarLen reads a length of 7-bit groups, least significant first.
func jsonVarLen(b []byte) (int, int, error) {
	l := 0
	for i := 0; i < 5 && i < len(b); i++ {
		l |= int(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return l, i + 1, nil
		}
	}
	return 0, 0, errJSONShort
}

func appendJSONString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		switch {
		case r == '"':
			dst = append(dst, `\"`...)
		case r == '\\':
			dst = append(dst, `\\`...)
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case r == '\b':
			dst = append(dst, `\b`...)
		case r == '\f':
			dst = append(dst, `\f`...)
		case r < 0x20:
			dst = append(dst, fmt.Sprintf(`\u%04x`, r)...)
		default:
			dst = append(dst, s[:n]...)
		}
		s = s[n:]
	}
	return append(dst, '"')
}

// appendJSONOpaque renders the MySQL values JSON stores opaquely: decimals
// as numbers, temporal values as quoted strings, others as MySQL does
// ("base64:typeN:…").
func appendJSONOpaque(dst []byte, fieldType byte, b []byte) ([]byte, error) {
	switch fieldType {
	case 246: // NEWDECIMAL: precision, scale, binary decimal
		if len(b) < 2 {
			return dst, errJSONShort
		}
		c := Column{Kind: KindDecimalText, Precision: int32(b[0]), Scale: int32(b[1])}
		var s Stream
		var v Value
		if _, err := s.decodeDecimal(&c, b[2:], &v); err != nil {
			return dst, err
		}
		return append(dst, v.bytes...), nil
	case 10, 12, 7, 11: // DATE, DATETIME, TIMESTAMP, TIME as a packed int64
		if len(b) < 8 {
			return dst, errJSONShort
		}
		return appendPackedTemporal(dst, fieldType, int64(binary.LittleEndian.Uint64(b))), nil
	}
	dst = append(dst, `"base64:type`...)
	dst = strconv.AppendUint(dst, uint64(fieldType), 10)
	dst = append(dst, ':')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"'), nil
}

// appendPackedTemporal renders MySQL's packed temporal int64 (the
// TIME_to_longlong_*_packed formats) as MySQL's JSON prints it.
func appendPackedTemporal(dst []byte, fieldType byte, packed int64) []byte {
	neg := packed < 0
	if neg {
		packed = -packed
	}
	frac := packed % (1 << 24)
	ymdhms := packed >> 24
	dst = append(dst, '"')
	if fieldType == 11 { // TIME: hours:minutes:seconds
		if neg {
			dst = append(dst, '-')
		}
		hms := ymdhms
		dst = fmt.Appendf(dst, "%02d:%02d:%02d.%06d", (hms>>12)%(1<<10), (hms>>6)%(1<<6), hms%(1<<6), frac)
		return append(dst, '"')
	}
	ymd, hms := ymdhms>>17, ymdhms%(1<<17)
	ym := ymd >> 5
	dst = fmt.Appendf(dst, "%04d-%02d-%02d", ym/13, ym%13, ymd%(1<<5))
	if fieldType != 10 {
		dst = fmt.Appendf(dst, " %02d:%02d:%02d.%06d", hms>>12, (hms>>6)%(1<<6), hms%(1<<6), frac)
	}
	return append(dst, '"')
}
