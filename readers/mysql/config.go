package mysql

import (
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dbmig/dbmig/format"
)

// Snapshot methods, as recorded in the position's "method" key.
const (
	// MethodLock takes a global commit lock (MySQL: FLUSH TABLES WITH READ
	// LOCK; MariaDB: BACKUP STAGE BLOCK_COMMIT) while every worker starts its
	// transaction and the binlog position is read.
	MethodLock = "lock"
	// MethodSnapshotStatus (MariaDB only) takes no lock: every worker starts
	// a consistent snapshot and reads the binlog position the server tied to
	// it (Binlog_snapshot_file/position); if all workers got the same
	// position, no transaction committed between them and their snapshots
	// are the same. Otherwise it retries, then falls back to MethodLock.
	MethodSnapshotStatus = "snapshot-status"
)

// Config says what to extract and how.
type Config struct {
	// DSN is a mysql:// (or mariadb://) URL, mysql://user[:password]@host[:port]/database[?param=value],
	// where the parameters are those of go-sql-driver/mysql (tls=true|skip-verify|preferred, ...),
	// or a go-sql-driver DSN (user@tcp(host:port)/database). Without a
	// password in it, MYSQL_PWD is used.
	DSN string
	// Tables and Exclude select tables by pattern: "database.table" or
	// "table", where * matches any run of characters. Empty Tables selects
	// every base table of the database.
	Tables, Exclude []string
	// Parallel is the number of worker connections (default 2).
	Parallel int
	// ChunkBytes is the data size above which a table with an integer
	// primary key is split into key ranges, one segment each (default 32 MiB).
	ChunkBytes int64
	// BatchRows and BatchBytes bound one record batch (defaults 65536 rows,
	// 8 MiB of values). A single row larger than BatchBytes makes a batch of
	// its own.
	BatchRows  int
	BatchBytes int64
	// Unsupported is "error" (the default: a column of a type dbmig cannot
	// carry stops the extraction) or "text" (read it as text).
	Unsupported string
	// SnapshotMethod is "auto" (the default: MethodSnapshotStatus on MariaDB,
	// falling back to MethodLock; MethodLock on MySQL) or MethodLock.
	SnapshotMethod string

	// Allocator backs the batches (default memory.DefaultAllocator; Arrow's
	// builders need zeroed memory).
	Allocator memory.Allocator
	Logger    *slog.Logger
	// OnPlan, if set, is called once with the plan, before any data is
	// read. OnChunk is called as each chunk is written, from the worker
	// goroutines (it must be safe for concurrent use).
	OnPlan  func(p Plan)
	OnChunk func(c ChunkDone)
}

// Plan summarizes what Extract is about to read.
type Plan struct {
	Tables   int
	Chunks   int
	EstRows  int64
	EstBytes int64
	Position format.Position
}

// ChunkDone reports one extracted chunk.
type ChunkDone struct {
	Table    string // database.table
	Chunk    string
	Rows     int64
	EstBytes int64
}

// Stats is the result of an extraction.
type Stats struct {
	Tables int
	Chunks int
	Rows   int64
	// Position is the snapshot's binlog position: file, pos, gtid, flavor,
	// method, lock_held_us (see docs/TYPES-MYSQL.md).
	Position format.Position
	// LockHeld is how long writes were blocked to take the snapshot (0 for
	// MethodSnapshotStatus).
	LockHeld time.Duration
}

func (cfg *Config) defaults() {
	if cfg.Parallel < 1 {
		cfg.Parallel = 2
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 32 << 20
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 65536
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 8 << 20
	}
	if cfg.Unsupported == "" {
		cfg.Unsupported = "error"
	}
	if cfg.SnapshotMethod == "" {
		cfg.SnapshotMethod = "auto"
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}
