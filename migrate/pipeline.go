package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pglogrepl"

	"github.com/dbmig/dbmig/format"
	mysqlreader "github.com/dbmig/dbmig/readers/mysql"
	pgreader "github.com/dbmig/dbmig/readers/postgres"
	"github.com/dbmig/dbmig/transforms/convert"
	pgwriter "github.com/dbmig/dbmig/writers/postgres"
)

// Engines a plan names.
const (
	EnginePostgres = "postgres"
	EngineMySQL    = "mysql"
)

// Endpoints are the connection strings of one run. They are never stored:
// the plan holds them with passwords masked.
type Endpoints struct{ Source, Target string }

// runSpec is one run of the pipeline.
type runSpec struct {
	plan     *Plan
	dsn      Endpoints
	snapshot bool   // start with a snapshot when the target holds none of the feed
	until    string // a fence: stop once every transaction before it is applied
	log      *slog.Logger
	track    *tracker
}

// errStageStopped closes a pipe whose other end stopped on someone else's
// error: the root cause is reported, not this.
var errStageStopped = errors.New("a pipeline stage stopped")

// firstError keeps the first error of the stages (the root cause: the
// others fail because their pipe was closed under them).
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	if err == nil || errors.Is(err, errStageStopped) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// runPipeline runs source change stream → (converter) → PostgreSQL apply,
// the pipeline of `dbcdc --snapshot | dbconvert --to postgres | dbload
// --apply --create`, each stage in a goroutine joined by io.Pipe.
//
// Cancelling stop is a clean stop: the source writes the transactions it
// holds whole and ends its stream, and the converter and the apply drain
// it to the end, so the target holds every change the source read (an
// interrupted snapshot is the exception: it is abandoned, and redone on
// the next run). A failing stage stops the others at once; the first
// error is returned.
func runPipeline(stop context.Context, spec runSpec) error {
	// abort ends the converter and the apply: only a failure does that.
	abort, cancelAbort := context.WithCancel(context.WithoutCancel(stop))
	defer cancelAbort()
	srcCtx, cancelSrc := context.WithCancel(stop)
	defer cancelSrc()
	stopSource := context.AfterFunc(abort, cancelSrc)
	defer stopSource()

	var first firstError
	fail := func(err error) {
		if err != nil {
			first.set(err)
			cancelAbort()
		}
	}
	var wg sync.WaitGroup
	srcR, srcW := io.Pipe()
	// The streams stay inside this process: compressing them would only
	// spend the CPU the database servers need.
	opts := format.WriterOptions{Compression: format.CompressionNone}

	wg.Add(1)
	go func() {
		defer wg.Done()
		err := runSource(srcCtx, spec, format.NewWriter(srcW, opts))
		if err != nil {
			err = fmt.Errorf("source: %w", err)
		}
		fail(err)
		srcW.CloseWithError(err) // nil: EOF after the trailer
	}()

	applyIn := io.Reader(srcR)
	closeApplyIn := func(err error) { srcR.CloseWithError(err) }
	if spec.plan.SourceEngine == EngineMySQL {
		convR, convW := io.Pipe()
		applyIn = convR
		closeApplyIn = func(err error) { convR.CloseWithError(err) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			copts := spec.plan.Convert
			copts.To = convert.EnginePostgres
			_, err := convert.Convert(abort, copts, format.NewReader(srcR, format.ReaderOptions{}), func(id string) *format.Writer {
				o := opts
				o.StreamID = id
				return format.NewWriter(convW, o)
			})
			if err != nil {
				err = fmt.Errorf("convert: %w", err)
			}
			fail(err)
			srcR.CloseWithError(orStopped(err))
			convW.CloseWithError(err)
		}()
	}

	wg.Add(1)
	go func() {
		defer wg.Done()
		cfg := pgwriter.ApplyConfig{
			Config: pgwriter.Config{DSN: spec.dsn.Target, Create: true, Parallel: spec.plan.Parallel, Logger: spec.log,
				OnChunk: spec.track.chunk},
			OnApplied: spec.track.applied,
		}
		st, err := pgwriter.Apply(abort, cfg, format.NewReader(applyIn, format.ReaderOptions{}))
		if err != nil {
			err = fmt.Errorf("apply: %w", err)
		} else {
			spec.track.setLSN(st.LSN)
			spec.log.Info("apply stopped", "feed", st.Feed, "lsn", st.LSN, "snapshot_rows", st.Snapshot.Rows,
				"chunks_skipped", st.Snapshot.ChunksSkipped, "changes", st.Changes, "skipped", st.Skipped)
		}
		fail(err)
		// Unblock the stages upstream if the apply stopped first.
		closeApplyIn(orStopped(err))
	}()
	wg.Wait()
	if err := first.get(); err != nil {
		return err
	}
	return nil // a fence reached, or a clean stop
}

func orStopped(err error) error {
	if err == nil {
		return errStageStopped
	}
	return err
}

// runSource writes the source's change stream to w (closing it with the
// trailer on a clean end).
func runSource(ctx context.Context, spec runSpec, w *format.Writer) error {
	p := spec.plan
	switch p.SourceEngine {
	case EnginePostgres:
		cfg := pgreader.CDCConfig{
			DSN: spec.dsn.Source, Slot: p.Slot, Snapshot: spec.snapshot,
			Tables: p.Tables, Exclude: p.Exclude, Heartbeat: time.Second,
			Extract: pgreader.Config{Parallel: p.Parallel, OnPlan: func(pl pgreader.Plan) {
				spec.track.plan(pl.Tables, pl.Chunks, pl.EstRows)
			}},
			Acked:  pgAcked(spec.dsn.Target),
			Logger: spec.log,
		}
		if spec.until != "" {
			lsn, err := pglogrepl.ParseLSN(spec.until)
			if err != nil {
				return fmt.Errorf("fence %q: %w", spec.until, err)
			}
			cfg.Until = lsn
		}
		st, err := pgreader.Stream(ctx, cfg, w)
		if err == nil {
			spec.log.Info("source stream ended", "feed", st.Feed, "transactions", st.Transactions, "changes", st.Changes,
				"confirmed", st.Confirmed.String())
		}
		return err
	case EngineMySQL:
		cfg := mysqlreader.CDCConfig{
			DSN: spec.dsn.Source, Name: p.Slot, Snapshot: spec.snapshot,
			Tables: p.Tables, Exclude: p.Exclude, Heartbeat: time.Second,
			Extract: mysqlreader.Config{Parallel: p.Parallel, OnPlan: func(pl mysqlreader.Plan) {
				spec.track.plan(pl.Tables, pl.Chunks, pl.EstRows)
			}},
			Acked:  mysqlAcked(spec.dsn.Target),
			Logger: spec.log,
		}
		if spec.until != "" {
			u, err := mysqlreader.ParseUntil(spec.until)
			if err != nil {
				return fmt.Errorf("fence %q: %w", spec.until, err)
			}
			cfg.Until = u
		}
		st, err := mysqlreader.Stream(ctx, cfg, w)
		if err == nil {
			spec.log.Info("source stream ended", "feed", st.Feed, "transactions", st.Transactions, "changes", st.Changes,
				"position", st.Position["lsn"])
		}
		return err
	}
	return fmt.Errorf("source engine %q: dbmigrate reads postgres and mysql", p.SourceEngine)
}

// pgAcked tells the source what the target holds, read from the target's
// checkpoint: the slot is confirmed only up to what the target committed
// (dbcdc --ack-from TARGET).
func pgAcked(target string) func(context.Context, string) (pgreader.Acked, error) {
	return func(ctx context.Context, feed string) (pgreader.Acked, error) {
		a, err := pgwriter.ReadApplied(ctx, target, feed)
		if err != nil {
			return pgreader.Acked{}, err
		}
		lsn, err := pglogrepl.ParseLSN(a.LSN)
		if err != nil {
			return pgreader.Acked{}, fmt.Errorf("applied position %q: %w", a.LSN, err)
		}
		return pgreader.Acked{Found: a.Found, LSN: lsn, SnapshotID: a.SnapshotID, SnapshotDone: a.SnapshotDone}, nil
	}
}

func mysqlAcked(target string) func(context.Context, string) (mysqlreader.Acked, error) {
	return func(ctx context.Context, feed string) (mysqlreader.Acked, error) {
		a, err := pgwriter.ReadApplied(ctx, target, feed)
		if err != nil {
			return mysqlreader.Acked{}, err
		}
		lsn, err := format.ParseLSN(a.LSN)
		if err != nil {
			return mysqlreader.Acked{}, fmt.Errorf("applied position: %w", err)
		}
		return mysqlreader.Acked{Found: a.Found, LSN: lsn, SnapshotID: a.SnapshotID, SnapshotDone: a.SnapshotDone}, nil
	}
}
