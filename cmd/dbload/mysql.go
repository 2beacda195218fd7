package main

import (
	"context"
	"errors"
	"os"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/writers/mysql"
	"github.com/dbmig/dbmig/writers/postgres"
)

// loadMySQL loads into a mysql:// or mariadb:// target with writers/mysql.
// It takes and returns the PostgreSQL writer's types so that everything
// around the load (flags, progress, logging, the summary) stays one code
// path for both engines. The password is the URL's, else $MYSQL_PWD (the
// variable the mysql client reads).
func (e *env) loadMySQL(ctx context.Context, pc postgres.Config, r *format.Reader) (postgres.Stats, error) {
	if pc.MaintenanceWorkMem != "" {
		return postgres.Stats{}, errors.New("--maintenance-work-mem is a PostgreSQL setting: leave it out for a MySQL target")
	}
	cfg := mysql.Config{
		DSN:       pc.DSN,
		Password:  os.Getenv("MYSQL_PWD"),
		Create:    pc.Create,
		Parallel:  pc.Parallel,
		Analyze:   pc.Analyze,
		Allocator: pc.Allocator,
		Logger:    pc.Logger,
		OnStream:  pc.OnStream,
		OnCatalog: pc.OnCatalog,
	}
	if pc.OnChunk != nil {
		cfg.OnChunk = func(c mysql.ChunkDone) {
			pc.OnChunk(postgres.ChunkDone{Table: c.Table, Chunk: c.Chunk, Rows: c.Rows, Bytes: c.Bytes, Skipped: c.Skipped})
		}
	}
	st, err := mysql.Load(ctx, cfg, r)
	return postgres.Stats{Stream: st.Stream, Tables: st.Tables, Chunks: st.Chunks, ChunksSkipped: st.ChunksSkipped,
		Rows: st.Rows, DataPhase: st.DataPhase, PostData: st.PostData}, err
}
