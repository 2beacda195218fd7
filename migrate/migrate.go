package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dbmig/dbmig/internal/command"
	"github.com/dbmig/dbmig/transforms/convert"
	pgwriter "github.com/dbmig/dbmig/writers/postgres"
)

// Options says what to migrate. Migrate and Sync take all of it; the other
// verbs need only State and, where they connect, the Endpoints (or a plan
// whose DSNs hold no password).
type Options struct {
	State *State
	Endpoints
	// Slot names the replication slot (PostgreSQL sources) and the change
	// feed (default "dbmigrate").
	Slot     string
	Parallel int // snapshot and load connections (default 2)
	// Tables and Exclude select tables as dbextract's --tables/--exclude.
	Tables, Exclude []string
	// Convert holds dbconvert's options for a MySQL source.
	Convert convert.Options
	Logger  *slog.Logger
	// LogEvery is how often a progress line is logged (default 10s; the
	// state's progress.json is rewritten every second regardless).
	LogEvery time.Duration
	// PollEvery is how often a running migrate looks for a cutover's
	// fence request (default 100ms).
	PollEvery time.Duration
}

func (o *Options) defaults() {
	if o.Slot == "" {
		o.Slot = "dbmigrate"
	}
	if o.Parallel <= 0 {
		o.Parallel = 2
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LogEvery == 0 {
		o.LogEvery = 10 * time.Second
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 100 * time.Millisecond
	}
}

// ErrLocked means another process runs the migration's pipeline.
var ErrLocked = errors.New("another dbmigrate migrate, sync or cutover is running on this state directory (dbmigrate status shows it)")

// Migrate copies the source to the target and keeps it in sync: the
// schema (tables first), a consistent snapshot tied to the change stream's
// start, the parallel copy, indexes and constraints after the data, then
// every change from exactly the snapshot's position. It runs until ctx is
// cancelled (a clean stop: nil) or a cutover's fence is reached (nil, the
// progress says fenced). Rerun after any stop or crash, it carries on:
// finished snapshots are not copied again, changes are applied exactly
// once (a snapshot interrupted before it finished is redone).
func Migrate(ctx context.Context, o Options) error {
	o.defaults()
	plan, err := o.planFor()
	if err != nil {
		return err
	}
	return o.run(ctx, plan, "migrate", true)
}

// Sync keeps an already-copied target in sync: changes from the position
// the target recorded, until ctx is cancelled or a cutover's fence.
func Sync(ctx context.Context, o Options) error {
	o.defaults()
	plan, err := o.State.Plan()
	if err != nil {
		return err
	}
	if o.Endpoints, err = resolve(o.Endpoints, plan); err != nil {
		return err
	}
	a, err := appliedFeed(ctx, o.Target, plan.Slot)
	if err != nil {
		return err
	}
	if !a.SnapshotDone {
		return fmt.Errorf("the target holds no finished snapshot of feed %s: run dbmigrate migrate first", plan.Slot)
	}
	return o.run(ctx, plan, "sync", false)
}

// planFor reads the state's plan and checks it is this migration's, or
// writes a new one.
func (o *Options) planFor() (*Plan, error) {
	if o.Source == "" || o.Target == "" {
		return nil, errors.New("migrate needs a source and a target DSN")
	}
	srcEngine, err := command.Engine(o.Source, "--source")
	if err != nil {
		return nil, err
	}
	if srcEngine != EnginePostgres && srcEngine != EngineMySQL {
		return nil, fmt.Errorf("--source: dbmigrate migrate reads PostgreSQL and MySQL/MariaDB, not %s", srcEngine)
	}
	tgtEngine, err := command.Engine(o.Target, "--target")
	if err != nil {
		return nil, err
	}
	if tgtEngine != EnginePostgres {
		return nil, errors.New("--target: dbmigrate migrates into PostgreSQL only so far (a MySQL target needs a change apply that does not exist yet)")
	}
	plan, err := o.State.Plan()
	if err == nil {
		if plan.Source != command.Redact(o.Source) || plan.Target != command.Redact(o.Target) {
			return nil, fmt.Errorf("state %s is the migration of %s to %s: use another --state for another migration",
				o.State.Dir, plan.Source, plan.Target)
		}
		return plan, nil
	}
	if !errors.Is(err, ErrNoPlan) {
		return nil, err
	}
	conv := o.Convert
	conv.Allocator = nil // not part of the plan
	if srcEngine == EngineMySQL {
		conv.To = convert.EnginePostgres
		if err := conv.Validate(); err != nil {
			return nil, err
		}
		conv.Allocator = nil
	} else {
		conv = convert.Options{}
	}
	plan = &Plan{Version: PlanVersion, Source: command.Redact(o.Source), Target: command.Redact(o.Target),
		SourceEngine: srcEngine, Slot: o.Slot, Tables: o.Tables, Exclude: o.Exclude, Parallel: o.Parallel,
		Convert: conv, Created: time.Now().UTC()}
	if err := o.State.WritePlan(plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// resolve fills the endpoints a verb was not given from the plan, when the
// plan's DSN holds no masked password, and checks given ones against it.
func resolve(e Endpoints, plan *Plan) (Endpoints, error) {
	pick := func(given, stored, flag string) (string, error) {
		if given == "" {
			if strings.Contains(stored, command.Mask) {
				return "", fmt.Errorf("give %s: the plan stores it with its password masked (%s)", flag, stored)
			}
			return stored, nil
		}
		if command.Redact(given) != stored {
			return "", fmt.Errorf("%s %s is not this migration's (%s)", flag, command.Redact(given), stored)
		}
		return given, nil
	}
	var err error
	if e.Source, err = pick(e.Source, plan.Source, "--source"); err != nil {
		return e, err
	}
	e.Target, err = pick(e.Target, plan.Target, "--target")
	return e, err
}

// appliedFeed reads the target's checkpoint of the feed named slot (feeds
// are "ENGINE:SERVER/DATABASE/NAME"). Found is false when there is none.
func appliedFeed(ctx context.Context, target, slot string) (pgwriter.Applied, error) {
	all, err := pgwriter.ListApplied(ctx, target)
	if err != nil {
		return pgwriter.Applied{}, fmt.Errorf("read the target's checkpoints: %w", err)
	}
	var found []pgwriter.Applied
	for _, a := range all {
		if strings.HasSuffix(a.Feed, "/"+slot) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		return pgwriter.Applied{LSN: "0/0"}, nil
	case 1:
		return found[0], nil
	}
	return pgwriter.Applied{}, fmt.Errorf("the target holds %d feeds named %s: pass the --slot of this migration", len(found), slot)
}

// run runs the pipeline under the state's lock until a clean stop or the
// fence a cutover requests.
func (o *Options) run(ctx context.Context, plan *Plan, verb string, snapshot bool) error {
	if rep, err := o.State.Report(); err != nil {
		return err
	} else if rep.Cutover != nil {
		return ErrCutOver
	}
	lk, err := o.State.tryLock()
	if errors.Is(err, errLocked) {
		return ErrLocked
	}
	if err != nil {
		return err
	}
	defer lk.unlock()
	log := o.Logger.With("verb", verb)
	track := newTracker(o.State, verb, log, o.LogEvery)
	trackCtx, stopTrack := context.WithCancel(context.WithoutCancel(ctx))
	trackDone := make(chan struct{})
	go func() { defer close(trackDone); track.run(trackCtx) }()
	finish := func(phase string, err error) error {
		track.setPhase(phase, func(p *Progress) {
			if err != nil {
				p.Error = command.Redact(err.Error())
			}
		})
		stopTrack()
		<-trackDone
		return err
	}
	spec := runSpec{plan: plan, dsn: o.Endpoints, snapshot: snapshot, log: log, track: track}
	log.Info("starting", "source", plan.Source, "target", plan.Target, "slot", plan.Slot, "state", o.State.Dir)

	fence, err := o.State.fenceRequest()
	if err != nil {
		return finish(PhaseFailed, err)
	}
	if fence == nil {
		// Run until stopped, or until a cutover asks for a fence: then
		// stop cleanly and run again with the fence.
		runCtx, cancelRun := context.WithCancel(ctx)
		polled := make(chan *FenceRequest, 1)
		go func() { polled <- o.pollFence(runCtx, cancelRun) }()
		err = runPipeline(runCtx, spec)
		cancelRun()
		fence = <-polled
		if err != nil {
			if ctx.Err() != nil {
				return finish(PhaseStopped, err)
			}
			return finish(PhaseFailed, err)
		}
		if fence == nil {
			log.Info("stopped cleanly: rerun to carry on")
			return finish(PhaseStopped, nil)
		}
	}
	log.Info("cutover: applying up to the fence", "fence", fence.Fence)
	track.setPhase(PhaseDraining, func(p *Progress) { p.Fence = fence.Fence })
	spec.snapshot = true // resumes: the target holds the snapshot
	spec.until = fence.Fence
	if err := runPipeline(ctx, spec); err != nil {
		return finish(PhaseFailed, err)
	}
	if ctx.Err() != nil {
		return finish(PhaseStopped, nil)
	}
	log.Info("the target holds every change before the fence", "fence", fence.Fence)
	return finish(PhaseFenced, nil)
}

// pollFence watches for a cutover's fence request; when one appears it
// cancels the run (a clean stop) and returns it. It returns nil when ctx
// ends first.
func (o *Options) pollFence(ctx context.Context, cancelRun context.CancelFunc) *FenceRequest {
	t := time.NewTicker(o.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			f, err := o.State.fenceRequest()
			if err != nil {
				o.Logger.Warn("read the fence request", "err", err)
				continue
			}
			if f != nil {
				cancelRun()
				return f
			}
		}
	}
}
