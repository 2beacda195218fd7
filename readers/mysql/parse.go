package mysql

import (
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Parsers of the text forms the server sends. They take the bytes as read
// and allocate nothing on success.

// Zero dates are kept as the minimum of their Arrow type, which no real
// date can be (docs/TYPES-MYSQL.md, "Zero dates").
const (
	ZeroDate     = math.MinInt32 // date32 of 0000-00-00
	ZeroDateTime = math.MinInt64 // timestamp of 0000-00-00 00:00:00
)

// ErrZeroInDate is a date with a zero month or day but not all zero
// (2020-00-15): MySQL allows it without NO_ZERO_IN_DATE, no other engine
// has it, and no Arrow value stands for it.
var ErrZeroInDate = errors.New("date with a zero month or day (allowed by MySQL without NO_ZERO_IN_DATE) has no Arrow value")

const usPerDay = 86400 * 1_000_000

// parseDate reads YYYY-MM-DD into days since 1970-01-01.
func parseDate(b []byte) (int32, error) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, fmt.Errorf("date %q: not YYYY-MM-DD", b)
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("date %q: not YYYY-MM-DD", b)
	}
	if y == 0 && m == 0 && d == 0 {
		return ZeroDate, nil
	}
	if err := checkDate(y, m, d); err != nil {
		return 0, fmt.Errorf("date %q: %w", b, err)
	}
	return int32(daysFromCivil(y, m, d)), nil
}

// parseDateTime reads YYYY-MM-DD HH:MM:SS[.ffffff] into microseconds since
// 1970-01-01 00:00:00 (of the wall clock; TIMESTAMP is read in UTC).
func parseDateTime(b []byte) (int64, error) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != ' ' || b[13] != ':' || b[16] != ':' {
		return 0, fmt.Errorf("datetime %q: not YYYY-MM-DD HH:MM:SS", b)
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	h, ok4 := digits(b[11:13])
	mi, ok5 := digits(b[14:16])
	s, ok6 := digits(b[17:19])
	frac, ok7 := fraction(b[19:])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 {
		return 0, fmt.Errorf("datetime %q: not YYYY-MM-DD HH:MM:SS[.ffffff]", b)
	}
	if y == 0 && m == 0 && d == 0 {
		if h == 0 && mi == 0 && s == 0 && frac == 0 {
			return ZeroDateTime, nil
		}
		return 0, fmt.Errorf("datetime %q: %w", b, ErrZeroInDate)
	}
	if err := checkDate(y, m, d); err != nil {
		return 0, fmt.Errorf("datetime %q: %w", b, err)
	}
	if h > 23 || mi > 59 || s > 59 {
		return 0, fmt.Errorf("datetime %q: time of day out of range", b)
	}
	return daysFromCivil(y, m, d)*usPerDay + ((h*60+mi)*60+s)*1_000_000 + frac, nil
}

// parseTime reads [-]H..HHH:MM:SS[.ffffff] (−838:59:59 … 838:59:59) into
// signed microseconds.
func parseTime(b []byte) (int64, error) {
	in := b
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	colon := 0
	for colon < len(b) && b[colon] != ':' {
		colon++
	}
	if colon == 0 || colon > 3 || len(b) < colon+6 || b[colon+3] != ':' {
		return 0, fmt.Errorf("time %q: not [-]HHH:MM:SS[.ffffff]", in)
	}
	h, ok1 := digits(b[:colon])
	m, ok2 := digits(b[colon+1 : colon+3])
	s, ok3 := digits(b[colon+4 : colon+6])
	frac, ok4 := fraction(b[colon+6:])
	if !ok1 || !ok2 || !ok3 || !ok4 || m > 59 || s > 59 {
		return 0, fmt.Errorf("time %q: not [-]HHH:MM:SS[.ffffff]", in)
	}
	us := ((h*60+m)*60+s)*1_000_000 + frac
	if neg {
		us = -us
	}
	return us, nil
}

// parseDecimal reads MySQL's text of a DECIMAL ([-]digits[.digits]) into
// an unscaled 128-bit integer at scale. It refuses more fractional digits
// than scale (that would round) and more than 38 digits in all.
func parseDecimal(b []byte, scale int) (decimal128.Num, error) {
	in := b
	neg := len(b) > 0 && b[0] == '-'
	if neg || (len(b) > 0 && b[0] == '+') {
		b = b[1:]
	}
	var hi, lo uint64
	n, fracDigits, seenDot, any := 0, 0, false, false
	for _, c := range b {
		if c == '.' && !seenDot {
			seenDot = true
			continue
		}
		if c < '0' || c > '9' {
			return decimal128.Num{}, fmt.Errorf("decimal %q: not a number", in)
		}
		any = true
		if seenDot {
			fracDigits++
			if fracDigits > scale {
				return decimal128.Num{}, fmt.Errorf("decimal %q: more than %d fractional digits", in, scale)
			}
		}
		if n > 0 || c != '0' {
			n++
		}
		hi, lo = mul10add(hi, lo, uint64(c-'0'))
	}
	if !any {
		return decimal128.Num{}, fmt.Errorf("decimal %q: not a number", in)
	}
	for ; fracDigits < scale; fracDigits++ {
		n++
		hi, lo = mul10add(hi, lo, 0)
	}
	if n > 38 {
		return decimal128.Num{}, fmt.Errorf("decimal %q: more than 38 digits", in)
	}
	v := decimal128.New(int64(hi), lo)
	if neg {
		v = v.Negate()
	}
	return v, nil
}

// mul10add returns (hi, lo)*10 + d in 128 bits (callers keep it below 10^38).
func mul10add(hi, lo, d uint64) (uint64, uint64) {
	h, l := bits.Mul64(lo, 10)
	h += hi * 10
	l, carry := bits.Add64(l, d, 0)
	return h + carry, l
}

// parseBit reads a BIT(n) value: big-endian bytes, ⌈n/8⌉ of them.
func parseBit(b []byte) (uint64, error) {
	if len(b) > 8 {
		return 0, fmt.Errorf("bit value of %d bytes: more than 64 bits", len(b))
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// digits reads an unsigned decimal of 1 to 18 digits.
func digits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// fraction reads "" or ".f" (1 to 6 digits) as microseconds.
func fraction(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if b[0] != '.' || len(b) < 2 || len(b) > 7 {
		return 0, false
	}
	v, ok := digits(b[1:])
	if !ok {
		return 0, false
	}
	for i := len(b) - 1; i < 6; i++ {
		v *= 10
	}
	return v, true
}

// checkDate refuses what has no day on the proleptic Gregorian calendar:
// zero month or day, and days past the month's end (ALLOW_INVALID_DATES),
// which a day count would silently move into the next month.
func checkDate(y, m, d int64) error {
	if m == 0 || d == 0 {
		return ErrZeroInDate
	}
	if m > 12 || d > daysIn(y, m) {
		return errors.New("no such day")
	}
	return nil
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d (proleptic
// Gregorian; H. Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// parseUUID reads the 8-4-4-4-12 hex text form MariaDB prints for its uuid
// type into the 16 bytes in the same order (RFC 4122, as PostgreSQL's uuid).
// Table-driven: it runs once per uuid value of a scan.
func parseUUID(b []byte) ([16]byte, error) {
	var u [16]byte
	if len(b) != 36 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return u, fmt.Errorf("uuid %q is not in the 8-4-4-4-12 hex form", b)
	}
	var bad byte
	for j, i := range uuidHexAt {
		hi, lo := hexValue[b[i]], hexValue[b[i+1]]
		bad |= hi | lo
		u[j] = hi<<4 | lo&15
	}
	if bad&0x80 != 0 {
		return u, fmt.Errorf("uuid %q is not hexadecimal", b)
	}
	return u, nil
}

// uuidHexAt are the offsets of the 16 hex pairs in a uuid's text form.
var uuidHexAt = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// hexValue maps a hex digit to its value and anything else to 0x80.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0x80
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()
