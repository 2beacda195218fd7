package mysql

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dbmig/dbmig/format"
)

// Extract reads the selected tables of the DSN's database in one consistent
// snapshot and writes one segment per chunk to w (and a catalog segment of
// views, triggers, routines and events, if there are any). It does not
// close w.
//
// The coordinator connection reads the catalog; then every worker starts a
// consistent-snapshot transaction at one commit point (see takeSnapshot),
// whose binlog position goes in every segment's header. Chunks are planned
// inside the snapshot and read by the workers, biggest first.
func Extract(ctx context.Context, cfg Config, w *format.Writer) (Stats, error) {
	cfg.defaults()
	switch {
	case cfg.Unsupported != "error" && cfg.Unsupported != "text":
		return Stats{}, fmt.Errorf("unknown unsupported-type policy %q (want error or text)", cfg.Unsupported)
	case cfg.SnapshotMethod != "auto" && cfg.SnapshotMethod != MethodLock:
		return Stats{}, fmt.Errorf("unknown snapshot method %q (want auto or %s)", cfg.SnapshotMethod, MethodLock)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dcfg, err := ParseDSN(cfg.DSN)
	if err != nil {
		return Stats{}, err
	}
	db, coord, flavor, err := openCoordinator(ctx, dcfg)
	if err != nil {
		return Stats{}, err
	}
	defer db.Close()
	defer coord.Close()
	database := dcfg.DBName

	tables, err := discover(ctx, coord, &cfg, flavor, database)
	if err != nil {
		return Stats{}, err
	}
	objects, err := readObjects(ctx, coord, database)
	if err != nil {
		return Stats{}, err
	}

	nw := cfg.Parallel
	workers := make([]*client.Conn, 0, nw)
	defer func() {
		for _, c := range workers {
			c.Close()
		}
	}()
	for range nw {
		c, err := dialWorker(ctx, dcfg)
		if err != nil {
			return Stats{}, err
		}
		workers = append(workers, c)
	}
	snap, err := takeSnapshot(ctx, &cfg, coord, flavor, workers)
	if err != nil {
		return Stats{}, err
	}
	pos := snap.pos
	cfg.Logger.Info("snapshot taken", "method", pos["method"], "file", pos["file"], "pos", pos["pos"],
		"gtid", pos["gtid"], "lock_held", snap.lockHeld)
	if err := readAutoIncrement(ctx, coord, database, tables); err != nil {
		return Stats{}, err
	}
	chunks, err := plan(ctx, workers[0], &cfg, tables)
	if err != nil {
		return Stats{}, err
	}
	p := Plan{Tables: len(tables), Chunks: len(chunks), Position: pos}
	for _, c := range chunks {
		p.EstRows += c.estRows
		p.EstBytes += c.estBytes
	}
	cfg.Logger.Info("extract plan", "tables", p.Tables, "chunks", p.Chunks, "est_rows", p.EstRows, "est_bytes", p.EstBytes)
	if cfg.OnPlan != nil {
		cfg.OnPlan(p)
	}
	st := Stats{Tables: len(tables), Chunks: len(chunks), Position: pos, LockHeld: snap.lockHeld}

	if len(objects) > 0 {
		h := format.Header{Kind: format.KindCatalog, Table: format.TableID{Engine: "mysql", Database: database, Schema: database},
			Objects: objects, Snapshot: pos}
		seg, err := w.Begin(h, nil)
		if err != nil {
			return st, err
		}
		if err := seg.Close(); err != nil {
			return st, err
		}
	}

	queue := make(chan *chunk)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	for _, conn := range workers[:min(len(workers), len(chunks))] {
		wg.Go(func() {
			decoders := map[*table]*rowDecoder{}
			defer func() {
				for _, d := range decoders {
					d.release()
				}
			}()
			for c := range queue {
				rows, err := extractChunk(ctx, &cfg, conn, c, pos, w, decoders)
				if err != nil {
					fail(fmt.Errorf("extract %s: %w", c, err))
					return
				}
				mu.Lock()
				st.Rows += rows
				mu.Unlock()
			}
		})
	}
feed:
	for _, c := range chunks {
		select {
		case queue <- c:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if firstErr != nil {
		return st, firstErr
	}
	if err := ctx.Err(); err != nil {
		return st, err
	}
	for _, c := range workers {
		// The snapshot transactions only read: end them cleanly.
		_ = execCtx(ctx, c, "COMMIT")
	}
	return st, nil
}

// extractChunk reads one chunk into one segment. A worker keeps one decoder
// per table across its chunks, so that builders keep their capacity.
func extractChunk(ctx context.Context, cfg *Config, conn *client.Conn, c *chunk, pos format.Position, w *format.Writer,
	decoders map[*table]*rowDecoder) (int64, error) {
	seg, err := w.Begin(c.segmentHeader(pos), c.t.cols)
	if err != nil {
		return 0, err
	}
	dec := decoders[c.t]
	if dec == nil {
		dec = newRowDecoder(cfg.Allocator, c.t, seg.Schema(), cfg.BatchRows, cfg.BatchBytes)
		decoders[c.t] = dec
	}
	write := func() error {
		rec := dec.flush()
		if rec == nil {
			return nil
		}
		defer rec.Release()
		return seg.Write(rec)
	}
	var result mysql.Result
	stop := interruptOnCancel(ctx, conn)
	err = conn.ExecuteSelectStreaming(c.selectSQL(), &result, func(row []mysql.FieldValue) error {
		full, err := dec.add(row)
		if err != nil || !full {
			return err
		}
		return write()
	}, nil)
	stop()
	if err == nil {
		err = write()
	}
	if err != nil {
		// The batch may hold part of a row: drop the decoder with the segment.
		dec.release()
		delete(decoders, c.t)
		seg.Abort()
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	rows := seg.Rows()
	if err := seg.Close(); err != nil {
		return 0, err
	}
	if cfg.OnChunk != nil {
		cfg.OnChunk(ChunkDone{Table: c.t.String(), Chunk: c.id, Rows: rows, EstBytes: c.estBytes})
	}
	return rows, nil
}
