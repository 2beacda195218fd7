package pgcodec

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Binary numeric ⇄ decimal128, whose unscaled values most often fit in 64
// bits: each way has a 64-bit fast path, and the 128-bit general one.

func errSpecialDecimal(sign uint16, prec, scale int32) error {
	s := "NaN"
	switch sign {
	case numPInf:
		s = "Infinity"
	case numNInf:
		s = "-Infinity"
	}
	return fmt.Errorf("numeric %s cannot be held in decimal128(%d,%d): carry numerics as text (--numeric=text)", s, prec, scale)
}

// numericToDecimal converts a binary numeric to the two's complement 128-bit
// unscaled value of decimal128(prec, scale), exactly or not at all.
func numericToDecimal(v []byte, prec, scale int32) (u128, error) {
	if x, ok := numericToInt64(v, prec, scale); ok {
		return x, nil
	}
	return numericToDecimal128(v, prec, scale)
}

// numericToInt64 is numericToDecimal for precisions up to 18, whose values
// fit in 64 bits: the same steps in uint64 arithmetic. It gives up (ok
// false) on anything unusual, errors included, for numericToDecimal128 to
// handle or report.
func numericToInt64(v []byte, prec, scale int32) (x u128, ok bool) {
	if prec > 18 || len(v) < 8 {
		return u128{}, false
	}
	nd := int(binary.BigEndian.Uint16(v))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	if len(v) != 8+2*nd || sign&^numNeg != 0 || binary.BigEndian.Uint16(v[6:]) > numDscaleMax {
		return u128{}, false
	}
	digits := v[8:]
	var acc uint64
	lastE := 0
	i := 0
	for ; i < nd; i++ {
		e := 4*(weight-i) + int(scale)
		if e < 0 {
			break
		}
		d := uint64(binary.BigEndian.Uint16(digits[2*i:]))
		// Below 1e14, acc*10000 + d stays below 1e18; from there on the
		// value is out of range anyway.
		if d >= 10000 || acc >= 1e14 {
			return u128{}, false
		}
		acc = acc*10000 + d
		lastE = e
	}
	if lastE > 0 && acc != 0 {
		if lastE > 18 || acc >= pow10u64[18-lastE] {
			return u128{}, false
		}
		acc *= pow10u64[lastE]
	}
	for ; i < nd; i++ {
		d := uint64(binary.BigEndian.Uint16(digits[2*i:]))
		if d == 0 {
			continue
		}
		if d >= 10000 {
			return u128{}, false
		}
		// Constant divisors: a division by a variable costs tens of cycles.
		var q uint64
		switch 4*(weight-i) + int(scale) {
		case -1:
			q = d / 10
			d -= q * 10
		case -2:
			q = d / 100
			d -= q * 100
		case -3:
			q = d / 1000
			d -= q * 1000
		}
		if d != 0 {
			return u128{}, false
		}
		acc += q
	}
	if acc >= pow10u64[prec] {
		return u128{}, false
	}
	if sign == numNeg && acc != 0 {
		return u128{^uint64(0), -acc}, true
	}
	return u128{0, acc}, true
}

// numericToDecimal128 is numericToDecimal in 128-bit arithmetic.
func numericToDecimal128(v []byte, prec, scale int32) (u128, error) {
	nd, weight, sign, _, err := numericHeader(v)
	if err != nil {
		return u128{}, err
	}
	if sign != numPos && sign != numNeg {
		return u128{}, errSpecialDecimal(sign, prec, scale)
	}
	// unscaled = Σ digit[i] × 10^e(i), e(i) = 4(weight−i) + scale. Digits with
	// e ≥ 0 accumulate by Horner's rule; the one with −4 < e < 0 must divide
	// exactly, and any later digit must be zero.
	var acc u128
	ok := true
	lastE := 0
	i := 0
	for ; i < nd && ok; i++ {
		e := 4*(weight-i) + int(scale)
		if e < 0 {
			break
		}
		d := uint64(binary.BigEndian.Uint16(v[8+2*i:]))
		if d >= 10000 {
			return u128{}, errDigit(d)
		}
		acc, ok = acc.mulAdd(10000, d)
		lastE = e
	}
	if ok && lastE > 0 {
		acc, ok = acc.mulPow10(lastE)
	}
	for ; i < nd && ok; i++ {
		d := uint64(binary.BigEndian.Uint16(v[8+2*i:]))
		if d >= 10000 {
			return u128{}, errDigit(d)
		}
		if d == 0 {
			continue
		}
		e := 4*(weight-i) + int(scale)
		if e <= -4 || d%pow10u64[-e] != 0 {
			return u128{}, fmt.Errorf("numeric value has more than %d digits after the decimal point", scale)
		}
		acc, ok = acc.mulAdd(1, d/pow10u64[-e])
	}
	if !ok || !acc.less(pow10u128[prec]) {
		return u128{}, fmt.Errorf("numeric value does not fit decimal128(%d,%d)", prec, scale)
	}
	if sign == numNeg {
		acc = acc.neg()
	}
	return acc, nil
}

func errDigit(d uint64) error {
	return fmt.Errorf("binary numeric value has invalid digit %d", d)
}

// numericDecimalMax is the most bytes putNumericDecimal writes: a 38-digit
// value spread over 11 base-10000 digits.
const numericDecimalMax = 8 + 2*12

// putNumericDecimal writes the binary numeric for the decimal128 value
// (lo, hi) at scale, which NewEncoder checked is within ±1000, into dst
// (numericDecimalMax bytes) and returns its length.
func putNumericDecimal(dst []byte, lo, hi uint64, scale int32) int {
	if hi == uint64(int64(lo)>>63) {
		return putNumericInt64(dst, int64(lo), scale)
	}
	return putNumericDecimal128(dst, lo, hi, scale)
}

// putNumericDecimal128 is putNumericDecimal in 128-bit arithmetic.
func putNumericDecimal128(dst []byte, lo, hi uint64, scale int32) int {
	m := u128{hi, lo}
	neg := int64(hi) < 0
	if neg {
		m = m.neg()
	}
	// Decimal digit j of m (0 = least significant) has exponent j − scale, so
	// it falls in base-10000 digit floor((j−scale)/4). The lowest group takes
	// the 4−t lowest decimal digits, shifted up by t = (−scale) mod 4.
	t := int(((-scale)%4 + 4) % 4)
	g0 := floorDiv4(-int(scale))
	var g [12]uint16 // least significant first
	ng := 0
	if !m.isZero() {
		q, r := m.divmodPow10(4 - t)
		g[0] = uint16(r * pow10u64[t])
		ng = 1
		for m = q; !m.isZero(); ng++ {
			m, r = m.divmod10000()
			g[ng] = uint16(r)
		}
	}
	low := 0
	for low < ng && g[low] == 0 {
		low++
	}
	nd := ng - low
	weight := g0 + ng - 1
	sign := uint16(numPos)
	if neg {
		sign = numNeg
	}
	if nd == 0 {
		weight, sign = 0, numPos
	}
	putNumericHeader(dst, nd, weight, sign, max(int(scale), 0))
	for i := 0; i < nd; i++ {
		binary.BigEndian.PutUint16(dst[8+2*i:], g[ng-1-i])
	}
	return 8 + 2*nd
}

// putNumericInt64 is putNumericDecimal for a value that fits in int64, as
// most do: the same groups in 64-bit arithmetic with constant divisors, and
// few branches. The six groups, most significant first, are packed 16 bits
// each into a (4 groups) and the top of b (2 groups), so that the zero
// groups on either side count with one bit scan, and the digits go out as
// two stores: those may write zeros past the value, within the
// numericDecimalMax bytes that dst has.
func putNumericInt64(dst []byte, v int64, scale int32) int {
	dst = dst[:numericDecimalMax]
	dscale := max(int(scale), 0)
	if v == 0 {
		putNumericHeader(dst, 0, 0, numPos, dscale)
		return 8
	}
	m, sign := uint64(v), uint64(numPos)
	if v < 0 {
		m, sign = -m, numNeg
	}
	// See putNumericDecimal: the lowest group takes the 4−t lowest decimal
	// digits, shifted up by t.
	var g0 uint64
	switch ((-scale)%4 + 4) % 4 {
	case 0:
		g0, m = m%10000, m/10000
	case 1:
		g0, m = m%1000*10, m/1000
	case 2:
		g0, m = m%100*100, m/100
	case 3:
		g0, m = m%10*1000, m/10
	}
	// The rest, below 2^64/10, makes at most 5 more groups; below 10^8, as
	// most are, 32-bit arithmetic does (cheaper multiplies).
	var a, b uint64
	if m < 1e8 {
		lo := uint32(m)
		a, b = uint64(lo/10000), uint64(lo%10000)<<48|g0<<32
	} else {
		lo, hi := m%1e8, m/1e8
		mid, top := uint32(hi%1e8), hi/1e8
		a = top<<48 | uint64(mid/10000)<<32 | uint64(mid%10000)<<16 | uint64(uint32(lo)/10000)
		b = uint64(uint32(lo)%10000)<<48 | g0<<32
	}
	// Zero groups before the first and after the last non-zero one.
	var lead, trail int
	if a != 0 {
		lead = bits.LeadingZeros64(a) / 16
	} else {
		lead = 4 + bits.LeadingZeros64(b)/16
	}
	if b != 0 {
		trail = bits.TrailingZeros64(b)/16 - 2
	} else {
		trail = 2 + bits.TrailingZeros64(a)/16
	}
	nd := 6 - lead - trail
	weight := floorDiv4(-int(scale)) + 5 - lead
	binary.BigEndian.PutUint64(dst, uint64(nd)<<48|uint64(uint16(weight))<<32|sign<<16|uint64(dscale))
	// The digits from the first non-zero group on: shift the 96 bits left.
	var hiw, low uint64
	if lead < 4 {
		hiw, low = a<<(16*lead)|b>>(64-16*lead), b<<(16*lead)
	} else {
		hiw = b << (16 * (lead - 4))
	}
	binary.BigEndian.PutUint64(dst[8:], hiw)
	binary.BigEndian.PutUint32(dst[16:], uint32(low>>32))
	return 8 + 2*nd
}

func floorDiv4(x int) int {
	if x >= 0 {
		return x / 4
	}
	return -((-x + 3) / 4)
}
