package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dbmig/dbmig/transforms/convert"
)

// State is a migration's state directory. Every file in it is replaced
// atomically (a temporary file renamed over it): a reader sees the old
// content or the new, never a torn one, whenever a process is killed.
//
//	plan.json      what is migrated and how (DSNs with passwords masked)
//	progress.json  the running verb's progress, rewritten every second
//	report.json    validation and cutover results
//	fence.json     a cutover's request to the running migrate: stop at this fence
//	lock           held (flock) by the process running the pipeline
type State struct{ Dir string }

// File names in the state directory.
const (
	planFile     = "plan.json"
	progressFile = "progress.json"
	reportFile   = "report.json"
	fenceFile    = "fence.json"
	lockFile     = "lock"
)

// PlanVersion is the layout version of plan.json.
const PlanVersion = 1

// Plan is what a migration moves and how; migrate writes it once and the
// other verbs read it. DSNs are stored with their passwords masked: a
// verb that needs to connect takes the DSN again (flag or environment),
// unless the stored one holds no password (it came from PGPASSWORD,
// MYSQL_PWD or a password file), in which case it is used as is.
type Plan struct {
	Version      int             `json:"version"`
	Source       string          `json:"source"`
	Target       string          `json:"target"`
	SourceEngine string          `json:"source_engine"`
	Slot         string          `json:"slot"`
	Tables       []string        `json:"tables,omitempty"`
	Exclude      []string        `json:"exclude,omitempty"`
	Parallel     int             `json:"parallel"`
	Convert      convert.Options `json:"convert,omitzero"`
	Created      time.Time       `json:"created"`
}

// Progress is a snapshot of a running (or stopped) verb.
type Progress struct {
	Verb    string    `json:"verb"`
	Phase   string    `json:"phase"` // see the Phase constants
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`

	// Snapshot copy.
	Tables        int     `json:"tables"`
	TablesDone    int     `json:"tables_done"`
	Chunks        int     `json:"chunks"`
	ChunksDone    int     `json:"chunks_done"`
	ChunksSkipped int     `json:"chunks_skipped"`
	EstRows       int64   `json:"est_rows"`
	Rows          int64   `json:"rows"`
	Bytes         int64   `json:"bytes"` // Arrow bytes loaded
	CopySeconds   float64 `json:"copy_seconds"`
	MBPerSec      float64 `json:"mb_per_sec"`
	ETASeconds    float64 `json:"eta_seconds,omitempty"`

	// Change capture.
	LSN          string  `json:"lsn,omitempty"`
	LagSeconds   float64 `json:"lag_seconds"`
	Changes      int64   `json:"changes"`
	Transactions int64   `json:"transactions"`
	Fence        string  `json:"fence,omitempty"` // the fence reached (phase fenced)
	Error        string  `json:"error,omitempty"`
}

// Phases of Progress.
const (
	PhaseStarting  = "starting"
	PhaseSnapshot  = "snapshot"  // copying the snapshot
	PhaseStreaming = "streaming" // applying changes, in sync
	PhaseDraining  = "draining"  // a fence was requested: applying up to it
	PhaseFenced    = "fenced"    // the target holds every change before the fence
	PhaseStopped   = "stopped"   // stopped cleanly (SIGINT/SIGTERM)
	PhaseFailed    = "failed"
)

// Report is what validate and cutover found.
type Report struct {
	Validation *ValidationResult `json:"validation,omitempty"`
	Cutover    *CutoverResult    `json:"cutover,omitempty"`
}

// FenceRequest is a cutover's request that the running migrate stops at
// Fence (a PostgreSQL LSN, or a MySQL FILE:POS).
type FenceRequest struct {
	Fence     string    `json:"fence"`
	Requested time.Time `json:"requested"`
}

// OpenState opens (and creates) the state directory.
func OpenState(dir string) (*State, error) {
	if dir == "" {
		dir = ".dbmig"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return &State{Dir: dir}, nil
}

// ErrNoPlan means the state directory holds no migration yet.
var ErrNoPlan = errors.New("no migration in the state directory (run dbmigrate migrate first)")

func (s *State) path(name string) string { return filepath.Join(s.Dir, name) }

// writeJSON replaces name atomically: write a temporary file, fsync, rename.
func (s *State) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, "."+name+"-*")
	if err != nil {
		return fmt.Errorf("state %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("state %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("state %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), s.path(name)); err != nil {
		return fmt.Errorf("state %s: %w", name, err)
	}
	return nil
}

// readJSON reads name into v; found is false when the file does not exist.
func (s *State) readJSON(name string, v any) (found bool, err error) {
	b, err := os.ReadFile(s.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("state %s: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("state %s: %w", s.path(name), err)
	}
	return true, nil
}

// Plan reads the plan (ErrNoPlan when there is none).
func (s *State) Plan() (*Plan, error) {
	var p Plan
	found, err := s.readJSON(planFile, &p)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoPlan
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("state %s: plan version %d, this dbmigrate reads version %d", s.Dir, p.Version, PlanVersion)
	}
	return &p, nil
}

// WritePlan records the plan.
func (s *State) WritePlan(p *Plan) error { return s.writeJSON(planFile, p) }

// Progress reads the last progress snapshot (zero when there is none).
func (s *State) Progress() (Progress, error) {
	var p Progress
	_, err := s.readJSON(progressFile, &p)
	return p, err
}

func (s *State) writeProgress(p Progress) error { return s.writeJSON(progressFile, p) }

// Report reads the report (empty when there is none).
func (s *State) Report() (Report, error) {
	var r Report
	_, err := s.readJSON(reportFile, &r)
	return r, err
}

// updateReport changes the report under the state lock-free rule that only
// one verb writes a given part; the file is still replaced whole.
func (s *State) updateReport(change func(*Report)) error {
	r, err := s.Report()
	if err != nil {
		return err
	}
	change(&r)
	return s.writeJSON(reportFile, r)
}

// fenceRequest reads a pending fence request (nil when there is none).
func (s *State) fenceRequest() (*FenceRequest, error) {
	var f FenceRequest
	found, err := s.readJSON(fenceFile, &f)
	if err != nil || !found {
		return nil, err
	}
	return &f, nil
}

func (s *State) requestFence(f FenceRequest) error { return s.writeJSON(fenceFile, f) }

func (s *State) clearFence() error {
	if err := os.Remove(s.path(fenceFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
