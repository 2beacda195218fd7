package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/jackc/pgx/v5"
)

func (cfg *Config) defaults() {
	if cfg.Parallel < 1 {
		cfg.Parallel = 2
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

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
		if b != nil {
			b.Release()
		}
	}
	j.batches = nil
}

// Load reads a stream to its end and loads it into the target.
//
// Each data segment (one chunk of a table) is read whole and verified (its
// seal) before it is handed to a worker, which loads it with binary COPY in
// one transaction together with a row in dbmig.load_chunks. So the target
// holds only whole chunks, whatever happens, and a rerun on the same stream
// skips the chunks already committed. Buffering whole segments is also what
// lets several workers load in parallel from one sequential stream; memory
// is bounded by (workers + 1) segments.
//
// With cfg.Create, keys, indexes, constraints and sequence positions follow
// once the stream has ended complete, and only then.
func Load(ctx context.Context, cfg Config, r *format.Reader) (Stats, error) {
	cfg.defaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	admin, err := connect(ctx, cfg.DSN)
	if err != nil {
		return Stats{}, err
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if err := ensureBookkeeping(ctx, admin); err != nil {
		return Stats{}, err
	}
	conns := make([]*pgx.Conn, 0, cfg.Parallel)
	defer func() {
		for _, c := range conns {
			c.Close(context.WithoutCancel(ctx))
		}
	}()
	for range cfg.Parallel {
		c, err := connect(ctx, cfg.DSN)
		if err != nil {
			return Stats{}, err
		}
		conns = append(conns, c)
	}

	l := &loader{cfg: &cfg, admin: admin, targets: map[string]*target{}}
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
	cfg     *Config
	admin   *pgx.Conn
	stream  string
	done    map[chunkKey]bool
	targets map[string]*target
	order   []*target // in the order first seen

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
// writer's job, views, triggers and routines are not (dbconvert translates
// what it can; the rest is listed so nothing is dropped silently).
func (l *loader) catalog(h format.Header) {
	if l.cfg.OnCatalog != nil {
		l.cfg.OnCatalog(h)
		return
	}
	for _, o := range h.Objects {
		slog.Warn("not created: left for manual work", "kind", o.Kind, "object", format.TableID{Schema: o.Schema, Name: o.Name}.String(), "note", o.Note)
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
			// The snapshot part of a change stream ends here; Apply
			// goes on with this segment.
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
		j := &job{t: t, chunk: seg.Header.Chunk.ID, label: t.id.String()}
		if j.chunk == "" {
			j.chunk = fmt.Sprintf("segment-%d", seg.Index)
		}
		if l := seg.Header.Chunk.Label(); l != "" {
			j.label = t.id.String() + " chunk " + l
		}
		if l.done[chunkKey{t.id.Schema, t.id.Name, j.chunk}] {
			// Loaded by an earlier run. The next r.Next reads the rest of
			// the segment and verifies it, so the stream is still checked.
			l.chunkDone(j, true)
			continue
		}
		if err := l.encoder(ctx, t); err != nil {
			return err
		}
		if err := l.readSegment(seg, j); err != nil {
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
func (l *loader) readSegment(seg *format.Segment, j *job) error {
	for {
		rec, err := seg.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		b := j.t.project(rec)
		j.batches = append(j.batches, b)
		j.rows += b.NumRows()
		for _, c := range b.Columns() {
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
		j.t.bytes += j.bytes
	}
	l.mu.Unlock()
	if l.cfg.OnChunk != nil {
		l.cfg.OnChunk(ChunkDone{Table: j.t.id.String(), Chunk: j.chunk, Rows: j.rows, Bytes: j.bytes, Skipped: skipped})
	}
}

// loadChunk loads one chunk in one transaction with its bookkeeping row.
func (l *loader) loadChunk(ctx context.Context, conn *pgx.Conn, j *job) error {
	defer j.release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit: a no-op
	// Asynchronous commit is safe here: the chunk and its bookkeeping row
	// commit or vanish together, so a server crash that loses the last commits
	// only makes the rerun load those chunks again.
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO dbmig.load_chunks (stream, schema_name, table_name, chunk, rows) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		l.stream, j.t.id.Schema, j.t.id.Name, j.chunk, j.rows)
	if err != nil {
		return fmt.Errorf("record chunk: %w", err)
	}
	if tag.RowsAffected() == 0 {
		l.chunkDone(j, true) // another loader of this stream committed it meanwhile
		return nil
	}
	i := 0
	cr := j.t.enc.Reader(func() (arrow.RecordBatch, error) {
		if i == len(j.batches) {
			return nil, io.EOF
		}
		b := j.batches[i]
		j.batches[i] = nil // the COPY reader releases it
		i++
		return b, nil
	})
	tag, err = tx.Conn().PgConn().CopyFrom(ctx, cr, j.t.copySQL)
	if cerr := cr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() != j.rows {
		return fmt.Errorf("COPY stored %d rows of the chunk's %d", tag.RowsAffected(), j.rows)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	l.chunkDone(j, false)
	return nil
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgcatalog.ConnConfig(dsn, "dbload")
	if err != nil {
		return nil, fmt.Errorf("target DSN: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to target: %w", err)
	}
	return conn, nil
}

var errSchemaChanged = errors.New("columns differ from the table's earlier segments")
