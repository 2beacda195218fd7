package convert

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Report lists every rule a conversion applied, per column, and every
// lossy choice, dropped item and object left for manual work, so nothing
// changes silently. dbconvert prints it on stderr and with --report-json.
type Report struct {
	From    string         `json:"from"`
	To      string         `json:"to"`
	Tables  []*TableReport `json:"tables"`
	Objects []ObjectReport `json:"objects,omitempty"`
}

// TableReport is one table's conversion.
type TableReport struct {
	Source  string         `json:"source"` // database.table at the source
	Target  string         `json:"target"` // schema.table at the target
	Rows    int64          `json:"rows"`
	Columns []ColumnReport `json:"columns"`
	Items   []Item         `json:"items,omitempty"`
}

// ColumnReport is the rule applied to one column.
type ColumnReport struct {
	Source     string `json:"source"`
	Target     string `json:"target"`
	SourceType string `json:"source_type"`
	TargetType string `json:"target_type"`
	Rule       string `json:"rule"`
	// Lossy is set when the rule can change values or meaning; Flag names
	// the option that chose it ("" when it is the only mapping).
	Lossy bool   `json:"lossy,omitempty"`
	Flag  string `json:"flag,omitempty"`
	// Changed counts values the rule rewrote (zero dates nulled, NULs
	// stripped, ...).
	Changed int64 `json:"values_changed,omitempty"`
}

// Item kinds.
const (
	ItemDropped    = "dropped"    // removed from the header: the target gets no such thing
	ItemBehaviour  = "behaviour"  // kept, but the target behaves differently
	ItemLossy      = "lossy"      // a flag chose a conversion that loses information
	ItemTranslated = "translated" // rewritten in the target's SQL
	ItemRenamed    = "renamed"
)

// Item is one fact about a table's conversion beyond its column types.
type Item struct {
	Kind string `json:"kind"`
	What string `json:"what"`
	Why  string `json:"why,omitempty"`
}

// ObjectReport is a catalog object (view, trigger, routine) and what the
// conversion did with it.
type ObjectReport struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Status string `json:"status"` // "translated" or "manual"
	Note   string `json:"note"`
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "conversion %s -> %s: %d tables\n", r.From, r.To, len(r.Tables))
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "table %s -> %s (%d rows)\n", t.Source, t.Target, t.Rows)
		for _, c := range t.Columns {
			name := c.Source
			if c.Target != c.Source {
				name += " -> " + c.Target
			}
			fmt.Fprintf(&b, "  column %s: %s -> %s: %s", name, c.SourceType, c.TargetType, c.Rule)
			if c.Lossy {
				b.WriteString(" [lossy")
				if c.Flag != "" {
					b.WriteString(", chosen by --" + c.Flag)
				}
				b.WriteString("]")
			}
			if c.Changed > 0 {
				fmt.Fprintf(&b, " (%d values changed)", c.Changed)
			}
			b.WriteString("\n")
		}
		for _, it := range t.Items {
			fmt.Fprintf(&b, "  %s: %s", it.Kind, it.What)
			if it.Why != "" {
				b.WriteString(": " + it.Why)
			}
			b.WriteString("\n")
		}
	}
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "%s %s: %s: %s\n", o.Kind, o.Name, o.Status, o.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
