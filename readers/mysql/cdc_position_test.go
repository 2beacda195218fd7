package mysql

import (
	"testing"

	"github.com/dbmig/dbmig/format"
)

func TestBinlogLSNOrderAndRoundTrip(t *testing.T) {
	a, err := BinlogLSN("binlog.000042", 1234)
	if err != nil || format.FormatLSN(a) != "2A/4D2" {
		t.Fatalf("BinlogLSN: %s, %v", format.FormatLSN(a), err)
	}
	b, _ := BinlogLSN("binlog.000043", 4) // the next file's start is after any offset of the last
	if b <= a {
		t.Errorf("rotation goes backwards: %s <= %s", format.FormatLSN(b), format.FormatLSN(a))
	}
	if v, err := format.ParseLSN(format.FormatLSN(a)); err != nil || v != a {
		t.Errorf("ParseLSN: %d, %v", v, err)
	}
	if v, err := ParseUntil("mysql-bin.000042:1234"); err != nil || v != a {
		t.Errorf("ParseUntil file:pos: %d, %v", v, err)
	}
	for _, bad := range []string{"binlog", "binlog.x:4", "1/2/3", "nope"} {
		if _, err := ParseUntil(bad); err == nil {
			t.Errorf("ParseUntil(%q) accepted", bad)
		}
	}
}
