package mysql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

func TestParseDateTime(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  string
	}{
		{"1970-01-01 00:00:00", 0, ""},
		{"0000-00-00 00:00:00", ZeroDateTime, ""},
		{"0000-00-00 00:00:00.000000", ZeroDateTime, ""},
		{"1969-12-31 23:59:59.999999", -1, ""},
		{"9999-12-31 23:59:59.999999", time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro(), ""},
		{"0001-01-01 00:00:00.5", time.Date(1, 1, 1, 0, 0, 0, 500000000, time.UTC).UnixMicro(), ""},
		{"2020-00-15 00:00:00", 0, "zero month or day"},
		{"0000-00-00 10:00:00", 0, "zero month or day"},
		{"2021-02-29 00:00:00", 0, "no such day"},
		{"2020-01-01T00:00:00", 0, "not YYYY"},
		{"2020-01-01 00:00:00.1234567", 0, "not YYYY"},
	} {
		got, err := parseDateTime([]byte(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %v, want error %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	if _, err := parseDate([]byte("2020-05-00")); !errors.Is(err, ErrZeroInDate) {
		t.Errorf("2020-05-00: %v", err)
	}
	if d, err := parseDate([]byte("0000-00-00")); err != nil || d != ZeroDate {
		t.Errorf("zero date: %d %v", d, err)
	}
	if d, err := parseDate([]byte("2024-02-29")); err != nil || int64(d)*86400 != time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("2024-02-29: %d %v", d, err)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]int64{
		"00:00:00": 0, "-838:59:59": -(838*3600 + 59*60 + 59) * 1e6, "838:59:59.000000": (838*3600 + 59*60 + 59) * 1e6,
		"-00:00:00.000001": -1, "12:34:56.5": (12*3600+34*60+56)*1e6 + 500000, "1:02:03": 3723 * 1e6,
	} {
		if got, err := parseTime([]byte(in)); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-", "1:2:3", "12:60:00", "1234:00:00", "12:00:00.", "12:00:00x"} {
		if _, err := parseTime([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int
		want  string
	}{
		{"0", 0, "0"}, {"-12.3400", 4, "-12.3400"}, {"1.5", 2, "1.50"},
		{"9999999999999999999999999999.9999999999", 10, "9999999999999999999999999999.9999999999"},
		{"-99999999999999999999999999999999999999", 0, "-99999999999999999999999999999999999999"},
		{"0.0000000001", 10, "0.0000000001"},
	} {
		n, err := parseDecimal([]byte(c.in), c.scale)
		if err != nil || n.ToString(int32(c.scale)) != c.want {
			t.Errorf("%q scale %d: %s, %v; want %s", c.in, c.scale, n.ToString(int32(c.scale)), err, c.want)
		}
	}
	for _, c := range []struct {
		in    string
		scale int
	}{{"1.234", 2}, {"", 0}, {"-", 0}, {"1e5", 0}, {"1.2.3", 2}, {"123456789012345678901234567890123456789", 0}} {
		if _, err := parseDecimal([]byte(c.in), c.scale); err == nil {
			t.Errorf("%q scale %d: no error", c.in, c.scale)
		}
	}
	if v, err := parseBit([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); err != nil || v != 1<<64-1 {
		t.Errorf("bit(64): %d %v", v, err)
	}
	if _, err := parseBit(make([]byte, 9)); err == nil {
		t.Error("9-byte bit: no error")
	}
}

// FuzzParsers: no parser panics, and what parses round-trips through the
// formats the server prints.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{"2020-01-01", "0000-00-00 00:00:00", "-838:59:59.000000", "-12.3400", "1.5", "9999-12-31 23:59:59.999999", "1:2"} {
		f.Add([]byte(s), 4)
	}
	f.Fuzz(func(t *testing.T, b []byte, scale int) {
		scale = min(max(scale, 0), 38)
		if us, err := parseDateTime(b); err == nil && us != ZeroDateTime {
			got := time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.000000")
			if !strings.HasPrefix(got, string(b[:19])) {
				t.Errorf("%q → %s", b, got)
			}
		}
		if d, err := parseDate(b); err == nil && d != ZeroDate {
			if got := time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02"); got != string(b) {
				t.Errorf("%q → %s", b, got)
			}
		}
		_, _ = parseTime(b)
		if n, err := parseDecimal(b, scale); err == nil {
			back, err := decimal128.FromString(n.ToString(int32(scale)), 38, int32(scale))
			if err != nil || back != n {
				t.Errorf("%q scale %d → %s (%v)", b, scale, n.ToString(int32(scale)), err)
			}
			if f, err := strconv.ParseFloat(string(b), 64); err == nil && f != 0 {
				g, _ := strconv.ParseFloat(n.ToString(int32(scale)), 64)
				if (f < 0) != (g < 0) {
					t.Errorf("%q: sign changed (%s)", b, n.ToString(int32(scale)))
				}
			}
		}
		_, _ = parseBit(b)
	})
}

func TestParseUUID(t *testing.T) {
	u, err := parseUUID([]byte("123e4567-E89B-12d3-a456-426614174000"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", u); got != "123e4567e89b12d3a456426614174000" {
		t.Errorf("got %s", got)
	}
	for _, bad := range []string{"", "123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400g", "123e4567-e89b-12d3-a456-4266141740000"} {
		if _, err := parseUUID([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
