package pgcodec

import (
	"fmt"
	"math"
)

// Epochs and ranges of PostgreSQL's date/time types (src/include/datatype/timestamp.h).
const (
	// epochDays is 2000-01-01 − 1970-01-01 in days; epochMicros the same in µs (S in docs/TYPES.md).
	epochDays   = 10957
	epochMicros = 946684800000000

	// Dates: PostgreSQL counts days from 2000-01-01; finite dates are
	// −2451545 (4714-11-24 BC, Julian day 0) ..< 2145031949 (5874898-01-01).
	dateMinPG = -2451545
	dateEndPG = 2145031949

	// Timestamps: µs from 2000-01-01; finite values are
	// MIN_TIMESTAMP (4714-11-24 00:00 BC) ..< END_TIMESTAMP (294277-01-01 00:00).
	tsMinPG = -211813488000000000
	tsEndPG = 9223371331200000000

	// tsBandStart is the first PostgreSQL timestamp whose µs since 1970
	// overflow int64: 2^63−1−S. From there on the Arrow value is
	// −2^63 + 1 + (p − tsBandStart), far below any real timestamp.
	tsBandStart = math.MaxInt64 - epochMicros
	tsBandFirst = math.MinInt64 + 1
	tsBandLast  = tsBandFirst + (tsEndPG - 1 - tsBandStart)
	// tsMinArrow is the smallest finite PostgreSQL timestamp in Arrow's epoch.
	tsMinArrow = tsMinPG + epochMicros

	usPerDay = 86400000000
	// tzLimit bounds a timetz zone: |zone| < 16 hours (TZDISP_LIMIT).
	tzLimit = 16 * 3600
)

// dateToArrow maps PostgreSQL days since 2000 to Arrow days since 1970;
// ±infinity are int32 max and min in both.
func dateToArrow(d int32) (int32, error) {
	switch {
	case d == math.MaxInt32 || d == math.MinInt32:
		return d, nil
	case d < dateMinPG || d >= dateEndPG:
		return 0, fmt.Errorf("date %d days from 2000-01-01 is out of PostgreSQL's range", d)
	}
	return d + epochDays, nil
}

// dateFromArrow is the inverse of dateToArrow.
func dateFromArrow(v int32) (int32, error) {
	if v == math.MaxInt32 || v == math.MinInt32 {
		return v, nil
	}
	d := int64(v) - epochDays
	if d < dateMinPG || d >= dateEndPG {
		return 0, fmt.Errorf("date32 %d is out of PostgreSQL's date range (4714-11-24 BC to 5874897-12-31)", v)
	}
	return int32(d), nil
}

// tsToArrow maps PostgreSQL µs since 2000 to Arrow µs since 1970 by the rule
// of docs/TYPES.md: ±infinity are int64 max and min, values from tsBandStart
// on go to the band just above int64 min, the rest shift by S.
func tsToArrow(p int64) (int64, error) {
	switch {
	case p == math.MaxInt64 || p == math.MinInt64:
		return p, nil
	case p < tsMinPG || p >= tsEndPG:
		return 0, fmt.Errorf("timestamp %d µs from 2000-01-01 is out of PostgreSQL's range", p)
	case p >= tsBandStart:
		return tsBandFirst + (p - tsBandStart), nil
	}
	return p + epochMicros, nil
}

// tsFromArrow is the inverse of tsToArrow; Arrow values that are neither in
// PostgreSQL's range nor in the band are refused.
func tsFromArrow(a int64) (int64, error) {
	switch {
	case a == math.MaxInt64 || a == math.MinInt64:
		return a, nil
	case a <= tsBandLast:
		return a - tsBandFirst + tsBandStart, nil
	case a < tsMinArrow:
		return 0, fmt.Errorf("timestamp %d µs from 1970-01-01 is before PostgreSQL's range (4714-11-24 BC)", a)
	}
	return a - epochMicros, nil
}

// intervalToArrow converts PostgreSQL's µs part to nanoseconds.
func intervalToArrow(us int64) (int64, error) {
	if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
		return 0, fmt.Errorf("interval time part %d µs exceeds what month_day_nano holds (±292 years)", us)
	}
	return us * 1000, nil
}

// intervalFromArrow converts nanoseconds to PostgreSQL's µs, refusing to
// round away a sub-microsecond part.
func intervalFromArrow(ns int64) (int64, error) {
	if ns%1000 != 0 {
		return 0, fmt.Errorf("interval of %d ns is not a whole number of microseconds", ns)
	}
	return ns / 1000, nil
}

func checkTime(us int64) error {
	if us < 0 || us > usPerDay {
		return fmt.Errorf("time %d µs is outside 00:00:00 to 24:00:00", us)
	}
	return nil
}

func checkZone(zone int32) error {
	if zone <= -tzLimit || zone >= tzLimit {
		return fmt.Errorf("time zone offset %d s is out of range", zone)
	}
	return nil
}
