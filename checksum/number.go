package checksum

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Exact numbers (integers of any width and signedness, booleans, decimals,
// numeric text) are encoded by value: c × 10^-s with s ≥ 0 as small as
// possible, so 5, 5.00 and a bigint 5 encode alike, and 1.50 like 1.5. Each
// value has exactly one of three forms, chosen by size:
//
//	tagInt  int64 LE                      s = 0 and c fits int64
//	tagDec  uvarint s, int128 LE (lo, hi) c fits int128
//	tagBig  uvarint s, sign, len, |c| BE  anything larger
const (
	tagNull  = 0x00
	tagInt   = 0x01
	tagDec   = 0x02
	tagBig   = 0x03
	tagFloat = 0x04
)

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

func appendInt(b []byte, v int64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, tagInt), uint64(v))
}

func appendUint(b []byte, v uint64) []byte {
	if v <= math.MaxInt64 {
		return appendInt(b, int64(v))
	}
	b = append(b, tagDec, 0)
	b = binary.LittleEndian.AppendUint64(b, v)
	return binary.LittleEndian.AppendUint64(b, 0)
}

// appendScaled encodes v × 10^-s, v fitting int64.
func appendScaled(b []byte, v int64, s int32) []byte {
	for s > 0 && v%10 == 0 {
		v /= 10
		s--
	}
	if v == 0 {
		s = 0
	}
	if s == 0 {
		return appendInt(b, v)
	}
	if s < 0 {
		return appendBig(b, big.NewInt(v), s)
	}
	b = binary.AppendUvarint(append(b, tagDec), uint64(s))
	b = binary.LittleEndian.AppendUint64(b, uint64(v))
	return binary.LittleEndian.AppendUint64(b, uint64(v>>63))
}

// decimalInt64 returns n as an int64 when it fits.
func decimalInt64(n decimal128.Num) (int64, bool) {
	hi, lo := n.HighBits(), n.LowBits()
	if (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		return int64(lo), true
	}
	return 0, false
}

func appendDecimal(b []byte, n decimal128.Num, scale int32) []byte {
	if v, ok := decimalInt64(n); ok && scale >= 0 {
		return appendScaled(b, v, scale)
	}
	return appendBig(b, n.BigInt(), scale)
}

var (
	bigTen    = big.NewInt(10)
	maxInt128 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 127), big.NewInt(1))
	minInt128 = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 127))
)

// appendBig encodes c × 10^-s for any c and s (the slow path: values beyond
// int64, negative scales). c is modified.
func appendBig(b []byte, c *big.Int, s int32) []byte {
	if c.Sign() == 0 {
		return appendInt(b, 0)
	}
	if s < 0 {
		c.Mul(c, new(big.Int).Exp(bigTen, big.NewInt(int64(-s)), nil))
		s = 0
	}
	var q, r big.Int
	for s > 0 {
		q.QuoRem(c, bigTen, &r)
		if r.Sign() != 0 {
			break
		}
		c.Set(&q)
		s--
	}
	if s == 0 && c.IsInt64() {
		return appendInt(b, c.Int64())
	}
	if c.Cmp(minInt128) >= 0 && c.Cmp(maxInt128) <= 0 {
		n := decimal128.FromBigInt(c)
		b = binary.AppendUvarint(append(b, tagDec), uint64(s))
		b = binary.LittleEndian.AppendUint64(b, n.LowBits())
		return binary.LittleEndian.AppendUint64(b, uint64(n.HighBits()))
	}
	b = binary.AppendUvarint(append(b, tagBig), uint64(s))
	if c.Sign() < 0 {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	mag := new(big.Int).Abs(c).Bytes()
	b = binary.AppendUvarint(b, uint64(len(mag)))
	return append(b, mag...)
}

// canonFloat is the float rule: -0 is 0, every NaN is the one quiet NaN,
// float32 values are widened to float64 (exactly).
func canonFloat(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000000
	}
	return math.Float64bits(f)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(append(b, tagFloat), canonFloat(f))
}

// appendNumericText encodes an exact number written as text, as PostgreSQL
// and MySQL print them ("-12.3400", "NaN", "Infinity"; an exponent is
// accepted too). It reports false for text that is not a number.
func appendNumericText(b []byte, s string) ([]byte, bool) {
	switch s {
	case "NaN":
		return appendFloat(b, math.NaN()), true
	case "Infinity", "inf", "+Infinity":
		return appendFloat(b, math.Inf(1)), true
	case "-Infinity", "-inf":
		return appendFloat(b, math.Inf(-1)), true
	}
	c, scale, ok := parseDecimal(s)
	if !ok {
		return b, false
	}
	if c.IsInt64() && scale >= 0 {
		return appendScaled(b, c.Int64(), scale), true
	}
	return appendBig(b, c, scale), true
}

// parseDecimal parses [sign]digits[.digits][e[sign]digits] into c × 10^-scale.
func parseDecimal(s string) (*big.Int, int32, bool) {
	mant, exp := s, int64(0)
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, ok := parseSmallInt(s[i+1:])
		if !ok {
			return nil, 0, false
		}
		exp = e
	}
	neg := false
	if mant != "" && (mant[0] == '-' || mant[0] == '+') {
		neg = mant[0] == '-'
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" {
		return nil, 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, 0, false
		}
	}
	c, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, 0, false
	}
	if neg {
		c.Neg(c)
	}
	scale := int64(len(frac)) - exp
	if scale > math.MaxInt32/2 || scale < math.MinInt32/2 {
		return nil, 0, false
	}
	return c, int32(scale), true
}

func parseSmallInt(s string) (int64, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" || len(s) > 9 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
