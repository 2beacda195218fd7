package analyze

import (
	"time"

	"github.com/dbmig/dbmig/transforms/convert"
)

// Report is what analyze found: per table the catalog's size, every
// column's conversion, every lossy or unsupported rule with its reason,
// the data-profiling findings that break migrations, then the objects left
// for manual work and an estimated copy time. It is rendered as Markdown,
// JSON and HTML with the same content.
type Report struct {
	Source       string    `json:"source"` // the DSN, password removed
	SourceEngine string    `json:"source_engine"`
	Target       string    `json:"target_engine"`
	Generated    time.Time `json:"generated"`
	// Options are the conversion choices the report (and the DDL) assume,
	// as dbconvert flags ("--zero-dates epoch").
	Options  []string       `json:"options,omitempty"`
	Sample   Sample         `json:"sample"`
	Estimate CopyEstimate   `json:"estimate"`
	Totals   Totals         `json:"totals"`
	Tables   []*Table       `json:"tables"`
	Objects  []Object       `json:"objects"`
	Server   []Finding      `json:"server_findings,omitempty"` // not tied to a table (time zones)
	DDL      *DDLSummary    `json:"ddl,omitempty"`
	Notes    []string       `json:"notes,omitempty"`
	Convert  convert.Report `json:"-"` // the converter's own report, for programs
	// Script is the target DDL (PostgreSQL targets), written by --ddl.
	Script *Script `json:"-"`
}

// Script is the target DDL in the order it must run: PreData before the
// data is copied, PostData (indexes, keys, constraints, sequences) and
// Views after it.
type Script struct {
	PreData, PostData, Views []string
}

// All is every statement in order.
func (s *Script) All() []string {
	return append(append(append([]string(nil), s.PreData...), s.PostData...), s.Views...)
}

// Totals sum the tables and list what needs a decision.
type Totals struct {
	Tables   int   `json:"tables"`
	Rows     int64 `json:"rows"`
	Bytes    int64 `json:"bytes"`
	Lossy    int   `json:"lossy"`    // lossy column rules and items
	Findings int   `json:"findings"` // data-profiling findings
	Manual   int   `json:"manual"`   // objects left for manual work
}

// Sample says how the data was sampled.
type Sample struct {
	RowsPerTable int           `json:"rows_per_table"`
	Rows         int64         `json:"rows"`
	Read         time.Duration `json:"read_ns"`
	// ExactMaxBytes is the table size up to which checks ran over the
	// whole table in SQL (exact); bigger tables are profiled on the sample.
	ExactMaxBytes int64 `json:"exact_max_bytes"`
}

// CopyEstimate extrapolates the sample's read rate to the whole source.
type CopyEstimate struct {
	Bytes       int64         `json:"bytes"`
	BytesPerSec float64       `json:"bytes_per_sec"`
	Duration    time.Duration `json:"duration_ns"`
	Assumption  string        `json:"assumption"`
}

// Table is one table's analysis.
type Table struct {
	Source      string    `json:"source"`
	Target      string    `json:"target"`
	Rows        int64     `json:"rows"`  // catalog estimate
	Bytes       int64     `json:"bytes"` // catalog size
	SampledRows int64     `json:"sampled_rows"`
	Exact       bool      `json:"exact_checks"` // findings of the checks in SQL cover every row
	Columns     []Column  `json:"columns"`
	Issues      []Issue   `json:"issues,omitempty"`
	Findings    []Finding `json:"findings,omitempty"`
}

// Column is one column's conversion.
type Column struct {
	Source     string `json:"source"`
	Target     string `json:"target"`
	SourceType string `json:"source_type"`
	TargetType string `json:"target_type"`
	Rule       string `json:"rule"`
	Lossy      bool   `json:"lossy,omitempty"`
	Flag       string `json:"flag,omitempty"`
}

// Issue is a lossy, unsupported or behaviour-changing conversion: a lossy
// column rule, or an item the converter dropped or changed.
type Issue struct {
	Kind   string `json:"kind"` // "lossy", "dropped", "behaviour", "unsupported"
	Column string `json:"column,omitempty"`
	What   string `json:"what"`
	Why    string `json:"why,omitempty"`
}

// Finding kinds.
const (
	FindZeroDate     = "zero-date"
	FindUnsignedHigh = "unsigned-above-int64"
	FindNUL          = "nul-byte"
	FindTooLong      = "too-long"
	FindCaseCollide  = "collation-duplicate"
	FindTimeZone     = "time-zone"
	FindBlocker      = "conversion-stops"
	FindForeignType  = "foreign-key-types"
)

// Finding is a fact about the data (or the server) that breaks a
// migration unless something is chosen.
type Finding struct {
	Kind   string `json:"kind"`
	Column string `json:"column,omitempty"`
	// Count is the number of rows found; Exact says whether it covers the
	// whole table (a check in SQL) or only the sample.
	Count   int64  `json:"count"`
	Exact   bool   `json:"exact"`
	Example string `json:"example,omitempty"`
	Why     string `json:"why"`
	Fix     string `json:"fix,omitempty"`
}

// Object is a view, trigger, routine or event and what becomes of it.
type Object struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Table  string `json:"table,omitempty"`
	Status string `json:"status"` // "translated" or "manual"
	Note   string `json:"note"`
}

// DDLSummary counts the statements of the target DDL.
type DDLSummary struct {
	PreData  int    `json:"pre_data"`
	PostData int    `json:"post_data"`
	Views    int    `json:"views"`
	Checked  string `json:"checked,omitempty"` // "dry run on the target: ok" when --target was given
}
