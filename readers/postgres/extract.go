package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dbmig/dbmig/format"
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
	if cfg.SplitBy == "" {
		cfg.SplitBy = "auto"
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = pgcodec.DefaultMaxRows
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = pgcodec.DefaultMaxBytes
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
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
	case "auto", "pk", "ctid", "none":
	default:
		return Stats{}, fmt.Errorf("unknown split method %q (want auto, pk, ctid or none)", cfg.SplitBy)
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
			for c := range queue {
				rows, err := extractChunk(ctx, &cfg, wtx, c, pos, w)
				if err != nil {
					fail(fmt.Errorf("extract %s: %w", c, err))
					return
				}
				mu.Lock()
				st.Rows += rows
				mu.Unlock()
				if cfg.OnChunk != nil {
					cfg.OnChunk(ChunkDone{Table: c.t.String(), Chunk: c.id, Rows: rows, EstBytes: c.estBytes})
				}
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

// extractChunk copies one chunk into one segment.
func extractChunk(ctx context.Context, cfg *Config, tx pgx.Tx, c *chunk, pos format.Position, w *format.Writer) (int64, error) {
	seg, err := w.Begin(c.segmentHeader(pos), c.t.cols)
	if err != nil {
		return 0, err
	}
	dec, err := pgcodec.NewDecoder(cfg.Allocator, seg.Schema(), c.t.types,
		pgcodec.Options{NumericAsText: cfg.NumericAsText, UnsupportedAsText: cfg.UnsupportedAsText},
		func(rec arrow.RecordBatch) error {
			defer rec.Release()
			return seg.Write(rec)
		})
	if err != nil {
		seg.Abort()
		return 0, err
	}
	dec.MaxRows, dec.MaxBytes, dec.Keys = cfg.BatchRows, int(cfg.BatchBytes), c.t.keyIdx
	// checkServer accepts only UTF8 databases, whose text the server has
	// validated on input: no need to check it again.
	dec.TrustUTF8 = true
	_, err = tx.Conn().PgConn().CopyTo(ctx, dec, c.copySQL())
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		seg.Abort()
		var ve *pgcodec.ValueError
		if errors.As(err, &ve) {
			return 0, ve // already names column, row and key
		}
		return 0, err
	}
	return dec.Rows(), seg.Close()
}

func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("source DSN: %w", err)
	}
	// dbmig reads catalogs with an empty search_path so that every name in a
	// definition comes back schema-qualified.
	cfg.RuntimeParams["search_path"] = ""
	cfg.RuntimeParams["application_name"] = "dbextract"
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
		if _, err := tx.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot)); err != nil {
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

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
