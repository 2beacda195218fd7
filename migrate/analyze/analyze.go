// Package analyze reads a source database's catalog and a sample of its
// data and reports what a migration to another engine will meet: per table
// the rows and bytes, every column's conversion, every lossy or
// unsupported conversion and why, data that breaks a copy (zero dates,
// unsigned values above 2^63−1, NUL bytes, values too long, keys that
// collide under another collation), the objects left for manual work and
// an estimated copy time. It writes no data anywhere.
//
// It runs the real pipeline on a sample rather than a model of it: the
// readers' Sample writes the same stream Extract would (only fewer rows),
// transforms/convert converts it, and the DDL comes from writers/postgres's
// own statement builders, so the report cannot drift from what dbextract |
// dbconvert | dbload --create do.
package analyze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/dbmig/dbmig/format"
	mysqlreader "github.com/dbmig/dbmig/readers/mysql"
	pgreader "github.com/dbmig/dbmig/readers/postgres"
	"github.com/dbmig/dbmig/transforms/convert"
	pgwriter "github.com/dbmig/dbmig/writers/postgres"
)

// Options say what to analyze.
type Options struct {
	// Source is the source DSN: postgres://, key=value (PostgreSQL),
	// mysql:// or mariadb://.
	Source string
	// Tables and Exclude select tables as dbextract's --tables/--exclude.
	Tables, Exclude []string
	// Convert are the conversion choices (Convert.To is the target engine:
	// convert.EnginePostgres or convert.EngineMySQL). The report and the
	// DDL assume them.
	Convert convert.Options
	// TargetDSN, if set, is a target server on which the DDL is tried in a
	// transaction that is rolled back (PostgreSQL targets).
	TargetDSN string
	// SampleRows is the number of rows read per table (default 1000).
	SampleRows int
	// ExactMaxBytes is the catalog size up to which a table's checks run
	// over every row in SQL (MySQL sources; default 256 MiB; negative:
	// never). Larger tables are profiled on the sample only.
	ExactMaxBytes int64
	Logger        *slog.Logger
}

func (o *Options) defaults() {
	if o.SampleRows <= 0 {
		o.SampleRows = 1000
	}
	if o.ExactMaxBytes == 0 {
		o.ExactMaxBytes = 256 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// SourceEngine says which engine a DSN is for: "postgres" or "mysql".
func SourceEngine(dsn string) (string, error) {
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		switch strings.ToLower(scheme) {
		case "postgres", "postgresql":
			return convert.EnginePostgres, nil
		case "mysql", "mariadb":
			return convert.EngineMySQL, nil
		}
		return "", fmt.Errorf("source DSN: unknown scheme %q (want postgres://, mysql:// or mariadb://)", scheme)
	}
	if strings.Contains(dsn, "@tcp(") || strings.Contains(dsn, "@unix(") {
		return convert.EngineMySQL, nil
	}
	if strings.Contains(dsn, "=") {
		return convert.EnginePostgres, nil
	}
	return "", errors.New("source DSN is not a connection string (want postgres://..., mysql://... or key=value pairs)")
}

// sampled is one table's sample, whichever the reader.
type sampled struct {
	id       format.TableID
	estRows  int64
	estBytes int64
	rows     int64
	read     time.Duration
}

// tableState gathers what the stream tells about one table.
type tableState struct {
	conv    *convert.Table
	header  format.Header // source header
	src     []format.Column
	prof    *profiler
	blocker *Finding
}

// Analyze reads the source's catalog and a sample of every selected table
// and returns the report. Script (the target DDL) is in Report.Script.
func Analyze(ctx context.Context, opts Options) (*Report, error) {
	opts.defaults()
	engine, err := SourceEngine(opts.Source)
	if err != nil {
		return nil, err
	}
	cv, err := convert.NewConverter(opts.Convert)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The sample travels as a real stream through a pipe: what is analyzed
	// is exactly what dbextract would write, read back as dbconvert reads it.
	pr, pw := io.Pipe()
	defer pr.Close()
	type sampleResult struct {
		tables []sampled
		err    error
	}
	done := make(chan sampleResult, 1)
	go func() {
		w := format.NewWriter(pw, format.WriterOptions{Compression: format.CompressionNone})
		tables, err := sample(ctx, engine, opts, w)
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
		done <- sampleResult{tables, err}
	}()
	start := time.Now()
	states, objects, err := consume(ctx, cv, format.NewReader(pr, format.ReaderOptions{}))
	if err != nil {
		cancel()
		pr.CloseWithError(err)
	}
	res := <-done
	if res.err != nil && !errors.Is(res.err, io.ErrClosedPipe) {
		return nil, fmt.Errorf("read the sample: %w", res.err)
	}
	if err != nil {
		return nil, fmt.Errorf("analyze the sample: %w", err)
	}
	opts.Logger.Info("sample read", "tables", len(res.tables), "elapsed", time.Since(start).Round(time.Millisecond).String())

	rep := &Report{Source: redactDSN(opts.Source), SourceEngine: engine, Target: opts.Convert.To, Generated: time.Now().UTC(),
		Options: optionFlags(opts.Convert), Convert: cv.Report()}
	rep.Sample = Sample{RowsPerTable: opts.SampleRows, ExactMaxBytes: opts.ExactMaxBytes}
	build(rep, res.tables, states, objects, opts)
	if engine == convert.EngineMySQL {
		if err := exactChecks(ctx, opts, rep, states); err != nil {
			return nil, err
		}
	} else {
		rep.Notes = append(rep.Notes, "PostgreSQL source: findings come from the sample only, and views, triggers and routines are not read yet (readers/postgres has no catalog segment).")
	}
	foreignKeyTypes(rep, states)
	for _, t := range rep.Tables {
		for i := range t.Findings {
			explain(&t.Findings[i], t, opts.Convert)
		}
	}
	rep.Estimate = estimate(res.tables)
	if err := buildScript(ctx, rep, states, objects, opts); err != nil {
		return rep, err
	}
	rep.count()
	return rep, nil
}

// sample runs the source reader's Sample into w.
func sample(ctx context.Context, engine string, opts Options, w *format.Writer) ([]sampled, error) {
	var out []sampled
	switch engine {
	case convert.EngineMySQL:
		ts, err := mysqlreader.Sample(ctx, mysqlreader.Config{DSN: opts.Source, Tables: opts.Tables, Exclude: opts.Exclude,
			Unsupported: "text", Logger: opts.Logger}, opts.SampleRows, w)
		for _, t := range ts {
			out = append(out, sampled{t.Table, t.EstRows, t.EstBytes, t.Rows, t.Read})
		}
		return out, err
	default:
		ts, err := pgreader.Sample(ctx, pgreader.Config{DSN: opts.Source, Tables: opts.Tables, Exclude: opts.Exclude,
			UnsupportedAsText: true, Logger: opts.Logger}, opts.SampleRows, w)
		for _, t := range ts {
			out = append(out, sampled{t.Table, t.EstRows, t.EstBytes, t.Rows, t.Read})
		}
		return out, err
	}
}

// consume converts and profiles every segment of the sample stream.
func consume(ctx context.Context, cv *convert.Converter, r *format.Reader) (map[string]*tableState, []format.Header, error) {
	states := map[string]*tableState{}
	var objects []format.Header
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		seg, err := r.Next()
		if err == io.EOF {
			return states, objects, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if seg.Header.Kind == format.KindCatalog {
			objects = append(objects, cv.Catalog(seg.Header)...)
			continue
		}
		if seg.Header.Kind != format.KindSnapshot {
			continue
		}
		t, err := cv.Table(seg.Header, seg.Columns)
		if err != nil {
			return nil, nil, err
		}
		st := &tableState{conv: t, header: seg.Header, src: seg.Columns, prof: newProfiler(seg.Header, seg.Columns, t.Columns())}
		states[seg.Header.Table.String()] = st
		for {
			rec, err := seg.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, nil, err
			}
			st.prof.add(rec)
			// Convert the batch as dbconvert would, to learn whether the
			// copy would stop on it (the first such value per table).
			out, err := t.Batch(rec)
			if err != nil {
				if st.blocker == nil {
					var ve *convert.ValueError
					f := &Finding{Kind: FindBlocker, Count: 1, Why: err.Error()}
					if errors.As(err, &ve) {
						f.Column, f.Example, f.Why, f.Fix = ve.Column, ve.Key, ve.Reason, ve.Flag
					}
					st.blocker = f
				}
				continue
			}
			out.Release()
		}
	}
}

// build fills the report's tables and objects.
func build(rep *Report, tables []sampled, states map[string]*tableState, objects []format.Header, opts Options) {
	for _, s := range tables {
		st := states[s.id.String()]
		if st == nil {
			continue
		}
		cr := st.conv.Report()
		t := &Table{Source: cr.Source, Target: cr.Target, Rows: s.estRows, Bytes: s.estBytes, SampledRows: s.rows}
		for _, c := range cr.Columns {
			t.Columns = append(t.Columns, Column{Source: c.Source, Target: c.Target, SourceType: c.SourceType, TargetType: c.TargetType,
				Rule: c.Rule, Lossy: c.Lossy, Flag: c.Flag})
			if c.Lossy {
				kind := "lossy"
				if strings.Contains(c.Rule, "unsupported") || strings.Contains(c.Rule, "read as text") {
					kind = "unsupported"
				}
				why := c.Rule
				if c.Flag != "" {
					why += " (chosen by --" + c.Flag + ")"
				}
				t.Issues = append(t.Issues, Issue{Kind: kind, Column: c.Source, What: c.SourceType + " → " + c.TargetType, Why: why})
			}
		}
		for _, it := range cr.Items {
			switch it.Kind {
			case convert.ItemDropped, convert.ItemBehaviour, convert.ItemLossy:
				t.Issues = append(t.Issues, Issue{Kind: it.Kind, What: it.What, Why: it.Why})
			}
		}
		t.Findings = st.prof.findings()
		if st.blocker != nil {
			t.Findings = append(t.Findings, *st.blocker)
		}
		rep.Sample.Rows += s.rows
		rep.Sample.Read += s.read
		rep.Tables = append(rep.Tables, t)
	}
	for _, h := range objects {
		for _, o := range h.Objects {
			status := "manual"
			if h.TargetEngine != "" {
				status = "translated"
			}
			rep.Objects = append(rep.Objects, Object{Kind: o.Kind, Name: o.Name, Table: o.Table, Status: status, Note: o.Note})
		}
	}
}

// count fills the totals.
func (r *Report) count() {
	r.Totals = Totals{Tables: len(r.Tables)}
	for _, t := range r.Tables {
		r.Totals.Rows += t.Rows
		r.Totals.Bytes += t.Bytes
		r.Totals.Lossy += len(t.Issues)
		r.Totals.Findings += len(t.Findings)
	}
	r.Totals.Findings += len(r.Server)
	for _, o := range r.Objects {
		if o.Status == "manual" {
			r.Totals.Manual++
		}
	}
}

// estimate extrapolates the sample's read rate (catalog bytes per second:
// each sampled row counted at its table's average row size) to every byte
// the catalog reports.
func estimate(tables []sampled) CopyEstimate {
	var bytes int64
	var sampleBytes float64
	var read time.Duration
	for _, t := range tables {
		bytes += t.estBytes
		if t.estRows > 0 && t.rows > 0 {
			sampleBytes += float64(t.rows) * float64(t.estBytes) / float64(t.estRows)
			read += t.read
		}
	}
	e := CopyEstimate{Bytes: bytes}
	e.Assumption = "one connection reads the whole source at the rate it read the sample (rows counted at their table's average catalog row size); " +
		"parallel workers divide the read time up to the source's free cores; writing to the target and building indexes are not included; " +
		"small samples are dominated by per-query latency, so the estimate is pessimistic for them"
	if read <= 0 || sampleBytes <= 0 {
		e.Assumption = "no rows were sampled: no rate to extrapolate"
		return e
	}
	e.BytesPerSec = sampleBytes / read.Seconds()
	e.Duration = time.Duration(float64(bytes) / e.BytesPerSec * float64(time.Second)).Round(time.Millisecond)
	return e
}

// optionFlags lists the conversion choices as dbconvert flags.
func optionFlags(o convert.Options) []string {
	var out []string
	add := func(flag, v, def string) {
		if v != "" && v != def {
			out = append(out, "--"+flag+" "+v)
		}
	}
	add("identifiers", o.Identifiers, "preserve")
	add("schema", o.Schema, "")
	add("zero-dates", o.ZeroDates, "error")
	add("numeric-as", o.NumericAs, "")
	add("timestamptz-as", o.TimestamptzAs, "timestamp")
	add("interval-as", o.IntervalAs, "")
	add("uuid-as", o.UUIDAs, "char")
	add("infinity", o.Infinity, "error")
	for flag, on := range map[string]bool{"tinyint1-as-bool": o.Tinyint1AsBool, "enum-as-text": o.EnumAsText, "strip-nul": o.StripNUL, "arrays-as-json": o.ArraysAsJSON} {
		if on {
			out = append(out, "--"+flag)
		}
	}
	return out
}

// redactDSN removes a password from a URL DSN (key=value DSNs lose their
// password= pair).
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	var kept []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(strings.ToLower(f), "password=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// buildScript makes the target DDL and, with a target DSN, dry-runs it.
func buildScript(ctx context.Context, rep *Report, states map[string]*tableState, objects []format.Header, opts Options) error {
	if opts.Convert.To != convert.EnginePostgres {
		rep.Notes = append(rep.Notes, "--ddl and --target are built for PostgreSQL targets only; for MySQL targets dbload --create creates the tables.")
		return nil
	}
	var tables []pgwriter.DDLTable
	for _, t := range rep.Tables {
		for _, st := range states {
			if st.conv.Report().Source == t.Source {
				tables = append(tables, pgwriter.DDLTable{Header: st.conv.HeaderFor(st.header), Columns: st.conv.Columns()})
			}
		}
	}
	ddl, err := pgwriter.BuildDDL(tables)
	if err != nil {
		return fmt.Errorf("target DDL: %w", err)
	}
	s := &Script{PreData: ddl.PreData, PostData: ddl.PostData}
	var views []format.Object
	for _, h := range objects {
		if h.TargetEngine != convert.EnginePostgres {
			continue
		}
		for _, o := range h.Objects {
			if o.Kind == "view" {
				views = append(views, o)
			}
		}
	}
	s.Views = pgwriter.ViewStatements(views)
	rep.Script = s
	rep.DDL = &DDLSummary{PreData: len(s.PreData), PostData: len(s.PostData), Views: len(views)}
	if opts.TargetDSN != "" {
		if err := pgwriter.TryDDL(ctx, opts.TargetDSN, s.All()); err != nil {
			return fmt.Errorf("the DDL does not load into --target (dry run, rolled back): %w", err)
		}
		rep.DDL.Checked = "dry run on the target (one transaction, rolled back): every statement ran"
	}
	return nil
}
