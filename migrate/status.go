package migrate

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Status is what dbmigrate status prints: the state of a migration.
type Status struct {
	State    string    `json:"state"`
	Running  bool      `json:"running"`
	Plan     *Plan     `json:"plan"`
	Progress *Progress `json:"progress,omitempty"`
	Report   *Report   `json:"report,omitempty"`
}

// ReadStatus reads the state directory (nothing else: it works while a
// verb runs, and without any database).
func ReadStatus(st *State) (*Status, error) {
	plan, err := st.Plan()
	if err != nil {
		return nil, err
	}
	s := &Status{State: st.Dir, Running: st.Running(), Plan: plan}
	p, err := st.Progress()
	if err != nil {
		return nil, err
	}
	if !p.Started.IsZero() {
		s.Progress = &p
	}
	r, err := st.Report()
	if err != nil {
		return nil, err
	}
	if r.Validation != nil || r.Cutover != nil {
		s.Report = &r
	}
	return s, nil
}

// WriteJSON writes the status as one JSON document.
func (s *Status) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText writes the status for people.
func (s *Status) WriteText(w io.Writer) error {
	pr := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	pr("migration   %s -> %s (slot %s, state %s)\n", s.Plan.Source, s.Plan.Target, s.Plan.Slot, s.State)
	if p := s.Progress; p != nil {
		run := "not running"
		if s.Running {
			run = fmt.Sprintf("running (pid %d)", p.PID)
		}
		pr("phase       %s, %s; %s %s, updated %s ago\n", p.Phase, run, p.Verb, "started "+p.Started.Format(time.RFC3339),
			time.Since(p.Updated).Round(time.Second))
		if p.Chunks > 0 || p.ChunksDone > 0 {
			pr("copy        tables %s, chunks %s (%d skipped as already loaded), rows %d", frac(p.TablesDone, p.Tables),
				frac(p.ChunksDone, p.Chunks), p.ChunksSkipped, p.Rows)
			if p.EstRows > 0 {
				pr(" of ~%d", p.EstRows)
			}
			pr(", %.1f MB/s over %.1fs", p.MBPerSec, p.CopySeconds)
			if p.ETASeconds > 0 {
				pr(", ETA %s", (time.Duration(p.ETASeconds) * time.Second).String())
			}
			pr("\n")
		}
		if p.LSN != "" {
			pr("changes     %d in %d transactions applied, position %s, lag %.3fs\n", p.Changes, p.Transactions, p.LSN, p.LagSeconds)
		}
		if p.Fence != "" {
			pr("fence       %s\n", p.Fence)
		}
		if p.Error != "" {
			pr("error       %s\n", p.Error)
		}
	}
	if s.Report != nil {
		if v := s.Report.Validation; v != nil {
			verdict := "EQUAL"
			if !v.Equal {
				verdict = fmt.Sprintf("DIFFERENT (%d differences)", v.Differences)
			}
			pr("validation  %s: %d tables %s in %.1fs\n", v.At.Format(time.RFC3339), v.Tables, verdict, v.Seconds)
		}
		if c := s.Report.Cutover; c != nil {
			pr("cutover     %s: fence %s, write freeze %.3fs (drained by %s), %d sequences moved, read-only source %v\n",
				c.At.Format(time.RFC3339), c.Fence, c.WriteFreezeSeconds, c.DrainedBy, len(c.Sequences), c.ReadOnlySource)
		}
	}
	return nil
}
