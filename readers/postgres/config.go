package postgres

import (
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Config says what to extract and how.
type Config struct {
	// DSN is a PostgreSQL connection string in any form pgx accepts (URL or
	// key=value); PGPASSWORD, PGSSLMODE, ~/.pgpass etc. apply as in psql.
	DSN string
	// Tables and Exclude select tables by pattern: "schema.table" or "table"
	// (any schema), where * matches any run of characters. Empty Tables
	// selects every ordinary table outside the system schemas.
	Tables, Exclude []string
	// Parallel is the number of worker connections (default 2).
	Parallel int
	// ChunkBytes is the heap size above which a table is split into
	// key or block ranges, one segment each (default 32 MiB).
	ChunkBytes int64
	// SplitBy chooses how tables over ChunkBytes are split: "scan" (one
	// sequential COPY per table, cut into segments of ChunkBytes: cheapest
	// for the server, and the default "auto"), "pk" (integer primary key
	// ranges read in parallel, else CTID ranges), "ctid" (block ranges read in
	// parallel), or "none" (one segment per table).
	SplitBy string
	// BatchRows and BatchBytes bound one record batch (defaults 65536 rows,
	// 8 MiB of values).
	BatchRows  int
	BatchBytes int64
	// Snapshot, when set, is an exported snapshot (pg_export_snapshot, or a
	// replication slot's) to read in instead of exporting a new one.
	Snapshot string
	// NumericAsText carries every numeric as exact text (--numeric=text).
	NumericAsText bool
	// UnsupportedAsText reads columns of unsupported types as text
	// (--unsupported=text) instead of failing.
	UnsupportedAsText bool

	// Allocator backs the decoded batches; it need not zero memory (the
	// default recycles buffers, see internal/bufpool).
	Allocator memory.Allocator
	Logger    *slog.Logger
	// OnPlan, if set, is called once with the totals of the plan, before
	// any data is read. OnChunk is called as each chunk is written, from the
	// worker goroutines (it must be safe for concurrent use).
	OnPlan  func(p Plan)
	OnChunk func(c ChunkDone)
}

// Plan summarizes what Extract is about to read.
type Plan struct {
	Tables    int
	Chunks    int
	EstRows   int64
	EstBytes  int64
	Snapshot  string
	SourceLSN string
}

// ChunkDone reports one extracted chunk.
type ChunkDone struct {
	Table    string // schema.table
	Chunk    string
	Rows     int64
	EstBytes int64 // the chunk's estimated heap bytes (for progress)
}

// Stats is the result of an extraction.
type Stats struct {
	Tables   int
	Chunks   int
	Rows     int64
	Snapshot string
}
