package pgcodec

import (
	"math"
	"testing"
	"time"
)

func TestTimestampRule(t *testing.T) {
	// PostgreSQL values (µs since 2000) at every boundary of the rule.
	pg := []int64{
		math.MinInt64, math.MaxInt64, // ±infinity
		tsMinPG, tsMinPG + 1, -epochMicros - 1, -epochMicros, -1, 0, 1,
		tsBandStart - 2, tsBandStart - 1, tsBandStart, tsBandStart + 1, tsEndPG - 2, tsEndPG - 1,
	}
	seen := map[int64]int64{}
	for _, p := range pg {
		a, err := tsToArrow(p)
		if err != nil {
			t.Fatalf("tsToArrow(%d): %v", p, err)
		}
		if q, dup := seen[a]; dup {
			t.Errorf("PostgreSQL %d and %d both map to %d", p, q, a)
		}
		seen[a] = p
		back, err := tsFromArrow(a)
		if err != nil || back != p {
			t.Errorf("%d → %d → %d, %v", p, a, back, err)
		}
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"4714-11-24 BC", mustTS(t, tsMinPG), time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC).UnixMicro()},
		{"TYPES.md minimum", mustTS(t, tsMinPG), -210866803200000000},
		{"2000-01-01", mustTS(t, 0), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()},
		{"last below band", mustTS(t, tsBandStart-1), math.MaxInt64 - 1},
		{"band start", mustTS(t, tsBandStart), math.MinInt64 + 1},
		{"294276-12-31 23:59:59.999999", mustTS(t, tsEndPG-1), tsBandLast},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	// The band sits below every real timestamp.
	if tsBandLast >= tsMinArrow {
		t.Errorf("band end %d is not below the smallest timestamp %d", tsBandLast, tsMinArrow)
	}
	// Go's time for ordinary values.
	for _, tm := range []time.Time{
		time.Date(2024, 2, 29, 12, 34, 56, 789012000, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	} {
		p := tm.UnixMicro() - time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() // Sub saturates at 292 years
		if a := mustTS(t, p); a != tm.UnixMicro() {
			t.Errorf("%s: got %d, want %d", tm, a, tm.UnixMicro())
		}
	}
	for _, p := range []int64{tsMinPG - 1, tsEndPG, math.MinInt64 + 1} {
		if _, err := tsToArrow(p); err == nil {
			t.Errorf("tsToArrow(%d): no error", p)
		}
	}
	for _, a := range []int64{tsBandLast + 1, tsMinArrow - 1, -1 << 62} {
		if _, err := tsFromArrow(a); err == nil {
			t.Errorf("tsFromArrow(%d): no error", a)
		}
	}
}

func mustTS(t *testing.T, p int64) int64 {
	t.Helper()
	a, err := tsToArrow(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDateRule(t *testing.T) {
	for _, d := range []int32{math.MinInt32, math.MaxInt32, dateMinPG, dateMinPG + 1, -1, 0, 1, dateEndPG - 1} {
		a, err := dateToArrow(d)
		if err != nil {
			t.Fatalf("dateToArrow(%d): %v", d, err)
		}
		if back, err := dateFromArrow(a); err != nil || back != d {
			t.Errorf("%d → %d → %d, %v", d, a, back, err)
		}
	}
	day := func(y int, m time.Month, d int) int32 {
		return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	if a, _ := dateToArrow(dateMinPG); a != day(-4713, 11, 24) {
		t.Errorf("4714-11-24 BC: got %d, want %d", a, day(-4713, 11, 24))
	}
	if a, _ := dateToArrow(dateEndPG - 1); a != day(5874897, 12, 31) {
		t.Errorf("5874897-12-31: got %d, want %d", a, day(5874897, 12, 31))
	}
	for _, d := range []int32{dateMinPG - 1, dateEndPG, math.MaxInt32 - 1} {
		if _, err := dateToArrow(d); err == nil {
			t.Errorf("dateToArrow(%d): no error", d)
		}
	}
	for _, a := range []int32{math.MinInt32 + 1, math.MaxInt32 - 1, day(-4713, 11, 23)} {
		if _, err := dateFromArrow(a); err == nil {
			t.Errorf("dateFromArrow(%d): no error", a)
		}
	}
}

func TestIntervalRule(t *testing.T) {
	for _, us := range []int64{0, 1, -1, math.MaxInt64 / 1000, math.MinInt64 / 1000} {
		ns, err := intervalToArrow(us)
		if err != nil {
			t.Fatalf("intervalToArrow(%d): %v", us, err)
		}
		if back, err := intervalFromArrow(ns); err != nil || back != us {
			t.Errorf("%d → %d → %d, %v", us, ns, back, err)
		}
	}
	for _, us := range []int64{math.MaxInt64/1000 + 1, math.MinInt64/1000 - 1, math.MaxInt64, math.MinInt64} {
		if _, err := intervalToArrow(us); err == nil {
			t.Errorf("intervalToArrow(%d): no error", us)
		}
	}
	if _, err := intervalFromArrow(1); err == nil {
		t.Error("intervalFromArrow(1 ns): no error")
	}
}
