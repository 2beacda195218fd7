package convert

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
)

// TestChangeStreamMySQLToPG converts a MySQL change stream: checkpoints
// pass through, the change columns are untouched, and the after and before
// images are converted like snapshot columns (int unsigned → bigint here).
func TestChangeStreamMySQLToPG(t *testing.T) {
	const feed = "mariadb:1@h:3306/shop/dbcdc"
	cp := func(c format.Checkpoint) myTable {
		c.Feed = feed
		return myTable{header: format.CheckpointHeader(c)}
	}
	table := []format.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int(10) unsigned", PKOrdinal: 1},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true, SourceType: "varchar(20)", Collation: "utf8mb4_general_ci"},
	}
	h := myHeader("shop", "items", "id")
	h.Kind, h.Chunk = format.KindChange, format.Chunk{}
	h.Extra = map[string]string{format.KeyFeed: feed}
	ts := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
	ts.AppendValues([]arrow.Timestamp{1, 1, 2}, nil)
	unchanged := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	unchanged.AppendNulls(3)
	change := myTable{header: h, cols: format.ChangeSegmentColumns(table), arrays: []arrow.Array{
		strs("insert", "update", "delete"), i64s(10, 10, 20), i64s(10, 10, 20), i64s(7, 7, 8), ts.NewArray(), unchanged.NewArray(),
		strs(nil, "full", "full"),
		u32s(4000000000, 4000000000, nil), strs("a", "b", nil), // after image
		u32s(nil, 4000000000, 4000000000), strs(nil, "a", "b"), // before image
	}}
	in := writeStream(t, []myTable{
		cp(format.Checkpoint{Phase: format.PhaseBegin, Position: format.Position{"lsn": "1/4"}}),
		change,
		cp(format.Checkpoint{Phase: format.PhaseCommit, Position: format.Position{"lsn": "1/20"}, Segments: 1, Rows: 3, Transactions: 2}),
	})
	out, _, err := convertStream(t, Options{To: EnginePostgres}, in)
	if err != nil {
		t.Fatal(err)
	}
	segs := readStream(t, out)
	if len(segs) != 3 || segs[0].header.Kind != format.KindCheckpoint || segs[1].header.Kind != format.KindChange || segs[2].header.Kind != format.KindCheckpoint {
		t.Fatalf("segments: %+v", segs)
	}
	for _, i := range []int{0, 2} {
		c, err := format.CheckpointOf(segs[i].header)
		if err != nil || c.Feed != feed {
			t.Errorf("checkpoint %d: %+v, %v", i, c, err)
		}
	}
	seg := segs[1]
	if seg.header.Extra[format.KeyFeed] != feed || seg.header.TargetEngine != EnginePostgres {
		t.Errorf("change header: feed %q, target %q", seg.header.Extra[format.KeyFeed], seg.header.TargetEngine)
	}
	cols, err := format.TableColumnsOf(seg.cols)
	if err != nil {
		t.Fatal(err)
	}
	if cols[0].Name != "id" || !arrow.TypeEqual(cols[0].Type, arrow.PrimitiveTypes.Int64) {
		t.Errorf("id column: %s %s", cols[0].Name, cols[0].Type)
	}
	rec := seg.recs[0]
	if got := rec.Column(0).(*array.String).Value(1); got != "update" {
		t.Errorf("op of row 2: %q", got)
	}
	if got := rec.Column(2).(*array.Int64).Value(2); got != 20 {
		t.Errorf("commit_lsn of row 3: %d", got)
	}
	after, before := rec.Column(format.ChangeColumns).(*array.Int64), rec.Column(format.ChangeColumns+2).(*array.Int64)
	if after.Value(0) != 4000000000 || !after.IsNull(2) || before.Value(2) != 4000000000 || !before.IsNull(0) {
		t.Errorf("images: after %v, before %v", after, before)
	}
	if got := rec.Column(format.ChangeColumns + 3).(*array.String).Value(1); got != "a" {
		t.Errorf("before name of the update: %q", got)
	}
}
