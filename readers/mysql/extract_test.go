package mysql

import (
	"testing"

	"github.com/dbmig/dbmig/internal/testdb"
)

// compareTable checks that the stream's rows of table equal the server's,
// value by value (the stream's rows in key order: chunks are key ranges).
func compareTable(t *testing.T, db *testdb.MySQLDB, segs []segment, table, orderBy string) int {
	t.Helper()
	ts := tableSegments(segs, table)
	if len(ts) == 0 {
		t.Fatalf("no segment for %s", table)
	}
	var got [][]cell
	for _, s := range ts {
		got = append(got, s.rows...)
	}
	want := serverRows(t, db, table, ts[0].cols, orderBy)
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows in the stream, %d on the server", table, len(got), len(want))
	}
	for i := range want {
		for j, c := range ts[0].cols {
			if got[i][j] != want[i][j] {
				t.Errorf("%s row %d column %s (%s): stream %v, server %v", table, i, c.Name, c.SourceType, got[i][j], want[i][j])
			}
		}
	}
	return len(got)
}

func TestExtractIntsAndText(t *testing.T) {
	db := testdb.MySQL(t)
	db.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, n bigint, s varchar(20))",
		"INSERT INTO t VALUES (1, -5, 'a'), (2, NULL, 'héllo'), (3, 9223372036854775807, NULL)")
	segs, st := extract(t, Config{DSN: db.URL})
	if st.Rows != 3 || st.Tables != 1 {
		t.Errorf("stats %+v", st)
	}
	if n := compareTable(t, db, segs, "t", "id"); n != 3 {
		t.Errorf("%d rows", n)
	}
	t.Logf("position %v", st.Position)
}
