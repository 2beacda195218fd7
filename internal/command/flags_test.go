package command

import (
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"4096", 4096}, {"10B", 10},
		{"32MB", 32e6}, {"32mb", 32e6}, {"32MiB", 32 << 20}, {"32 MiB", 32 << 20},
		{"1KB", 1000}, {"1KiB", 1024}, {"2GB", 2e9}, {"2GiB", 2 << 30}, {"1TiB", 1 << 40},
		{"1.5GiB", 3 << 29}, {" 8MiB ", 8 << 20},
	} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "12XB", "1..2MB", "99999999TiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		} else if !strings.Contains(err.Error(), "size") {
			t.Errorf("ParseSize(%q): error %q does not say what was wrong", in, err)
		}
	}
}

func TestSizeString(t *testing.T) {
	for n, want := range map[int64]string{32 << 20: "32MiB", 1<<30 + 64<<20: "1088MiB", 1000: "1000", 3 << 30: "3GiB", 0: "0"} {
		if got := NewSize(n).String(); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
		var s Size
		if err := s.Set(NewSize(n).String()); err != nil || int64(s) != n {
			t.Errorf("Size round trip of %d: %d, %v", n, s, err)
		}
	}
}

func TestChoice(t *testing.T) {
	c := NewChoice("zstd", "none", "lz4", "zstd")
	if err := c.Set("lz4"); err != nil || c.String() != "lz4" {
		t.Errorf("Set(lz4): %v, %q", err, c)
	}
	err := c.Set("gzip")
	if err == nil || err.Error() != "want none, lz4 or zstd" || c.Value != "lz4" {
		t.Errorf("Set(gzip): %v, value %q", err, c.Value)
	}
}

func TestHumanAndRate(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 3 << 29: "1.5 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Rate(50e6, 2*time.Second); got != "25.0 MB/s" {
		t.Errorf("Rate = %q", got)
	}
	if got := Rate(1, 0); got != "-" {
		t.Errorf("Rate over no time = %q", got)
	}
}
