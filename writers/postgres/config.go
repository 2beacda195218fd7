package postgres

import (
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dbmig/dbmig/format"
)

// Config says where and how to load a stream.
type Config struct {
	// DSN is a PostgreSQL connection string in any form pgx accepts.
	DSN string
	// Create creates the stream's schemas, types, sequences and tables
	// (tables first; keys, indexes, checks and foreign keys after the data).
	// Without it the tables must exist and rows are appended.
	Create bool
	// Parallel is the number of worker connections (default 2).
	Parallel int
	// Analyze runs ANALYZE on every loaded table at the end (with Create).
	Analyze bool
	// MaintenanceWorkMem, if set, is the maintenance_work_mem of index builds
	// (e.g. "512MB").
	MaintenanceWorkMem string

	Allocator memory.Allocator
	Logger    *slog.Logger
	// OnStream, if set, is called with the first segment's header, before
	// anything is loaded.
	OnStream func(h format.Header)
	// OnChunk is called after each chunk commits (or is found already
	// committed by an earlier run), from worker goroutines.
	OnChunk func(c ChunkDone)
	// OnCatalog, if set, is called with each catalog segment's objects
	// (views, triggers, routines): this writer does not create them. When
	// unset, Load logs each one as left for manual work.
	OnCatalog func(h format.Header)

	// stopAtChanges, if set, makes Load stop at the first change or
	// checkpoint segment and hand it over (Apply loads the snapshot part of
	// a change stream so).
	stopAtChanges func(*format.Segment)
}

// ChunkDone reports one chunk.
type ChunkDone struct {
	Table   string
	Chunk   string
	Rows    int64
	Bytes   int64 // Arrow bytes of the chunk's batches
	Skipped bool  // already loaded by an earlier run of the same stream
}

// Stats is the result of a load.
type Stats struct {
	Stream        string
	Tables        int
	Chunks        int
	ChunksSkipped int
	Rows          int64
	DataPhase     time.Duration // from the first segment to the last chunk committed
	PostData      time.Duration // keys, indexes, constraints, sequences, analyze
}
