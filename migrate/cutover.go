package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dbmig/dbmig/internal/command"
	mysqlreader "github.com/dbmig/dbmig/readers/mysql"
	pgreader "github.com/dbmig/dbmig/readers/postgres"
	pgwriter "github.com/dbmig/dbmig/writers/postgres"
)

// CutoverOptions says how to cut over.
type CutoverOptions struct {
	Options
	// ReadOnlySource makes the source read-only before the fence is taken
	// (PostgreSQL: ALTER DATABASE ... SET default_transaction_read_only and
	// the database's other client sessions terminated; MySQL: SET GLOBAL
	// read_only = ON). Without it the application must have stopped
	// writing: changes after the fence stay on the source.
	ReadOnlySource bool
	// MaxLag is the lag under which the fence is taken (default 1s).
	MaxLag time.Duration
	// Timeout bounds the waits for the lag and for the drain (default 10m).
	Timeout time.Duration
	// SkipValidation leaves out the final validation.
	SkipValidation bool
	// KeepSlot keeps the PostgreSQL replication slot after the cutover
	// (it holds WAL on the source until dropped).
	KeepSlot bool
}

// CutoverResult is a cutover's outcome, in the report.
type CutoverResult struct {
	At                 time.Time               `json:"at"`
	Fence              string                  `json:"fence"`
	LagAtFenceSeconds  float64                 `json:"lag_at_fence_seconds"`
	ReadOnlySource     bool                    `json:"read_only_source"`
	SessionsTerminated int                     `json:"sessions_terminated,omitempty"`
	DrainedBy          string                  `json:"drained_by"` // "migrate" (the running process) or "cutover"
	WriteFreezeSeconds float64                 `json:"write_freeze_seconds"`
	Sequences          []pgwriter.SequenceMove `json:"sequences,omitempty"`
	SlotDropped        bool                    `json:"slot_dropped,omitempty"`
	Validation         *ValidationResult       `json:"validation,omitempty"`
}

// ErrCutOver means the migration has been cut over: its pipeline is not
// run again.
var ErrCutOver = errors.New("this migration has been cut over (see dbmigrate status); start a new one with another --state")

// Cutover switches the application to the target: waits until the lag is
// under MaxLag, fences the source (optionally read-only first), has the
// running migrate (or, when none runs, itself) apply every change up to
// the fence, moves the target's sequences past the source's values,
// validates, and reports the write freeze: from fencing the source to the
// target holding everything before the fence.
func Cutover(ctx context.Context, o CutoverOptions) (*CutoverResult, error) {
	o.defaults()
	if o.MaxLag <= 0 {
		o.MaxLag = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	plan, err := o.State.Plan()
	if err != nil {
		return nil, err
	}
	if o.Endpoints, err = resolve(o.Endpoints, plan); err != nil {
		return nil, err
	}
	if rep, err := o.State.Report(); err != nil {
		return nil, err
	} else if rep.Cutover != nil {
		return nil, ErrCutOver
	}
	applied, err := appliedFeed(ctx, o.Target, plan.Slot)
	if err != nil {
		return nil, err
	}
	if !applied.SnapshotDone {
		return nil, errors.New("the target holds no finished snapshot yet: wait for dbmigrate migrate to reach the streaming phase (dbmigrate status)")
	}
	log := o.Logger.With("verb", "cutover")
	res := &CutoverResult{ReadOnlySource: o.ReadOnlySource}

	running := o.State.Running()
	if running {
		lag, err := o.waitLag(ctx, log)
		if err != nil {
			return nil, err
		}
		res.LagAtFenceSeconds = lag
	} else {
		log.Info("no migrate is running on the state: cutover applies up to the fence itself")
	}

	freezeStart := time.Now()
	if o.ReadOnlySource {
		if plan.SourceEngine == EngineMySQL {
			err = mysqlreader.SetReadOnly(ctx, o.Source)
		} else {
			res.SessionsTerminated, err = pgreader.SetReadOnly(ctx, o.Source)
		}
		if err != nil {
			return nil, fmt.Errorf("source read-only: %w", command.RedactError(err, o.Source))
		}
		log.Info("the source is read-only", "sessions_terminated", res.SessionsTerminated)
	}
	if res.Fence, err = o.fence(ctx, plan); err != nil {
		return nil, command.RedactError(err, o.Source)
	}
	log.Info("fenced the source", "fence", res.Fence)
	if err := o.State.requestFence(FenceRequest{Fence: res.Fence, Requested: time.Now().UTC()}); err != nil {
		return nil, err
	}
	if res.DrainedBy, err = o.drain(ctx, plan, res.Fence, log); err != nil {
		return nil, err
	}
	res.WriteFreezeSeconds = time.Since(freezeStart).Seconds()
	log.Info("the target is current", "fence", res.Fence, "write_freeze", time.Since(freezeStart).Round(time.Millisecond).String())

	if res.Sequences, err = o.moveSequences(ctx, plan); err != nil {
		return res, err
	}
	if plan.SourceEngine == EnginePostgres && !o.KeepSlot {
		if err := pgreader.DropSlot(ctx, o.Source, plan.Slot); err != nil {
			log.Warn("drop the replication slot (drop it by hand: it holds WAL on the source)", "slot", plan.Slot, "err", command.RedactError(err, o.Source))
		} else {
			res.SlotDropped = true
		}
	}
	if !o.SkipValidation {
		v, err := validate(ctx, plan, o.Endpoints, 0, "", ValidateOptions{Options: o.Options})
		if err != nil {
			return res, err
		}
		res.Validation = v
	}
	res.At = time.Now().UTC()
	if err := o.State.updateReport(func(r *Report) {
		r.Cutover = res
		if res.Validation != nil {
			r.Validation = res.Validation
		}
	}); err != nil {
		return res, err
	}
	return res, o.State.clearFence()
}

// waitLag waits until the running migrate streams with a lag under MaxLag,
// and returns that lag.
func (o *CutoverOptions) waitLag(ctx context.Context, log interface{ Info(string, ...any) }) (float64, error) {
	deadline := time.Now().Add(o.Timeout)
	announced := false
	for {
		p, err := o.State.Progress()
		if err != nil {
			return 0, err
		}
		fresh := time.Since(p.Updated) < 5*time.Second
		if fresh && p.Phase == PhaseStreaming && p.LagSeconds <= o.MaxLag.Seconds() {
			return p.LagSeconds, nil
		}
		if !announced {
			log.Info("waiting for the lag to fall under the bound", "max_lag", o.MaxLag.String(), "phase", p.Phase, "lag_seconds", p.LagSeconds)
			announced = true
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the lag did not fall under %s within %s (phase %s, lag %.1fs)", o.MaxLag, o.Timeout, p.Phase, p.LagSeconds)
		}
		if err := sleep(ctx, o.PollEvery); err != nil {
			return 0, err
		}
	}
}

// fence takes the source's current position and commits a marker
// transaction after it, so that the change stream passes the fence even on
// a quiet source.
func (o *CutoverOptions) fence(ctx context.Context, plan *Plan) (string, error) {
	var fence string
	if plan.SourceEngine == EngineMySQL {
		f, err := mysqlreader.CurrentFence(ctx, o.Source)
		if err != nil {
			return "", err
		}
		fence = f
		err = mysqlreader.WriteFenceMarker(ctx, o.Source, plan.Slot)
		if err != nil {
			return "", err
		}
		return fence, nil
	}
	lsn, err := pgreader.CurrentFence(ctx, o.Source)
	if err != nil {
		return "", err
	}
	if err := pgreader.WriteFenceMarker(ctx, o.Source, plan.Slot); err != nil {
		return "", err
	}
	return lsn.String(), nil
}

// drain has every change before the fence applied: by the running
// migrate (it polls the fence request), or here when none runs (or the
// running one goes away before reaching the fence).
func (o *CutoverOptions) drain(ctx context.Context, plan *Plan, fence string, log interface{ Info(string, ...any) }) (string, error) {
	deadline := time.Now().Add(o.Timeout)
	for {
		p, err := o.State.Progress()
		if err != nil {
			return "", err
		}
		if p.Phase == PhaseFenced && p.Fence == fence {
			return p.Verb, nil
		}
		if !o.State.Running() {
			// Read the progress again: the migrate may have reached the
			// fence and exited between the two reads.
			if p, err := o.State.Progress(); err == nil && p.Phase == PhaseFenced && p.Fence == fence {
				return p.Verb, nil
			}
			log.Info("applying up to the fence here")
			err := o.run(ctx, plan, "cutover", true)
			if errors.Is(err, ErrLocked) {
				continue // a migrate started meanwhile: it will drain
			}
			if err != nil {
				return "", err
			}
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "cutover", nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the running migrate did not reach the fence %s within %s (phase %s)", fence, o.Timeout, p.Phase)
		}
		if err := sleep(ctx, o.PollEvery/2); err != nil {
			return "", err
		}
	}
}

// moveSequences sets the target's sequences past the source's values.
func (o *CutoverOptions) moveSequences(ctx context.Context, plan *Plan) ([]pgwriter.SequenceMove, error) {
	var floor func(string) int64
	if plan.SourceEngine == EngineMySQL {
		vals, err := mysqlreader.AutoIncrementValues(ctx, o.Source)
		if err != nil {
			return nil, command.RedactError(err, o.Source)
		}
		// The target's schema is the converter's choice; table and column
		// names match (in lower case) unless --identifiers renamed them.
		floor = func(col string) int64 {
			parts := strings.Split(strings.ToLower(col), ".")
			return vals[strings.Join(parts[len(parts)-2:], ".")]
		}
	} else {
		vals, err := pgreader.SequenceValues(ctx, o.Source)
		if err != nil {
			return nil, command.RedactError(err, o.Source)
		}
		floor = func(col string) int64 { return vals[col] }
	}
	moves, err := pgwriter.AdvanceSequences(ctx, o.Target, floor)
	if err != nil {
		return moves, command.RedactError(err, o.Target)
	}
	return moves, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
