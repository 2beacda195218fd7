package mysql

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

// TestMeasureApplyBacklog prints the rate at which Apply drains a backlog
// into MySQL/MariaDB: 100000 updates of distinct rows in 100 source groups
// (nothing collapses), then 100000 inserts in 20 groups. It runs only with
// DBMIG_MEASURE=1 (the machine's cores are shared).
func TestMeasureApplyBacklog(t *testing.T) {
	if os.Getenv("DBMIG_MEASURE") != "1" {
		t.Skip("set DBMIG_MEASURE=1 to measure")
	}
	db := testdb.MySQL(t)
	feed := "postgres:1/" + db.Database + "/measure"
	const rows = 100000
	snap := []segSpec{checkpoint(feed, format.Checkpoint{Phase: format.PhaseBegin, Position: format.Position{"lsn": "0/100"}, Snapshot: true, SnapshotID: "m"})}
	snap = append(snap, idName(10, rows/10)...)
	snap = append(snap, checkpoint(feed, format.Checkpoint{Phase: format.PhaseSnapshotDone, Position: format.Position{"lsn": "0/100"}, SnapshotID: "m"}))
	apply(t, db, ApplyConfig{Config: Config{Create: true}}, writeStream(t, snap...))

	measure := func(what string, groups, per int, mk func(i int) change) {
		segs := []segSpec{checkpoint(feed, format.Checkpoint{Phase: format.PhaseBegin, Position: format.Position{"lsn": "0/100"}})}
		lsn := uint64(0x1000)
		if what == "inserts" {
			lsn = 0x1000000
		}
		for g := range groups {
			var cs []change
			for i := range per {
				cs = append(cs, mk(g*per+i))
			}
			lsn += 0x1000
			segs = append(segs, group(feed, lsn-0x10, lsn, cs...)...)
		}
		stream := writeStream(t, segs...)
		start := time.Now()
		st := apply(t, db, ApplyConfig{}, stream)
		el := time.Since(start)
		t.Logf("%d %s in %d groups: %d target commits, %v, %.0f changes/s", st.Changes, what, groups, st.Commits, el.Round(time.Millisecond), float64(st.Changes)/el.Seconds())
	}
	measure("updates", 100, rows/100, func(i int) change { return change{op: format.OpUpdate, id: int32(i), name: fmt.Sprintf("upd %d", i)} })
	measure("inserts", 20, rows/20, func(i int) change {
		return change{op: format.OpInsert, id: int32(rows + i), name: fmt.Sprintf("ins %d", i)}
	})
	pool := open(t, db)
	if got := query(t, pool, "SELECT count(*), sum(name LIKE 'upd %') FROM people"); got != fmt.Sprintf("%d|%d", 2*rows, rows) {
		t.Errorf("after the backlog: %s", got)
	}
}
