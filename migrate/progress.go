package migrate

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	pgwriter "github.com/dbmig/dbmig/writers/postgres"
)

// tracker gathers the progress of a run from the stages' callbacks (from
// several goroutines) and writes it to the state every second, and to the
// log every LogEvery.
type tracker struct {
	mu       sync.Mutex
	p        Progress
	tables   map[string]bool
	copyFrom time.Time // when the snapshot copy began
	state    *State
	log      *slog.Logger
	logEvery time.Duration
	lastLog  time.Time
	changed  chan struct{} // a phase change: write now
}

func newTracker(st *State, verb string, log *slog.Logger, logEvery time.Duration) *tracker {
	now := time.Now()
	return &tracker{
		p:     Progress{Verb: verb, Phase: PhaseStarting, PID: os.Getpid(), Started: now, Updated: now},
		state: st, log: log, logEvery: logEvery, tables: map[string]bool{}, changed: make(chan struct{}, 1),
	}
}

func (t *tracker) plan(tables, chunks int, estRows int64) {
	t.mu.Lock()
	t.p.Tables, t.p.Chunks, t.p.EstRows = tables, chunks, estRows
	t.p.TablesDone, t.p.ChunksDone, t.p.ChunksSkipped, t.p.Rows, t.p.Bytes = 0, 0, 0, 0, 0
	t.tables = map[string]bool{}
	t.copyFrom = time.Now()
	t.p.Phase = PhaseSnapshot
	t.mu.Unlock()
	t.poke()
}

func (t *tracker) chunk(c pgwriter.ChunkDone) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.copyFrom.IsZero() {
		t.copyFrom = time.Now()
	}
	t.p.ChunksDone++
	if c.Skipped {
		t.p.ChunksSkipped++
	}
	t.p.Rows += c.Rows
	t.p.Bytes += c.Bytes
	if !t.tables[c.Table] {
		t.tables[c.Table] = true
		t.p.TablesDone = len(t.tables)
	}
	t.copyFigures()
}

// copyFigures updates rate and ETA (t.mu held).
func (t *tracker) copyFigures() {
	el := time.Since(t.copyFrom)
	t.p.CopySeconds = el.Seconds()
	if el > 0 {
		t.p.MBPerSec = float64(t.p.Bytes) / 1e6 / el.Seconds()
	}
	t.p.ETASeconds = 0
	if t.p.Rows > 0 && t.p.EstRows > t.p.Rows {
		t.p.ETASeconds = el.Seconds() * float64(t.p.EstRows-t.p.Rows) / float64(t.p.Rows)
	}
}

func (t *tracker) applied(g pgwriter.AppliedGroup) {
	t.mu.Lock()
	if t.p.Phase == PhaseSnapshot || t.p.Phase == PhaseStarting {
		if t.p.Phase == PhaseSnapshot {
			t.copyFigures()
			t.p.TablesDone = t.p.Tables
			t.p.ETASeconds = 0
		}
		t.p.Phase = PhaseStreaming
		defer t.poke()
	}
	t.p.LSN = g.LSN
	t.p.Changes += g.Rows
	t.p.Transactions += g.Transactions
	if g.Heartbeat {
		// A heartbeat is written only when the source side has nothing
		// pending: the target is current as of a moment ago.
		t.p.LagSeconds = 0
	} else {
		t.p.LagSeconds = g.Lag.Seconds()
	}
	t.mu.Unlock()
}

func (t *tracker) setLSN(lsn string) {
	if lsn == "" {
		return
	}
	t.mu.Lock()
	t.p.LSN = lsn
	t.mu.Unlock()
}

func (t *tracker) setPhase(phase string, change func(*Progress)) {
	t.mu.Lock()
	t.p.Phase = phase
	if change != nil {
		change(&t.p)
	}
	t.mu.Unlock()
	t.poke()
}

func (t *tracker) poke() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *tracker) snapshot() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.p
	p.Updated = time.Now()
	return p
}

// flush writes the progress to the state, and to the log when due (or
// when forced).
func (t *tracker) flush(forceLog bool) {
	p := t.snapshot()
	if err := t.state.writeProgress(p); err != nil {
		t.log.Warn("write progress", "err", err)
	}
	if t.logEvery > 0 && (forceLog || time.Since(t.lastLog) >= t.logEvery) {
		t.lastLog = time.Now()
		t.log.Info("progress", progressAttrs(p)...)
	}
}

// run writes the progress every second and at each phase change, until
// ctx ends; then once more.
func (t *tracker) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	t.flush(true)
	for {
		select {
		case <-ctx.Done():
			t.flush(true)
			return
		case <-tick.C:
			t.flush(false)
		case <-t.changed:
			t.flush(true)
		}
	}
}

// progressAttrs is a progress line's fields.
func progressAttrs(p Progress) []any {
	a := []any{"phase", p.Phase}
	if p.Chunks > 0 || p.ChunksDone > 0 {
		a = append(a, "tables", frac(p.TablesDone, p.Tables), "chunks", frac(p.ChunksDone, p.Chunks),
			"rows", p.Rows, "mb_per_s", round1(p.MBPerSec))
		if p.ETASeconds > 0 {
			a = append(a, "eta", (time.Duration(p.ETASeconds) * time.Second).String())
		}
	}
	if p.LSN != "" {
		a = append(a, "lsn", p.LSN, "lag", (time.Duration(p.LagSeconds*1e3) * time.Millisecond).String(), "changes", p.Changes)
	}
	if p.Fence != "" {
		a = append(a, "fence", p.Fence)
	}
	return a
}

func frac(a, b int) string {
	if b <= 0 {
		return itoa(a)
	}
	return itoa(a) + "/" + itoa(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
