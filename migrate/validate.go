package migrate

import (
	"context"
	"fmt"
	"time"

	"github.com/dbmig/dbmig/checksum/compare"
	ckmysql "github.com/dbmig/dbmig/checksum/mysql"
	ckpostgres "github.com/dbmig/dbmig/checksum/postgres"
	"github.com/dbmig/dbmig/internal/command"
)

// ValidationResult is a validation's summary in the report.
type ValidationResult struct {
	At          time.Time       `json:"at"`
	Seconds     float64         `json:"seconds"`
	Equal       bool            `json:"equal"`
	Tables      int             `json:"tables"`
	Differences int64           `json:"differences"` // differing rows and schema items
	LiveSeconds float64         `json:"live_seconds,omitempty"`
	Compare     *compare.Report `json:"compare"`
}

// ValidateOptions says how to validate.
type ValidateOptions struct {
	Options
	// Live re-checks differing rows after this delay and keeps only those
	// that still differ (changes in flight while migrate runs). Negative:
	// 3s when a migrate is running on the state, else none.
	Live time.Duration
	// Mode is compare's digest mode (default auto).
	Mode string
}

// Validate compares every migrated table of the source and the target
// (dbcheck), writes the result into the report and returns it. Differences
// are in the result, not an error.
func Validate(ctx context.Context, o ValidateOptions) (*ValidationResult, error) {
	o.defaults()
	plan, err := o.State.Plan()
	if err != nil {
		return nil, err
	}
	if o.Endpoints, err = resolve(o.Endpoints, plan); err != nil {
		return nil, err
	}
	if o.Live < 0 {
		o.Live = 0
		if o.State.Running() {
			o.Live = 3 * time.Second
		}
	}
	res, err := validate(ctx, plan, o.Endpoints, o.Live, o.Mode, o)
	if err != nil {
		return nil, err
	}
	if err := o.State.updateReport(func(r *Report) { r.Validation = res }); err != nil {
		return res, err
	}
	return res, nil
}

func validate(ctx context.Context, plan *Plan, dsn Endpoints, live time.Duration, mode string, o ValidateOptions) (*ValidationResult, error) {
	cfg := compare.Config{Filter: compare.Filter{Tables: plan.Tables, Exclude: plan.Exclude}, Mode: mode, Live: live, Logger: o.Logger}
	var src compare.Side
	var err error
	if plan.SourceEngine == EngineMySQL {
		src, err = ckmysql.Open(ctx, ckmysql.Config{DSN: dsn.Source, Name: "source " + plan.Source, Logger: o.Logger})
	} else {
		src, err = ckpostgres.Open(ctx, ckpostgres.Config{DSN: dsn.Source, Name: "source " + plan.Source, Logger: o.Logger})
	}
	if err != nil {
		return nil, fmt.Errorf("source: %w", command.RedactError(err, dsn.Source))
	}
	defer src.Close()
	dst, err := ckpostgres.Open(ctx, ckpostgres.Config{DSN: dsn.Target, Name: "target " + plan.Target, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("target: %w", command.RedactError(err, dsn.Target))
	}
	defer dst.Close()
	start := time.Now()
	rep, err := compare.Compare(ctx, src, dst, cfg)
	if err != nil {
		return nil, fmt.Errorf("validate: %w", command.RedactError(err, dsn.Source, dsn.Target))
	}
	res := &ValidationResult{At: start.UTC(), Seconds: time.Since(start).Seconds(), Equal: rep.Equal(), Tables: len(rep.Tables),
		LiveSeconds: live.Seconds(), Compare: rep}
	for _, t := range rep.Tables {
		res.Differences += int64(len(t.Rows)) + t.MoreRows + int64(len(t.Schema))
	}
	return res, nil
}
