package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of a comparison.
type Report struct {
	A      string         `json:"a"`
	B      string         `json:"b"`
	Tables []*TableReport `json:"tables"`
}

// TableReport is what was found for one table.
type TableReport struct {
	Table string `json:"table"`
	// Mode is how the rows were compared: pushdown, stream or sample.
	Mode string `json:"mode,omitempty"`
	// RowsA and RowsB are the tables' rows (-1 when not counted).
	RowsA  int64        `json:"rows_a"`
	RowsB  int64        `json:"rows_b"`
	Schema []SchemaDiff `json:"schema,omitempty"`
	Rows   []RowDiff    `json:"rows,omitempty"`
	// MoreRows counts differing rows beyond those listed.
	MoreRows int64 `json:"more_rows,omitempty"`
	// Differs is set when the table's rows differ in a way Rows cannot
	// list (a table without a primary key).
	Differs bool          `json:"differs,omitempty"`
	Note    string        `json:"note,omitempty"`
	Ranges  int           `json:"ranges"` // key ranges whose digests were compared
	Elapsed time.Duration `json:"elapsed_ns"`
	key     []string      // primary key columns, in key order
}

// Equal reports whether nothing differs in the table.
func (t *TableReport) Equal() bool {
	return len(t.Schema) == 0 && len(t.Rows) == 0 && t.MoreRows == 0 && !t.Differs
}

// SchemaDiff is a difference of definitions.
type SchemaDiff struct {
	// What differs: table, column, type, nullable, primary_key, index,
	// foreign_key.
	What string `json:"what"`
	Name string `json:"name,omitempty"`
	A    string `json:"a"`
	B    string `json:"b"`
}

// RowDiff is a row that differs.
type RowDiff struct {
	Kind    string            `json:"kind"` // missing (in A only), extra (in B only), changed
	Key     map[string]string `json:"key"`
	Columns []ColumnDiff      `json:"columns,omitempty"`
	keyEnc  []byte
}

// ColumnDiff is a column whose values differ in a changed row.
type ColumnDiff struct {
	Column string `json:"column"`
	A      string `json:"a"`
	B      string `json:"b"`
}

// Equal reports whether nothing differs.
func (r *Report) Equal() bool {
	for _, t := range r.Tables {
		if !t.Equal() {
			return false
		}
	}
	return true
}

// WriteJSON writes the report as one JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Equal bool `json:"equal"`
		*Report
	}{r.Equal(), r})
}

// WriteText writes the report for people: one line per difference, then
// one summary line per table.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := false
	line := func(cells ...string) {
		if !header {
			fmt.Fprintln(tw, "TABLE\tKEY\tDIFFERENCE\tCOLUMN\tA\tB")
			header = true
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	for _, t := range r.Tables {
		for _, s := range t.Schema {
			line(t.Table, "", s.What, s.Name, s.A, s.B)
		}
		for _, d := range t.Rows {
			key := keyText(d.Key, t)
			if d.Kind != Changed {
				line(t.Table, key, d.Kind, "", "", "")
				continue
			}
			for _, c := range d.Columns {
				line(t.Table, key, d.Kind, c.Column, quoteCell(c.A), quoteCell(c.B))
			}
		}
		if t.MoreRows > 0 {
			line(t.Table, fmt.Sprintf("(%d more rows differ)", t.MoreRows), "", "", "", "")
		}
	}
	if header {
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range r.Tables {
		state := "equal"
		if !t.Equal() {
			state = fmt.Sprintf("%d schema and %d row differences", len(t.Schema), int64(len(t.Rows))+t.MoreRows)
		}
		var facts []string
		if t.RowsA >= 0 || t.RowsB >= 0 {
			facts = append(facts, fmt.Sprintf("rows A %d, B %d", t.RowsA, t.RowsB))
		}
		if t.Mode != "" {
			facts = append(facts, fmt.Sprintf("%s, %d ranges, %s", t.Mode, t.Ranges, t.Elapsed.Round(time.Millisecond)))
		}
		if t.Note != "" {
			facts = append(facts, t.Note)
		}
		extra := ""
		if len(facts) > 0 {
			extra = " (" + strings.Join(facts, "; ") + ")"
		}
		if _, err := fmt.Fprintf(w, "%s: %s%s\n", t.Table, state, extra); err != nil {
			return err
		}
	}
	return nil
}

// keyText writes a key as col=value, in key order when the table's key
// order is known.
func keyText(key map[string]string, t *TableReport) string {
	names := t.key
	if len(names) != len(key) {
		names = names[:0:0]
		for k := range key {
			names = append(names, k)
		}
		slices.Sort(names)
	}
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + quoteCell(key[k])
	}
	return strings.Join(parts, ", ")
}

// quoteCell quotes a value that would break the table's layout.
func quoteCell(s string) string {
	if s == "" || strings.ContainsAny(s, "\t\n\r") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}
