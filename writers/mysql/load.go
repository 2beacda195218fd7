package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
)

// job is one whole, verified segment to load in one transaction.
type job struct {
	t       *target
	chunk   string
	label   string // for messages: table and chunk
	batches []arrow.RecordBatch
	rows    int64
	bytes   int64
}

func (j *job) release() {
	for _, b := range j.batches {
		b.Release()
	}
	j.batches = nil
}

// Load reads a stream to its end and loads it into the target.
//
// Each data segment (one chunk of a table) is read whole and verified (its
// seal) before a worker loads it with LOAD DATA LOCAL INFILE, in one
// transaction together with its row in `dbmig`.`load_chunks`. So the target
// holds only whole chunks whatever happens, and a rerun on the same stream
// skips the chunks already committed. Buffering whole segments is also what
// lets several workers load in parallel from one sequential stream; memory
// is bounded by (workers + 1) segments.
//
// With cfg.Create, secondary indexes, unique keys, checks and foreign keys
// follow once the stream has ended complete, and only then.
func Load(ctx context.Context, cfg Config, r *format.Reader) (Stats, error) {
	cfg.defaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	dc, err := cfg.driverConfig()
	if err != nil {
		return Stats{}, err
	}
	connector, err := mysql.NewConnector(dc)
	if err != nil {
		return Stats{}, fmt.Errorf("target DSN: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	db.SetMaxIdleConns(cfg.Parallel + 1)

	admin, err := db.Conn(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("connect to target: %w", err)
	}
	defer admin.Close()
	if err := ensureBookkeeping(ctx, admin); err != nil {
		return Stats{}, err
	}
	conns := make([]*sql.Conn, 0, cfg.Parallel)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range cfg.Parallel {
		c, err := db.Conn(ctx)
		if err != nil {
			return Stats{}, fmt.Errorf("connect to target: %w", err)
		}
		conns = append(conns, c)
	}

	l := &loader{cfg: &cfg, admin: admin, database: dc.DBName, targets: map[string]*target{}}
	start := time.Now()
	jobs := make(chan *job)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			for j := range jobs {
				if err := l.loadChunk(ctx, c, j); err != nil {
					l.fail(fmt.Errorf("load %s: %w", j.label, err))
					cancel()
				}
			}
		})
	}
	streamErr := l.readStream(ctx, r, jobs)
	close(jobs)
	wg.Wait()
	l.stats.DataPhase = time.Since(start)
	l.stats.Tables = len(l.targets)
	switch {
	case l.err != nil:
		return l.stats, l.err
	case streamErr != nil:
		return l.stats, streamErr
	}
	if cfg.Create {
		t0 := time.Now()
		if err := l.postData(ctx, conns); err != nil {
			return l.stats, err
		}
		l.stats.PostData = time.Since(t0)
	}
	return l.stats, nil
}

type loader struct {
	cfg      *Config
	admin    *sql.Conn
	database string // the DSN's database; "" to use each stream table's own
	stream   string
	done     map[chunkKey]bool
	targets  map[string]*target
	order    []*target // in the order first seen

	mu    sync.Mutex
	stats Stats
	err   error // first worker error
}

func (l *loader) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

// catalog reports the objects of a catalog segment: tables are this
// writer's job; views, triggers and routines are listed so that nothing is
// dropped silently.
func (l *loader) catalog(h format.Header) {
	if l.cfg.OnCatalog != nil {
		l.cfg.OnCatalog(h)
		return
	}
	for _, o := range h.Objects {
		l.cfg.Logger.Warn("not created: left for manual work", "kind", o.Kind, "object", format.TableID{Schema: o.Schema, Name: o.Name}.String(), "note", o.Note)
	}
}

// readStream reads segments and hands whole ones to the workers, until the
// stream ends (nil), fails (the stream's error) or ctx is cancelled.
func (l *loader) readStream(ctx context.Context, r *format.Reader, jobs chan<- *job) error {
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if l.stream == "" {
			if l.cfg.OnStream != nil {
				l.cfg.OnStream(seg.Header)
			}
			l.stream = seg.Header.Stream
			l.stats.Stream = l.stream
			if l.done, err = loadedChunks(ctx, l.admin, l.stream); err != nil {
				return err
			}
		}
		if seg.Header.Kind == format.KindCatalog {
			l.catalog(seg.Header)
			continue
		}
		if k := seg.Header.Kind; k == format.KindChange || k == format.KindCheckpoint {
			// The snapshot part of a change stream ends here; Apply goes on
			// with this segment.
			if l.cfg.stopAtChanges == nil {
				return fmt.Errorf("segment %d is a %s segment: a change stream (from dbcdc) loads with --apply", seg.Index, k)
			}
			l.cfg.stopAtChanges(seg)
			return nil
		}
		t, err := l.target(ctx, seg)
		if err != nil {
			return err
		}
		j := &job{t: t, chunk: seg.Header.Chunk.ID, label: t.name()}
		if j.chunk == "" {
			j.chunk = fmt.Sprintf("segment-%d", seg.Index)
		}
		if lb := seg.Header.Chunk.Label(); lb != "" {
			j.label = t.name() + " chunk " + lb
		}
		if l.done[chunkKey{t.database, t.table, j.chunk}] {
			// Loaded by an earlier run. The next r.Next reads the rest of
			// the segment and verifies it, so the stream is still checked.
			l.chunkDone(j, true)
			continue
		}
		if err := l.plan(ctx, t); err != nil {
			return err
		}
		if err := readSegment(seg, j); err != nil {
			j.release()
			return err
		}
		select {
		case jobs <- j:
		case <-ctx.Done():
			j.release()
			return ctx.Err()
		}
	}
}

// readSegment reads every batch of seg into j, keeping (and projecting) them.
func readSegment(seg *format.Segment, j *job) error {
	for {
		rec, err := seg.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		rec.Retain()
		j.batches = append(j.batches, rec)
		j.rows += rec.NumRows()
		for _, c := range rec.Columns() {
			for _, buf := range c.Data().Buffers() {
				if buf != nil {
					j.bytes += int64(buf.Len())
				}
			}
		}
	}
}

func (l *loader) chunkDone(j *job, skipped bool) {
	l.mu.Lock()
	if skipped {
		l.stats.ChunksSkipped++
	} else {
		l.stats.Chunks++
		l.stats.Rows += j.rows
		j.t.bytes.Add(j.bytes)
	}
	l.mu.Unlock()
	if l.cfg.OnChunk != nil {
		l.cfg.OnChunk(ChunkDone{Table: j.t.name(), Chunk: j.chunk, Rows: j.rows, Bytes: j.bytes, Skipped: skipped})
	}
}

// loadChunk loads one chunk in one transaction with its bookkeeping row.
func (l *loader) loadChunk(ctx context.Context, conn *sql.Conn, j *job) error {
	defer j.release()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit: a no-op
	fresh, err := recordChunk(ctx, tx, l.stream, chunkKey{j.t.database, j.t.table, j.chunk}, j.rows)
	if err != nil {
		return err
	}
	if !fresh {
		l.chunkDone(j, true) // another loader of this stream committed it meanwhile
		return nil
	}
	if j.rows > 0 {
		if err := l.loadData(ctx, tx, j); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	l.chunkDone(j, false)
	return nil
}
