package compare

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/format"
)

// diffSchema lists what differs between the definitions of two tables:
// columns, their types (as declared when both sides are the same engine,
// else the value class the type maps to, see TYPES.md and TYPES-MYSQL.md),
// nullability, primary key, indexes and foreign keys (by columns, not by
// name: names are not carried over by every migration).
func diffSchema(a, b *Table) []SchemaDiff {
	var out []SchemaDiff
	add := func(what, name, va, vb string) {
		out = append(out, SchemaDiff{What: what, Name: name, A: va, B: vb})
	}
	same := a.Engine == b.Engine
	for _, ca := range a.Columns {
		i := b.Index(ca.Name)
		if i < 0 {
			add("column", ca.Name, describe(ca, same), "missing")
			continue
		}
		cb := b.Columns[i]
		if ta, tb := describe(ca, same), describe(cb, same); ta != tb {
			add("type", ca.Name, ta, tb)
		}
		if ca.Nullable != cb.Nullable {
			add("nullable", ca.Name, nullable(ca.Nullable), nullable(cb.Nullable))
		}
	}
	for _, cb := range b.Columns {
		if a.Index(cb.Name) < 0 {
			add("column", cb.Name, "missing", describe(cb, same))
		}
	}
	if pa, pb := strings.Join(a.PrimaryKey, ", "), strings.Join(b.PrimaryKey, ", "); pa != pb {
		add("primary_key", "", orNone(pa), orNone(pb))
	}
	ia, ib := indexSet(a), indexSet(b)
	for _, k := range setDiff(ia, ib) {
		add("index", k, "present", "missing")
	}
	for _, k := range setDiff(ib, ia) {
		add("index", k, "missing", "present")
	}
	fa, fb := foreignKeys(a), foreignKeys(b)
	for _, k := range setDiff(fa, fb) {
		add("foreign_key", k, "present", "missing")
	}
	for _, k := range setDiff(fb, fa) {
		add("foreign_key", k, "missing", "present")
	}
	return out
}

func nullable(n bool) string {
	if n {
		return "NULL"
	}
	return "NOT NULL"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// describe is what must be equal of a column's type: the declared type
// between two tables of one engine, else the class of values it holds.
func describe(c format.Column, sameEngine bool) string {
	if sameEngine && c.DeclaredType() != "" {
		return c.DeclaredType()
	}
	// Bit strings: MySQL bit(n) (an integer) and PostgreSQL bit varying(n)
	// (read as text) hold the same digits.
	if st := strings.ToLower(c.SourceType); c.Logical == "bit" || strings.HasPrefix(st, "bit(") || strings.HasPrefix(st, "bit varying") {
		return "bit string"
	}
	return valueClass(c.Type, c.Logical)
}

// valueClass names the canonical class of a type's values (docs/CHECKSUM.md):
// types of one class can hold equal values.
func valueClass(t arrow.DataType, logical string) string {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.DECIMAL128:
		return "exact number"
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return "float"
	case arrow.STRING, arrow.LARGE_STRING:
		switch logical {
		case "json", "jsonb":
			return "json"
		case "numeric":
			return "exact number"
		case "set":
			return "list of text" // a MySQL set is its members (text[] in PostgreSQL)
		}
		return "text"
	case arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_BINARY:
		return "binary"
	case arrow.DATE32, arrow.DATE64:
		return "date"
	case arrow.TIMESTAMP:
		return "timestamp"
	case arrow.TIME32, arrow.TIME64, arrow.DURATION,
		arrow.INTERVAL_MONTH_DAY_NANO, arrow.INTERVAL_MONTHS, arrow.INTERVAL_DAY_TIME:
		// One class: an interval without months and days equals a time
		// (MySQL time becomes a PostgreSQL interval).
		return "time or interval"
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST:
		return "list of " + valueClass(t.(arrow.ListLikeType).Elem(), logical)
	}
	return t.String()
}

func indexSet(t *Table) []string {
	var out []string
	for _, ix := range t.Indexes {
		if len(ix.Columns) == 0 {
			continue // expression indexes do not translate between engines
		}
		if ix.Unique && slices.Equal(ix.Columns, t.PrimaryKey) {
			continue // the primary key's own index: PostgreSQL lists it, MySQL does not
		}
		k := "(" + strings.Join(ix.Columns, ", ") + ")"
		if ix.Unique {
			k = "unique " + k
		}
		out = append(out, k)
	}
	return out
}

func foreignKeys(t *Table) []string {
	var out []string
	for _, c := range t.Constraints {
		if c.Kind == "foreign" {
			out = append(out, fmt.Sprintf("(%s) references %s(%s)", strings.Join(c.Columns, ", "), c.RefTable, strings.Join(c.RefColumns, ", ")))
		}
	}
	return out
}

// setDiff returns the elements of a not in b, sorted, counting duplicates.
func setDiff(a, b []string) []string {
	left := map[string]int{}
	for _, s := range b {
		left[s]++
	}
	var out []string
	for _, s := range a {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
