// Package convert rewrites a dbmig stream made by one engine's reader into a
// stream another engine's writer loads: the conversion behind
// `dbconvert --to postgres|mysql` (docs/CONVERT.md).
//
// A converted segment has Header.TargetEngine set, every column's
// TargetType (the type to declare on the target, in its SQL), Arrow types
// the target writer accepts, and defaults, generated expressions,
// collations, constraints and indexes rewritten in the target's SQL. What
// cannot be translated is removed from the header and reported, never
// dropped silently; a value the target cannot hold stops the conversion
// with an error naming table, column and key unless a flag chose another
// representation (and the report then says so).
//
// Convert runs a whole stream. Converter, Table and Table.Batch are the
// same steps for a program that passes Arrow batches in memory (dbmigrate):
//
//	cv := convert.NewConverter(opts)
//	t, err := cv.Table(seg.Header, seg.Columns)   // once per table (or chunk)
//	out, err := t.Batch(rec)                      // per batch; release out
//	rep := cv.Report()
//
// Columns that need no change are passed through without copying (the
// output batch retains the input's arrays).
package convert
