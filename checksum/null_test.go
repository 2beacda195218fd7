package checksum

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// NULLs are read from the validity bitmap at the array's offset: a sliced
// batch hashes its rows as a fresh batch of the same values does.
func TestNullsInSlicedBatch(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	build := func(vals []int64, valid []bool) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).AppendValues(vals, valid)
		return b.NewRecordBatch()
	}
	whole := build([]int64{1, 0, 3, 0}, []bool{true, false, true, false})
	defer whole.Release()
	sliced := whole.NewSlice(1, 4) // NULL, 3, NULL
	defer sliced.Release()
	fresh := build([]int64{0, 3, 0}, []bool{false, true, false})
	defer fresh.Release()
	noNulls := build([]int64{0, 3, 0}, nil)
	defer noNulls.Release()

	hash := func(rec arrow.RecordBatch) []Hash {
		h, err := NewHasher(schema, []int{0})
		if err != nil {
			t.Fatal(err)
		}
		h.Bind(rec)
		var out []Hash
		for i := 0; i < int(rec.NumRows()); i++ {
			out = append(out, h.Hash(i))
		}
		return out
	}
	s, f, n := hash(sliced), hash(fresh), hash(noNulls)
	for i := range f {
		if s[i] != f[i] {
			t.Errorf("row %d: sliced batch hashes %x, fresh batch %x", i, s[i], f[i])
		}
	}
	if f[0] == n[0] {
		t.Error("NULL and 0 hash alike")
	}
	if f[1] != n[1] {
		t.Error("3 hashes differently in a batch with NULLs and one without")
	}
}
