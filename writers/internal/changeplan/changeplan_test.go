package changeplan

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
)

// changeBatch builds a change batch of a table (id bigint key, v text): ops
// and ids per row, after images only except for deletes.
func changeBatch(ops []string, ids []int64) arrow.RecordBatch {
	fields := []arrow.Field{
		{Name: format.ChangeOp, Type: arrow.BinaryTypes.String},
		{Name: format.ChangeLSN, Type: arrow.PrimitiveTypes.Int64},
		{Name: format.ChangeCommitLSN, Type: arrow.PrimitiveTypes.Int64},
		{Name: format.ChangeXID, Type: arrow.PrimitiveTypes.Int64},
		{Name: format.ChangeCommitTime, Type: arrow.PrimitiveTypes.Int64},
		{Name: format.ChangeUnchanged, Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: format.ChangeBefore, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "dbmig.before.id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "dbmig.before.v", Type: arrow.BinaryTypes.String, Nullable: true},
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i, op := range ops {
		b.Field(0).(*array.StringBuilder).Append(op)
		for c := 1; c <= 4; c++ {
			b.Field(c).(*array.Int64Builder).Append(int64(i + 1))
		}
		b.Field(5).(*array.BinaryBuilder).AppendNull()
		if op == format.OpDelete {
			b.Field(6).(*array.StringBuilder).Append("key")
			b.Field(7).(*array.Int64Builder).AppendNull()
			b.Field(8).(*array.StringBuilder).AppendNull()
			b.Field(9).(*array.Int64Builder).Append(ids[i])
		} else {
			b.Field(6).(*array.StringBuilder).AppendNull()
			b.Field(7).(*array.Int64Builder).Append(ids[i])
			b.Field(8).(*array.StringBuilder).Append(fmt.Sprint("v", i))
			b.Field(9).(*array.Int64Builder).AppendNull()
		}
		b.Field(10).(*array.StringBuilder).AppendNull()
	}
	return b.NewRecordBatch()
}

func segment(rec arrow.RecordBatch) []*format.ChangeSegment {
	return []*format.ChangeSegment{{Columns: make([]format.Column, 2), Batches: []arrow.RecordBatch{rec}}}
}

// Per key the last image wins and a delete wins.
func TestCollapse(t *testing.T) {
	rec := changeBatch(
		[]string{format.OpInsert, format.OpInsert, format.OpUpdate, format.OpDelete, format.OpInsert},
		[]int64{1, 2, 1, 2, 3})
	defer rec.Release()
	p, err := Collapse(segment(rec), []int{0}, []int{0, 1}, 0, "t")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(p.Steps)
	if want := "[{2 false 0 } {3 true -1 } {4 false 0 }]"; got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
	if p, _ := Collapse(segment(rec), []int{0}, []int{0, 1}, 4, "t"); p.Skipped != 3 {
		t.Errorf("skipped %d rows below position 4, want 3", p.Skipped)
	}
}

func BenchmarkCollapse(b *testing.B) {
	const n = 100000
	ops, ids := make([]string, n), make([]int64, n)
	for i := range ops {
		ops[i], ids[i] = format.OpInsert, int64(i%(n/2))
	}
	rec := changeBatch(ops, ids)
	defer rec.Release()
	segs := segment(rec)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Collapse(segs, []int{0}, []int{0, 1}, 0, "t"); err != nil {
			b.Fatal(err)
		}
	}
}
