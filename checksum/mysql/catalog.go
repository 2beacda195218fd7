package mysql

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum/compare"
	rmysql "github.com/dbmig/dbmig/readers/mysql"
)

// table is what the side knows of one table beyond compare.Table.
type table struct {
	t  *compare.Table
	st *rmysql.ScanTable
	// keyOrder is per key column an SQL expression ordered as the canonical
	// key encoding, keyParam the expression a parameter (%s) is compared to
	// it as, keyText turns a key bound's text into that parameter.
	keyOrder []string
	keyParam []string
	keyText  []func(string) string
	// keySQL says every key column can be ordered in SQL; when not (a
	// float key), ranges are read whole and filtered by the caller.
	keySQL bool
	keyIdx []int    // positions of the key columns
	hashes []string // per column: the bytes pushdown hashes
}

// Tables lists the base tables of the DSN's database the filter selects.
func (s *Side) Tables(ctx context.Context, f compare.Filter) ([]*compare.Table, error) {
	sts, err := s.conn.Tables(ctx, f.Tables, f.Exclude)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make([]*compare.Table, 0, len(sts))
	for _, st := range sts {
		t := &compare.Table{ID: st.ID(), Schema: st.Schema(), Columns: st.Columns(), PrimaryKey: st.PrimaryKey(),
			Constraints: st.Constraints(), Indexes: st.Indexes(), EstRows: st.EstRows(), Engine: "mysql"}
		ti := &table{t: t, st: st}
		if err := ti.prepare(); err != nil {
			return nil, err
		}
		s.tables[t] = ti
		out = append(out, t)
	}
	return out, nil
}

func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// prepare chooses the key and hash expressions of the table's columns.
func (ti *table) prepare() error {
	selects := ti.st.Selects()
	for i, f := range ti.t.Schema.Fields() {
		ti.hashes = append(ti.hashes, hashExpr(selects[i], f.Type))
	}
	ti.keySQL = true
	for _, name := range ti.t.PrimaryKey {
		i := ti.t.Index(name)
		if i < 0 {
			return fmt.Errorf("table %s: key column %s not found", ti.t.ID, name)
		}
		order, param, text, ok := keyExpr(quoteIdent(name), ti.t.Schema.Field(i).Type, ti.t.Columns[i].Logical)
		ti.keySQL = ti.keySQL && ok
		ti.keyIdx = append(ti.keyIdx, i)
		ti.keyOrder = append(ti.keyOrder, order)
		ti.keyParam = append(ti.keyParam, param)
		ti.keyText = append(ti.keyText, text)
	}
	return nil
}

func same(s string) string { return s }

// keyExpr returns how a key column of type dt compares in SQL in the
// canonical key order: its expression, the expression of a bound (%s is
// the parameter), and the conversion of a bound's text (checksum.ValueText)
// into that parameter. ok is false when SQL cannot order it so.
func keyExpr(ident string, dt arrow.DataType, logical string) (order, param string, text func(string) string, ok bool) {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		// A string parameter compared to an integer would be compared as
		// a double: cast it.
		return ident, "CAST(%s AS SIGNED)", same, true
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return ident, "CAST(%s AS UNSIGNED)", same, true
	case arrow.DECIMAL128:
		scale := dt.(*arrow.Decimal128Type).Scale
		return ident, fmt.Sprintf("CAST(%%s AS DECIMAL(65,%d))", scale), same, true
	case arrow.DATE32:
		return ident, "CAST(%s AS DATE)", zeroDate("0000-00-00"), true
	case arrow.TIMESTAMP:
		// The session time zone is UTC: a timestamp compares as its UTC
		// wall clock.
		return ident, "CAST(%s AS DATETIME(6))", func(s string) string {
			return zeroDate("0000-00-00 00:00:00")(strings.TrimSuffix(s, "+00"))
		}, true
	case arrow.DURATION, arrow.TIME64:
		return ident, "CAST(%s AS TIME(6))", same, true
	case arrow.BINARY, arrow.LARGE_BINARY:
		// Binary strings compare bytewise, without padding: as the
		// canonical encoding.
		return ident, "UNHEX(%s)", func(s string) string { return strings.TrimPrefix(s, `\x`) }, true
	case arrow.FIXED_SIZE_BINARY:
		// MariaDB's uuid sorts its own way; its text (lowercase hex at
		// fixed places) sorts as its bytes.
		return "CAST(CAST(" + ident + " AS CHAR) AS BINARY)", "CAST(%s AS BINARY)", same, true
	case arrow.STRING, arrow.LARGE_STRING:
		if logical == "text-cast" {
			return "CAST(CONVERT(CAST(" + ident + " AS CHAR) USING utf8mb4) AS BINARY)", "CAST(%s AS BINARY)", same, true
		}
		// The UTF-8 bytes, whatever the collation says is equal.
		return "CAST(CONVERT(" + ident + " USING utf8mb4) AS BINARY)", "CAST(%s AS BINARY)", same, true
	}
	return ident, "%s", same, false
}

// zeroDate maps the text of the Arrow minimum (a MySQL zero date, which
// checksum.ValueText writes as -infinity) back to the zero literal.
func zeroDate(zero string) func(string) string {
	return func(s string) string {
		if s == "-infinity" {
			return zero
		}
		return s
	}
}

// hashExpr is what pushdown hashes of a column read by sel: its text as
// binary bytes, text columns converted to UTF-8 (two servers with
// different column charsets then hash alike).
func hashExpr(sel string, dt arrow.DataType) string {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return "CAST(CONVERT(" + sel + " USING utf8mb4) AS BINARY)"
	}
	// sel widens a FLOAT to DOUBLE (FLOAT prints only 6 digits).
	return "CAST(" + sel + " AS BINARY)"
}
