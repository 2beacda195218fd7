package pgcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// PostgreSQL's binary numeric is
//
//	int16 ndigits, int16 weight, uint16 sign, uint16 dscale, ndigits × int16 digit
//
// with base-10000 digits, the first of weight `weight` (value = Σ digit[i] ×
// 10000^(weight−i)), and dscale the number of decimal digits after the point
// that the text form shows.
const (
	numPos  = 0x0000
	numNeg  = 0x4000
	numNaN  = 0xC000
	numPInf = 0xD000
	numNInf = 0xF000

	numDscaleMax = 0x3FFF // NUMERIC_DSCALE_MASK
)

var errNumericShort = errors.New("binary numeric value is too short")

// numericHeader reads and checks the fixed part of a binary numeric.
func numericHeader(v []byte) (nd, weight int, sign uint16, dscale int, err error) {
	if len(v) < 8 {
		return 0, 0, 0, 0, errNumericShort
	}
	nd = int(binary.BigEndian.Uint16(v))
	weight = int(int16(binary.BigEndian.Uint16(v[2:])))
	sign = binary.BigEndian.Uint16(v[4:])
	dscale = int(binary.BigEndian.Uint16(v[6:]))
	if len(v) != 8+2*nd {
		return 0, 0, 0, 0, fmt.Errorf("binary numeric value has %d bytes for %d digits", len(v), nd)
	}
	switch sign {
	case numPos, numNeg, numNaN, numPInf, numNInf:
	default:
		return 0, 0, 0, 0, fmt.Errorf("binary numeric value has invalid sign 0x%04x", sign)
	}
	if dscale > numDscaleMax {
		return 0, 0, 0, 0, fmt.Errorf("binary numeric value has invalid scale %d", dscale)
	}
	return nd, weight, sign, dscale, nil
}

// numericTextLen bounds the length of the text form of a binary numeric whose
// header numericHeader accepted.
func numericTextLen(weight, dscale int) int {
	return max(len("-Infinity"), 2+4*max(weight+1, 1)+1+dscale)
}

// appendNumericText appends PostgreSQL's text form of a binary numeric, as
// numeric_out prints it (get_str_from_var): all integer digits, then exactly
// dscale digits after the point.
func appendNumericText(dst, v []byte) ([]byte, error) {
	nd, weight, sign, dscale, err := numericHeader(v)
	if err != nil {
		return dst, err
	}
	switch sign {
	case numNaN:
		return append(dst, "NaN"...), nil
	case numPInf:
		return append(dst, "Infinity"...), nil
	case numNInf:
		return append(dst, "-Infinity"...), nil
	case numNeg:
		dst = append(dst, '-')
	}
	digit := func(i int) (uint16, error) {
		if i < 0 || i >= nd {
			return 0, nil
		}
		d := binary.BigEndian.Uint16(v[8+2*i:])
		if d >= 10000 {
			return 0, errDigit(uint64(d))
		}
		return d, nil
	}
	i := 0
	if weight < 0 {
		dst = append(dst, '0')
		i = weight + 1
	} else {
		for ; i <= weight; i++ {
			d, err := digit(i)
			if err != nil {
				return dst, err
			}
			if i == 0 {
				dst = appendUint(dst, uint64(d))
			} else {
				dst = append4(dst, d)
			}
		}
	}
	if dscale > 0 {
		dst = append(dst, '.')
		for left := dscale; left > 0; left -= 4 {
			d, err := digit(i)
			if err != nil {
				return dst, err
			}
			i++
			if left >= 4 {
				dst = append4(dst, d)
			} else {
				var four [4]byte
				append4(four[:0], d)
				dst = append(dst, four[:left]...)
			}
		}
	}
	// Digits beyond dscale are not printed, but must still be valid.
	for ; i < nd; i++ {
		if _, err := digit(i); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// append4 appends d (< 10000) as four digits.
func append4(dst []byte, d uint16) []byte {
	return append(dst, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
}

// appendUint appends v in decimal.
func appendUint(dst []byte, v uint64) []byte {
	var b [20]byte
	i := len(b)
	for v >= 10 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	b[i] = byte('0' + v)
	return append(dst, b[i:]...)
}

// putNumericHeader writes the 8-byte numeric header.
func putNumericHeader(dst []byte, nd, weight int, sign uint16, dscale int) {
	binary.BigEndian.PutUint16(dst, uint16(nd))
	binary.BigEndian.PutUint16(dst[2:], uint16(int16(weight)))
	binary.BigEndian.PutUint16(dst[4:], sign)
	binary.BigEndian.PutUint16(dst[6:], uint16(dscale))
}

// numericTextMax bounds the binary numeric putNumericText writes for a text
// of n bytes: one base-10000 digit per 4 decimal digits, plus one for each
// side of the point.
func numericTextMax(n int) int { return 8 + 2*(n/4+2) }

// putNumericText parses PostgreSQL's text form of a numeric (plain decimal
// with optional sign and point, NaN, Infinity, -Infinity; case-insensitive
// like numeric_in) and writes the binary numeric into dst, which has room for
// numericTextMax(len(s)) bytes. When maxScale ≥ -1000 (a constrained target
// column), a value with non-zero digits below 10^-maxScale is refused: the
// server would round it.
func putNumericText(dst, s []byte, maxScale int) (int, error) {
	if n, ok := numericSpecial(s); ok {
		putNumericHeader(dst, 0, 0, n, 0)
		return 8, nil
	}
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracEnd = i
	}
	if i != len(s) || intEnd == intStart && fracEnd == fracStart {
		return 0, fmt.Errorf("invalid numeric text %q", truncate(s))
	}
	for intStart < intEnd && s[intStart] == '0' {
		intStart++
	}
	li, lf := intEnd-intStart, fracEnd-fracStart
	if lf > numDscaleMax {
		return 0, fmt.Errorf("numeric text %q has more than %d digits after the point", truncate(s), numDscaleMax)
	}
	if maxScale >= -1000 {
		if err := checkNumericScale(s[intStart:intEnd], s[fracStart:fracEnd], maxScale); err != nil {
			return 0, err
		}
	}
	// Digit k of the point-aligned stream: integer digits padded on the left
	// to a multiple of 4, then fraction digits padded on the right.
	nI := (li + 3) / 4
	padI := 4*nI - li
	digitAt := func(k int) uint16 {
		if k < 4*nI {
			if k < padI {
				return 0
			}
			return uint16(s[intStart+k-padI] - '0')
		}
		if k -= 4 * nI; k < lf {
			return uint16(s[fracStart+k] - '0')
		}
		return 0
	}
	ng := nI + (lf+3)/4
	weight := nI - 1
	out := 0
	first, last := -1, -1
	for gi := 0; gi < ng; gi++ {
		d := digitAt(4*gi)*1000 + digitAt(4*gi+1)*100 + digitAt(4*gi+2)*10 + digitAt(4*gi+3)
		if first < 0 {
			if d == 0 {
				continue // leading zero groups (only in a fraction) lower the weight
			}
			first = gi
		}
		binary.BigEndian.PutUint16(dst[8+2*out:], d)
		out++
		if d != 0 {
			last = out
		}
	}
	if first < 0 {
		putNumericHeader(dst, 0, 0, numPos, lf)
		return 8, nil
	}
	weight -= first
	if weight > 32767 {
		return 0, fmt.Errorf("numeric text %q is out of range", truncate(s))
	}
	sign := uint16(numPos)
	if neg {
		sign = numNeg
	}
	putNumericHeader(dst, last, weight, sign, lf)
	return 8 + 2*last, nil
}

// numericSpecial recognizes NaN and the infinities as numeric_in does.
func numericSpecial(s []byte) (uint16, bool) {
	switch {
	case eqFold(s, "nan"):
		return numNaN, true
	case eqFold(s, "infinity"), eqFold(s, "+infinity"), eqFold(s, "inf"), eqFold(s, "+inf"):
		return numPInf, true
	case eqFold(s, "-infinity"), eqFold(s, "-inf"):
		return numNInf, true
	}
	return 0, false
}

// eqFold reports whether s equals the lower-case ASCII word w, ignoring case.
func eqFold(s []byte, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := range len(s) {
		if s[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// checkNumericScale refuses a value whose lowest non-zero digit is below
// 10^-maxScale.
func checkNumericScale(intDigits, fracDigits []byte, maxScale int) error {
	f := len(fracDigits)
	for f > 0 && fracDigits[f-1] == '0' {
		f--
	}
	lowExp := -f // exponent of the lowest non-zero digit
	if f == 0 {
		z := 0
		for z < len(intDigits) && intDigits[len(intDigits)-1-z] == '0' {
			z++
		}
		if z == len(intDigits) {
			return nil // zero
		}
		lowExp = z
	}
	if lowExp < -maxScale {
		return fmt.Errorf("numeric value %s has digits below scale %d of the target column; loading would round it", truncate(append(append(append([]byte(nil), intDigits...), '.'), fracDigits...)), maxScale)
	}
	return nil
}

// truncate shortens a value quoted in an error message.
func truncate(s []byte) string {
	if len(s) > 64 {
		return string(s[:61]) + "..."
	}
	return string(s)
}
