package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/bufpool"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/dbmig/dbmig/internal/pgcodec"
	"github.com/jackc/pgx/v5"
)

func (cfg *Config) defaults() {
	if cfg.Parallel < 1 {
		cfg.Parallel = 2
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 32 << 20
	}
	if cfg.SplitBy == "" || cfg.SplitBy == "auto" {
		// Measured on PostgreSQL 15 (docs/BENCH.md): one sequential COPY per
		// table cut into parts costs the source server much less than key or
		// block ranges, which read through shared buffers without the bulk
		// read ring (every worker backend then faults in all of them).
		cfg.SplitBy = "scan"
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = pgcodec.DefaultMaxRows
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = pgcodec.DefaultMaxBytes
	}
	if cfg.Allocator == nil {
		// The decoder writes every byte of its buffers: recycle them rather
		// than have the runtime zero fresh ones for every batch.
		cfg.Allocator = &bufpool.Allocator{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// Extract reads the selected tables in one consistent snapshot and writes
// one segment per chunk to w. It does not close w.
//
// A coordinator connection opens a REPEATABLE READ transaction and exports
// its snapshot (or imports cfg.Snapshot); the catalog is read and the chunks
// planned inside it, so the definitions match the data. Every worker imports
// the same snapshot before any data is read.
func Extract(ctx context.Context, cfg Config, w *format.Writer) (Stats, error) {
	cfg.defaults()
	switch cfg.SplitBy {
	case "scan", "pk", "ctid", "none":
	default:
		return Stats{}, fmt.Errorf("unknown split method %q (want auto, scan, pk, ctid or none)", cfg.SplitBy)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	coord, err := connect(ctx, cfg.DSN)
	if err != nil {
		return Stats{}, err
	}
	defer coord.Close(context.WithoutCancel(ctx))
	if err := checkServer(ctx, coord); err != nil {
		return Stats{}, err
	}
	tx, snapshot, err := beginSnapshot(ctx, coord, cfg.Snapshot)
	if err != nil {
		return Stats{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only: nothing to keep

	var pos format.Position
	var lsn string
	if err := tx.QueryRow(ctx, `SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text`).Scan(&lsn); err != nil {
		return Stats{}, fmt.Errorf("read WAL position: %w", err)
	}
	pos = format.Position{"snapshot": snapshot, "lsn": lsn}
	tables, err := discover(ctx, tx, &cfg, coord.Config().Database)
	if err != nil {
		return Stats{}, err
	}
	chunks, err := plan(ctx, tx, &cfg, tables)
	if err != nil {
		return Stats{}, err
	}
	p := Plan{Tables: len(tables), Chunks: len(chunks), Snapshot: snapshot, SourceLSN: lsn}
	for _, c := range chunks {
		p.EstRows += c.estRows
		p.EstBytes += c.estBytes
	}
	cfg.Logger.Info("extract plan", "tables", p.Tables, "chunks", p.Chunks, "est_rows", p.EstRows, "est_bytes", p.EstBytes, "snapshot", snapshot, "lsn", lsn)
	if cfg.OnPlan != nil {
		cfg.OnPlan(p)
	}

	// Workers import the snapshot now, while the coordinator's transaction
	// keeps it alive.
	nw := min(cfg.Parallel, len(chunks))
	workers := make([]pgx.Tx, 0, nw)
	defer func() {
		for _, wtx := range workers {
			wtx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
			wtx.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	for range nw {
		conn, err := connect(ctx, cfg.DSN)
		if err != nil {
			return Stats{}, err
		}
		wtx, _, err := beginSnapshot(ctx, conn, snapshot)
		if err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return Stats{}, err
		}
		workers = append(workers, wtx)
	}

	st := Stats{Tables: len(tables), Chunks: len(chunks), Snapshot: snapshot}
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
	for _, wtx := range workers {
		wg.Go(func() {
			decoders := map[*table]*pgcodec.Decoder{}
			for c := range queue {
				rows, err := extractChunk(ctx, &cfg, wtx, c, pos, w, decoders)
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
	return st, nil
}

// extractChunk copies one chunk into one segment, or into several parts of
// about partBytes each. A worker keeps one decoder per table (decoders)
// across its chunks: a decoder remembers the sizes of its batches' buffers,
// and a fresh one would regrow (and copy) them.
func extractChunk(ctx context.Context, cfg *Config, tx pgx.Tx, c *chunk, pos format.Position, w *format.Writer,
	decoders map[*table]*pgcodec.Decoder) (int64, error) {
	p := &parts{cfg: cfg, c: c, pos: pos, w: w}
	if err := p.begin(); err != nil {
		return 0, err
	}
	dec := decoders[c.t]
	if dec != nil {
		dec.Reset(p.write)
	} else {
		var err error
		dec, err = pgcodec.NewDecoder(cfg.Allocator, p.seg.Schema(), c.t.types,
			pgcodec.Options{NumericAsText: cfg.NumericAsText, UnsupportedAsText: cfg.UnsupportedAsText}, p.write)
		if err != nil {
			p.abort()
			return 0, err
		}
		dec.MaxRows, dec.MaxBytes, dec.Keys = cfg.BatchRows, int(cfg.BatchBytes), c.t.keyIdx
		if c.partBytes > 0 {
			// Parts end at batch boundaries: keep batches within a part.
			dec.MaxBytes = int(min(cfg.BatchBytes, c.partBytes))
		}
		// checkServer accepts only UTF8 databases, whose text the server
		// has validated on input: no need to check it again.
		dec.TrustUTF8 = true
		decoders[c.t] = dec
	}
	_, err := tx.Conn().PgConn().CopyTo(ctx, dec, c.copySQL())
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		p.abort()
		var ve *pgcodec.ValueError
		if errors.As(err, &ve) {
			return 0, ve // already names column, row and key
		}
		return 0, err
	}
	return dec.Rows(), p.end()
}

// parts writes a chunk's batches to one segment, or to a new segment each
// time the current one reaches partBytes.
type parts struct {
	cfg      *Config
	c        *chunk
	pos      format.Position
	w        *format.Writer
	seg      *format.SegmentWriter
	index    int
	bytes    int64 // Arrow bytes in the current part
	reported int64 // estimated bytes reported to OnChunk so far
}

func (p *parts) begin() error {
	h := p.c.segmentHeader(p.pos)
	if p.c.partBytes > 0 {
		// The number of parts is known only at the end: Count stays 0.
		h.Chunk = format.Chunk{ID: fmt.Sprintf("part:%d", p.index), Index: p.index}
	}
	seg, err := p.w.Begin(h, p.c.t.cols)
	if err != nil {
		return err
	}
	p.seg, p.bytes = seg, 0
	return nil
}

func (p *parts) write(rec arrow.RecordBatch) error {
	defer rec.Release()
	if p.seg == nil {
		p.index++
		if err := p.begin(); err != nil {
			return err
		}
	}
	if err := p.seg.Write(rec); err != nil {
		return err
	}
	if p.c.partBytes <= 0 {
		return nil
	}
	for _, col := range rec.Columns() {
		p.bytes += arrowBytes(col.Data())
	}
	if p.bytes >= p.c.partBytes {
		return p.closePart(false)
	}
	return nil
}

func (p *parts) closePart(last bool) error {
	rows := p.seg.Rows()
	if err := p.seg.Close(); err != nil {
		p.seg = nil
		return err
	}
	p.seg = nil
	if p.cfg.OnChunk != nil {
		// Progress counts the source's estimate: each part reports its Arrow
		// bytes against it, the last one the rest.
		est := min(p.bytes, p.c.estBytes-p.reported)
		if last {
			est = p.c.estBytes - p.reported
		}
		p.reported += est
		p.cfg.OnChunk(ChunkDone{Table: p.c.t.String(), Chunk: p.c.id, Rows: rows, EstBytes: est})
	}
	return nil
}

// end closes the last part. A chunk cut into parts may end with none open
// (the last batch filled a part); an empty table still has its one segment.
func (p *parts) end() error {
	if p.seg == nil {
		if p.cfg.OnChunk != nil && p.c.estBytes > p.reported {
			p.cfg.OnChunk(ChunkDone{Table: p.c.t.String(), Chunk: p.c.id, EstBytes: p.c.estBytes - p.reported})
		}
		return nil
	}
	return p.closePart(true)
}

func (p *parts) abort() {
	if p.seg != nil {
		p.seg.Abort()
		p.seg = nil
	}
}

func arrowBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, k := range d.Children() {
		n += arrowBytes(k)
	}
	return n
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgcatalog.ConnConfig(dsn, "dbextract")
	if err != nil {
		return nil, fmt.Errorf("source DSN: %w", err)
	}
	// pgx reads the socket 8 KiB at a time; a COPY of gigabytes then costs
	// hundreds of thousands of read calls. Read through a larger buffer.
	dial := cfg.DialFunc
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &bufferedConn{Conn: conn, r: bufio.NewReaderSize(conn, 256<<10)}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to source: %w", err)
	}
	return conn, nil
}

// checkServer refuses servers this reader cannot read exactly.
func checkServer(ctx context.Context, conn *pgx.Conn) error {
	var version int
	var enc string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int, current_setting('server_encoding')`).Scan(&version, &enc); err != nil {
		return fmt.Errorf("read server settings: %w", err)
	}
	if version < 120000 {
		return fmt.Errorf("source server is PostgreSQL %d.%d: dbextract needs 12 or later", version/10000, version%10000/100)
	}
	if enc != "UTF8" {
		// Binary COPY sends text in the server encoding, unconverted.
		return fmt.Errorf("source database encoding is %s: only UTF8 databases are supported", enc)
	}
	return nil
}

// beginSnapshot opens a REPEATABLE READ READ ONLY transaction on conn and
// exports its snapshot, or imports the given one.
func beginSnapshot(ctx context.Context, conn *pgx.Conn, snapshot string) (pgx.Tx, string, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, "", fmt.Errorf("begin snapshot transaction: %w", err)
	}
	if snapshot != "" {
		// SET TRANSACTION SNAPSHOT takes no parameters; quote the literal.
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+pgcatalog.QuoteLiteral(snapshot)); err != nil {
			tx.Rollback(ctx) //nolint:errcheck
			return nil, "", fmt.Errorf("import snapshot %s: %w", snapshot, err)
		}
		return tx, snapshot, nil
	}
	if err := tx.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		tx.Rollback(ctx) //nolint:errcheck
		return nil, "", fmt.Errorf("export snapshot: %w", err)
	}
	return tx, snapshot, nil
}

// bufferedConn reads a connection through a buffer.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
