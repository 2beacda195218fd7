package convert

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
)

func pgHeader(schema, table string, pk ...string) format.Header {
	return format.Header{Table: format.TableID{Engine: "postgres", Database: "app", Schema: schema, Name: table},
		PrimaryKey: pk, Chunk: format.Chunk{ID: "all"}}
}

// likeOrderLine is an existing MySQL table as readers/mysql describes it.
var likeOrderLine = LikeTable{Database: "shop", Name: "OrderLine", PrimaryKey: []string{"Id"}, Columns: []format.Column{
	{Name: "Id", Type: arrow.PrimitiveTypes.Uint32, SourceType: "int(10) unsigned", PKOrdinal: 1, Identity: "by default"},
	{Name: "Qty", Type: arrow.PrimitiveTypes.Int8, SourceType: "tinyint(4)", Nullable: true},
	{Name: "Tags", Type: arrow.BinaryTypes.String, SourceType: "set('x','y')", Logical: "set", Nullable: true,
		Extra: map[string]string{fieldMyValues: `["x","y"]`}},
	{Name: "Note", Type: arrow.BinaryTypes.String, SourceType: "varchar(10)", Nullable: true, Default: "'-'"},
	{Name: "Twice", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint(20)", Nullable: true, Generated: "`Qty` * 2"},
}}

func tagLists(rows ...[]string) arrow.Array {
	b := array.NewListBuilder(mem, arrow.BinaryTypes.String)
	defer b.Release()
	vb := b.ValueBuilder().(*array.StringBuilder)
	for _, r := range rows {
		b.Append(true)
		for _, m := range r {
			vb.Append(m)
		}
	}
	return b.NewArray()
}

func orderLineStream(t *testing.T, qty []any, tags [][]string, extra ...format.Column) []byte {
	cols := []format.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint", PKOrdinal: 1},
		{Name: "qty", Type: arrow.PrimitiveTypes.Int16, SourceType: "smallint", Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), SourceType: "text[]", Nullable: true},
		{Name: "twice", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint", Nullable: true},
	}
	ids := make([]any, len(qty))
	for i := range ids {
		ids[i] = i + 1
	}
	arrays := []arrow.Array{i64s(ids...), i16s(qty...), tagLists(tags...), i64s(ids...)}
	for _, c := range extra {
		cols = append(cols, c)
		arrays = append(arrays, i64s(ids...))
	}
	return writeStream(t, []myTable{{header: pgHeader("shop", "order_line", "id"), cols: cols, arrays: arrays}})
}

// Stream names renamed by --identifiers snake on the way out find the
// original table and columns; values take the exact MySQL types.
func TestLikeConvertsToExistingTypes(t *testing.T) {
	in := orderLineStream(t, []any{-128, 127}, [][]string{{"y", "x"}, {}})
	out, rep, err := convertStream(t, Options{To: EngineMySQL, Like: []LikeTable{likeOrderLine}}, in)
	if err != nil {
		t.Fatal(err)
	}
	segs := readStream(t, out)
	s := segs[0]
	if s.header.Table.Name != "OrderLine" || s.header.Table.Schema != "shop" || s.header.TargetEngine != EngineMySQL {
		t.Errorf("header %+v", s.header.Table)
	}
	var names []string
	for _, c := range s.cols {
		names = append(names, c.Name+" "+c.Type.String()+" "+c.TargetType)
	}
	if got := strings.Join(names, "; "); got != "Id uint32 int(10) unsigned; Qty int8 tinyint(4); Tags utf8 set('x','y')" {
		t.Errorf("columns %s", got)
	}
	rec := s.recs[0]
	if got := rec.Column(1).String() + " " + rec.Column(2).String(); got != `[-128 127] ["x,y" ""]` {
		t.Errorf("values %s", got)
	}
	if r := rep.Tables[0].Columns[3].Rule; !strings.Contains(r, "not written: generated") {
		t.Errorf("generated column rule %q", r)
	}
}

func TestLikeErrors(t *testing.T) {
	like := []LikeTable{likeOrderLine}
	for name, tc := range map[string]struct {
		in   []byte
		like []LikeTable
		want string
	}{
		"out of range": {orderLineStream(t, []any{1, 300}, [][]string{{}, {}}), like,
			"table shop.order_line, column qty, key (id)=(2): 300 is outside the column's range -128..127"},
		"not a set member": {orderLineStream(t, []any{1, 2}, [][]string{{"x"}, {"x", "z"}}), like,
			`column tags, key (id)=(2): "z" is not a member of the set`},
		"column absent from the target": {orderLineStream(t, []any{1}, [][]string{{}},
			format.Column{Name: "color", Type: arrow.PrimitiveTypes.Int64, SourceType: "bigint"}), like,
			"the --like table `shop`.`OrderLine` has no column color"},
		"target column without default": {orderLineStream(t, []any{1}, [][]string{{}}), []LikeTable{func() LikeTable {
			lt := likeOrderLine
			lt.Columns = append(append([]format.Column(nil), lt.Columns...), format.Column{Name: "Must", Type: arrow.PrimitiveTypes.Int32, SourceType: "int(11)"})
			return lt
		}()}, "column Must of the --like table `shop`.`OrderLine` is not in the stream and has no default"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := convertStream(t, Options{To: EngineMySQL, Like: tc.like}, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestMatchName(t *testing.T) {
	cands := []string{"OrderLine", "orderline", "Item"}
	for name, want := range map[string]int{"OrderLine": 0, "orderline": 1, "order_line": 0, "ITEM": 2, "nothing": -1} {
		if got, err := matchName(name, cands); got != want || err != nil {
			t.Errorf("%s: %d %v, want %d", name, got, err, want)
		}
	}
	if _, err := matchName("ORDERLINE", cands); err == nil {
		t.Errorf("ORDERLINE matches two names ignoring case: want an error")
	}
}
