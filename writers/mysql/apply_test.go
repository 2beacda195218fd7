package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
)

// change is one row of a hand-built change segment of people(id, name).
type change struct {
	op       string
	id       int32
	name     string // "" is NULL
	keepName bool   // name not sent (unchanged TOAST): the target keeps it
	oldID    int32  // before image key, for deletes and key changes; 0: none
}

var peopleCols = []format.Column{
	{Name: "id", Type: arrow.PrimitiveTypes.Int32, SourceType: "int(11)", PKOrdinal: 1},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "varchar(20)", Collation: "utf8mb4_bin",
		Extra: map[string]string{fieldCharset: "utf8mb4"}},
}

func checkpoint(feed string, cp format.Checkpoint) segSpec {
	cp.Feed = feed
	return segSpec{h: format.CheckpointHeader(cp)}
}

// group returns a change segment of changes, all committed at commitLSN,
// and its commit checkpoint at end.
func group(feed string, commitLSN, end uint64, changes ...change) []segSpec {
	seg := segSpec{
		h:    format.Header{Kind: format.KindChange, Table: mysqlTable("people"), PrimaryKey: []string{"id"}, Extra: map[string]string{format.KeyFeed: feed}},
		cols: format.ChangeSegmentColumns(peopleCols),
		build: func(b *array.RecordBuilder) {
			for i, c := range changes {
				b.Field(0).(*array.StringBuilder).Append(c.op)
				b.Field(1).(*array.Int64Builder).Append(int64(commitLSN) - int64(len(changes)) + int64(i))
				b.Field(2).(*array.Int64Builder).Append(int64(commitLSN))
				b.Field(3).(*array.Int64Builder).Append(7)
				b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Now().UnixMicro()))
				if c.keepName {
					b.Field(5).(*array.BinaryBuilder).Append([]byte{0x02})
				} else {
					b.Field(5).AppendNull()
				}
				after, before := 7, 9
				if c.op == format.OpDelete {
					b.Field(after).AppendNull()
				} else {
					b.Field(after).(*array.Int32Builder).Append(c.id)
				}
				if c.name == "" || c.op == format.OpDelete {
					b.Field(after + 1).AppendNull()
				} else {
					b.Field(after + 1).(*array.StringBuilder).Append(c.name)
				}
				if c.oldID != 0 {
					b.Field(6).(*array.StringBuilder).Append("key")
					b.Field(before).(*array.Int32Builder).Append(c.oldID)
				} else {
					b.Field(6).AppendNull()
					b.Field(before).AppendNull()
				}
				b.Field(before + 1).AppendNull()
			}
		},
	}
	cp := checkpoint(feed, format.Checkpoint{Phase: format.PhaseCommit, Position: format.Position{"lsn": format.FormatLSN(end)},
		CommitTime: time.Now().UTC(), Segments: 1, Rows: int64(len(changes)), Transactions: 1})
	return []segSpec{seg, cp}
}

func apply(t *testing.T, db *testdb.MySQLDB, cfg ApplyConfig, stream []byte) ApplyStats {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cfg.DSN = db.URL
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := Apply(ctx, cfg, format.NewReader(bytes.NewReader(stream), format.ReaderOptions{Allocator: mem}))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestApplySnapshotThenChanges loads a snapshot, applies two groups
// (insert, update, delete, an update keeping an unsent value, a key change,
// delete then insert of one key), checks the checkpoint row and the ack
// file, then replays from an earlier position with a third group: the
// first two are skipped, the third applied.
func TestApplySnapshotThenChanges(t *testing.T) {
	db := testdb.MySQL(t)
	feed := "postgres:1/" + db.Database + "/s"
	snap := idName(1, 10) // ids 0..9, name NULL at 3
	ack := filepath.Join(t.TempDir(), "ack.json")
	var segs []segSpec
	segs = append(segs, checkpoint(feed, format.Checkpoint{Phase: format.PhaseBegin, Position: format.Position{"lsn": "0/100"}, Snapshot: true, SnapshotID: "snap1"}))
	segs = append(segs, snap...)
	segs = append(segs, checkpoint(feed, format.Checkpoint{Phase: format.PhaseSnapshotDone, Position: format.Position{"lsn": "0/100"}, SnapshotID: "snap1"}))
	g1 := group(feed, 0x1F0, 0x200,
		change{op: format.OpInsert, id: 100, name: "new"},
		change{op: format.OpUpdate, id: 1, name: "one"},
		change{op: format.OpDelete, oldID: 2},
		change{op: format.OpUpdate, id: 4, keepName: true},
		change{op: format.OpUpdate, id: 50, name: "moved", oldID: 5},
	)
	g2 := group(feed, 0x2F0, 0x300,
		change{op: format.OpDelete, oldID: 6},
		change{op: format.OpInsert, id: 6, name: "six again"},
		change{op: format.OpUpdate, id: 100, name: "newer"},
		change{op: format.OpUpdate, id: 7, keepName: true},
		change{op: format.OpUpdate, id: 7, name: "seven"},
		change{op: format.OpUpdate, id: 8, name: "eight"},
		change{op: format.OpUpdate, id: 8, keepName: true},
	)
	first := append(append(append([]segSpec{}, segs...), g1...), g2...)
	st := apply(t, db, ApplyConfig{Config: Config{Create: true}, AckFile: ack}, writeStream(t, first...))
	if st.Snapshot.Rows != 10 || st.Changes != 12 || st.LSN != "0/300" {
		t.Errorf("stats %+v", st)
	}
	pool := open(t, db)
	want := "0|name 0\n1|one\n3|NULL\n4|name 4\n6|six again\n7|seven\n8|eight\n9|name 9\n50|moved\n100|newer"
	if got := query(t, pool, "SELECT id, name FROM people ORDER BY id"); got != want {
		t.Errorf("after two groups:\n%s\nwant\n%s", got, want)
	}
	if got := query(t, pool, "SELECT lsn, snapshot_id, snapshot_done, commit_time IS NOT NULL FROM dbmig.cdc_checkpoints WHERE feed = ?", feed); got != "0/300|snap1|1|1" {
		t.Errorf("checkpoint row %s", got)
	}
	var a Applied
	if b, err := os.ReadFile(ack); err != nil || json.Unmarshal(b, &a) != nil || a.LSN != "0/300" || !a.SnapshotDone || a.Feed != feed {
		t.Errorf("ack file %+v (%v)", a, err)
	}
	if got, err := ReadApplied(context.Background(), db.URL, "", feed); err != nil || got.LSN != "0/300" || !got.SnapshotDone {
		t.Errorf("ReadApplied %+v %v", got, err)
	}

	// A rerun from an earlier position (a source that resends) applies
	// only what is new.
	g3 := group(feed, 0x3F0, 0x400, change{op: format.OpUpdate, id: 9, name: "nine"}, change{op: format.OpInsert, id: 11, name: "eleven"})
	resend := []segSpec{checkpoint(feed, format.Checkpoint{Phase: format.PhaseBegin, Position: format.Position{"lsn": "0/200"}})}
	resend = append(append(append(resend, g2...), g3...), group(feed, 0x4F0, 0x500, change{op: format.OpDelete, oldID: 1})...)
	st = apply(t, db, ApplyConfig{AckFile: ack}, writeStream(t, resend...))
	if st.Skipped != 7 || st.LSN != "0/500" {
		t.Errorf("rerun stats %+v", st)
	}
	want = "0|name 0\n3|NULL\n4|name 4\n6|six again\n7|seven\n8|eight\n9|nine\n11|eleven\n50|moved\n100|newer"
	if got := query(t, pool, "SELECT id, name FROM people ORDER BY id"); got != want {
		t.Errorf("after the rerun:\n%s\nwant\n%s", got, want)
	}
}

// TestApplyTruncate: a truncate in a group empties the table before the
// changes after it.
func TestApplyTruncate(t *testing.T) {
	db := testdb.MySQL(t)
	feed := "postgres:1/" + db.Database + "/s"
	var segs []segSpec
	segs = append(segs, checkpoint(feed, format.Checkpoint{Phase: format.PhaseBegin, Position: format.Position{"lsn": "0/100"}, Snapshot: true, SnapshotID: "s"}))
	segs = append(segs, idName(1, 5)...)
	segs = append(segs, checkpoint(feed, format.Checkpoint{Phase: format.PhaseSnapshotDone, Position: format.Position{"lsn": "0/100"}, SnapshotID: "s"}))
	segs = append(segs, group(feed, 0x1F0, 0x200,
		change{op: format.OpInsert, id: 10, name: "gone"},
		change{op: format.OpTruncate},
		change{op: format.OpInsert, id: 20, name: "kept"})...)
	apply(t, db, ApplyConfig{Config: Config{Create: true}}, writeStream(t, segs...))
	if got := query(t, open(t, db), "SELECT id, name FROM people ORDER BY id"); got != "20|kept" {
		t.Errorf("after truncate: %s", got)
	}
}
