// Package compare finds the rows that differ between two tables (or two
// databases, or a database and a stream): both sides cut each table into
// the same primary-key ranges, compare an order-independent digest per
// range, split only the ranges that differ, and compare the rows of the
// small ranges left, reporting missing, extra and changed rows with the
// columns and both values. See docs/CHECKSUM.md.
//
// A database or a stream is a Side. Sides know how to list their tables and
// scan rows of key ranges as Arrow batches; the hashing, the ordering of
// keys and the row comparison happen here, in the canonical encoding of
// package checksum, so that two engines compare alike. A Side may also
// compute range digests itself (Pusher: the database hashes, rows do not
// cross the wire) when both sides are the same engine.
package compare

import (
	"context"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/checksum"
	"github.com/dbmig/dbmig/format"
)

// Side is one of the two things compared: a database or a dbmig stream.
type Side interface {
	// Name describes the side in messages (a redacted DSN, a file name).
	Name() string
	// Tables lists the tables the filter selects.
	Tables(ctx context.Context, f Filter) ([]*Table, error)
	// Scan calls fn with record batches of t (of t.Schema) holding at least
	// every row of t inside ranges, or every row when ranges is nil. It may
	// return rows outside them (a stream file cannot seek): the caller
	// filters. A batch is valid during fn only; fn Retains it to keep it.
	Scan(ctx context.Context, t *Table, ranges []Range, fn func(arrow.RecordBatch) error) error
	Close() error
}

// Sampler is a Side that reads a sample of keys cheaply (a database reads
// a few blocks instead of the table).
type Sampler interface {
	// SampleKeys calls fn with batches of t's key columns (in key order)
	// holding about n keys spread over r (more is fine: the caller samples
	// them down).
	SampleKeys(ctx context.Context, t *Table, r Range, n int, fn func(arrow.RecordBatch) error) error
}

// Pusher is a Side that computes range digests inside the database.
// Such digests hash rows the database's way: they are comparable only with
// digests of a side for which PushdownWith returns nil.
type Pusher interface {
	// PushdownWith says why digests of this side and other cannot be
	// compared (a different engine or server version), or nil.
	PushdownWith(other Side) error
	// Digests returns len(bounds)+1 digests of the rows of t in parent cut
	// at bounds (ascending): [parent.Lo, bounds[0]), [bounds[0], bounds[1]),
	// … [bounds[n-1], parent.Hi), over the named columns in that order.
	Digests(ctx context.Context, t *Table, columns []string, parent Range, bounds []Key) ([]checksum.Digest, error)
}

// Table is a table of one side.
type Table struct {
	ID      format.TableID
	Schema  *arrow.Schema // of the batches Scan returns
	Columns []format.Column
	// PrimaryKey lists the key columns in key order; empty when the table
	// has none (its rows can then be counted and digested, not matched).
	PrimaryKey  []string
	Constraints []format.Constraint
	Indexes     []format.Index
	// EstRows is the side's estimate of the table's rows (for choosing
	// range sizes), -1 when unknown.
	EstRows int64
	// Engine is the engine the table lives in ("postgres", "mysql"), or
	// for a stream the engine it was read from.
	Engine string
}

// Index returns the position of the named column in t.Schema, or -1.
func (t *Table) Index(name string) int {
	for i, f := range t.Schema.Fields() {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Key is a primary key value: its canonical encoding (whose bytewise order
// is the key order) and its columns as text (literals for SQL parameters).
type Key struct {
	Enc   []byte
	Texts []string
}

// Range is a key range [Lo, Hi) in canonical key order; a nil bound is
// open. A Point range holds the one key Lo.
type Range struct {
	Lo, Hi *Key
	Point  bool
}

// Contains reports whether the key encoded enc lies in r.
func (r Range) Contains(enc []byte) bool {
	if r.Point {
		return string(enc) == string(r.Lo.Enc)
	}
	return (r.Lo == nil || string(enc) >= string(r.Lo.Enc)) && (r.Hi == nil || string(enc) < string(r.Hi.Enc))
}

// Filter selects tables by pattern: "schema.table" or "table" (any
// schema), * and ? as in shell globs. Empty Tables selects all.
type Filter struct {
	Tables, Exclude []string
}

// Match reports whether the filter selects the table.
func (f Filter) Match(id format.TableID) bool {
	match := func(p string) bool {
		name := id.Name
		if strings.Contains(p, ".") {
			name = id.Schema + "." + id.Name
		}
		ok, _ := path.Match(p, name)
		return ok
	}
	in := len(f.Tables) == 0
	for _, p := range f.Tables {
		in = in || match(p)
	}
	for _, p := range f.Exclude {
		if match(p) {
			return false
		}
	}
	return in
}
