package convert

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Target engines.
const (
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
)

// Options choose the target and every lossy or policy-dependent rule. The
// zero value of each policy is the safe one: stop with an error rather
// than change a value.
type Options struct {
	// To is the target engine: EnginePostgres or EngineMySQL.
	To string

	// Identifiers renames tables, columns, indexes and constraints (and
	// every reference to them): "preserve" (default), "lower" or "snake"
	// (OrderLine.ProductId → order_line.product_id).
	Identifiers string
	// Schema is the target schema (PostgreSQL) or database (MySQL) for
	// tables of the stream's source database; "" keeps the source's name
	// (after the identifier policy).
	Schema string

	// MySQL → PostgreSQL.

	// Tinyint1AsBool declares tinyint(1) columns boolean; a value other
	// than 0 or 1 is then an error naming the key. Default: smallint.
	Tinyint1AsBool bool
	// ZeroDates is what happens to MySQL zero dates (0000-00-00):
	// "error" (default), "null" or "epoch" (1970-01-01).
	ZeroDates string
	// EnumAsText declares enums text with a CHECK listing the labels,
	// instead of a PostgreSQL enum type named <table>_<column>.
	EnumAsText bool
	// StripNUL removes NUL bytes from text (PostgreSQL text cannot hold
	// them) instead of stopping with an error.
	StripNUL bool

	// PostgreSQL → MySQL.

	// NumericAs is how unconstrained numeric columns are declared: ""
	// (error), "decimal(65,30)" (values with more digits are an error) or
	// "text".
	NumericAs string
	// TimestamptzAs declares timestamptz columns "timestamp" (MySQL
	// timestamp(6), values outside 1970–2038 are an error; default) or
	// "datetime" (datetime(6) holding UTC wall-clock time).
	TimestamptzAs string
	// IntervalAs declares interval columns: "" (error), "time" (values
	// without months within ±838:59:59, else an error) or "text".
	IntervalAs string
	// UUIDAs declares uuid columns "char" (char(36), default) or "binary"
	// (binary(16)).
	UUIDAs string
	// ArraysAsJSON declares array columns json, holding a JSON array.
	ArraysAsJSON bool
	// Like lists the tables of an existing MySQL database (dbconvert
	// --like): a stream table found there (by name, ignoring case, or by
	// the snake form of the name) is converted to the exact types of its
	// columns instead of types derived from PostgreSQL's. Other tables
	// convert as without it.
	Like []LikeTable
	// Infinity is what happens to ±infinity dates and timestamps: "error"
	// (default) or "null".
	Infinity string

	// Allocator is used for converted arrays (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

// Validate fills defaults and checks the choices.
func (o *Options) Validate() error {
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.Identifiers, "preserve")
	def(&o.ZeroDates, "error")
	def(&o.TimestamptzAs, "timestamp")
	def(&o.UUIDAs, "char")
	def(&o.Infinity, "error")
	checks := []struct {
		flag, v string
		allowed []string
	}{
		{"to", o.To, []string{EnginePostgres, EngineMySQL}},
		{"identifiers", o.Identifiers, []string{"preserve", "lower", "snake"}},
		{"zero-dates", o.ZeroDates, []string{"error", "null", "epoch"}},
		{"numeric-as", o.NumericAs, []string{"", "decimal(65,30)", "text"}},
		{"timestamptz-as", o.TimestamptzAs, []string{"timestamp", "datetime"}},
		{"interval-as", o.IntervalAs, []string{"", "time", "text"}},
		{"uuid-as", o.UUIDAs, []string{"char", "binary"}},
		{"infinity", o.Infinity, []string{"error", "null"}},
	}
	if len(o.Like) > 0 && o.To != EngineMySQL {
		return fmt.Errorf("--like: only with --to mysql")
	}
	for _, c := range checks {
		ok := false
		for _, a := range c.allowed {
			ok = ok || c.v == a
		}
		if !ok {
			return fmt.Errorf("--%s %q: want one of %s", c.flag, c.v, strings.Join(nonEmpty(c.allowed), ", "))
		}
	}
	return nil
}

func nonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
