package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/dbmig/dbmig/internal/pgcodec"
)

// target is a table being loaded.
type target struct {
	id      format.TableID
	header  format.Header   // of its first segment: keys, indexes, constraints
	cols    []format.Column // the stream's columns
	schema  *arrow.Schema   // of the first segment, to check later ones against
	load    []int           // stream columns loaded (others are generated in the target)
	loadSch *arrow.Schema   // schema of the loaded columns
	enc     *pgcodec.Encoder
	copySQL string
	oid     uint32
	bytes   int64 // loaded Arrow bytes, to order index builds biggest first
}

// target returns the prepared target of seg's table, preparing it on first
// sight: created (with Create) or checked, and its encoder built from the
// target's actual column types.
func (l *loader) target(ctx context.Context, seg *format.Segment) (*target, error) {
	h := seg.Header
	key := h.Table.Schema + "\x00" + h.Table.Name
	if t := l.targets[key]; t != nil {
		if !sameColumns(t.schema, seg.Schema) {
			return nil, fmt.Errorf("table %s, segment %d: %w", t.id, seg.Index, errSchemaChanged)
		}
		return t, nil
	}
	t := &target{id: h.Table, header: h, cols: seg.Columns, schema: seg.Schema}
	if err := l.prepare(ctx, t); err != nil {
		return nil, fmt.Errorf("table %s: %w", t.id, err)
	}
	l.targets[key] = t
	l.order = append(l.order, t)
	return t, nil
}

func sameColumns(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.Fields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}

func (l *loader) prepare(ctx context.Context, t *target) error {
	oid, err := tableOID(ctx, l.admin, t.id.Schema, t.id.Name)
	if err != nil {
		return err
	}
	switch {
	case l.cfg.Create && oid != 0:
		ours, err := createdByStream(ctx, l.admin, l.stream, t.id.Schema, t.id.Name)
		if err != nil {
			return err
		}
		if !ours {
			return fmt.Errorf("already exists in the target and was not created by this stream: drop it, or load without --create to append to it")
		}
	case l.cfg.Create:
		if oid, err = l.create(ctx, t); err != nil {
			return err
		}
	case oid == 0:
		return fmt.Errorf("does not exist in the target (create it, or load with --create)")
	}
	t.oid = oid
	return nil
}

// create makes the table (and its types and sequences) in one transaction
// that also records it as this stream's.
func (l *loader) create(ctx context.Context, t *target) (uint32, error) {
	tx, err := l.admin.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	var lookupErr error
	exists := func(schema, name string) bool {
		ok, err := typeExists(ctx, tx, schema, name)
		if err != nil && lookupErr == nil {
			lookupErr = err
		}
		return ok
	}
	stmts, err := createStatements(t.header, t.cols, exists)
	if err != nil {
		return 0, err
	}
	if lookupErr != nil {
		return 0, lookupErr
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return 0, fmt.Errorf("create: %w\n%s", err, s)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO dbmig.load_tables (stream, schema_name, table_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		l.stream, t.id.Schema, t.id.Name); err != nil {
		return 0, err
	}
	oid, err := tableOID(ctx, tx, t.id.Schema, t.id.Name)
	if err != nil {
		return 0, err
	}
	l.cfg.Logger.Debug("created table", "table", t.id.String())
	return oid, tx.Commit(ctx)
}

// encoder returns the table's COPY encoder, built on first use: a rerun that
// finds every chunk of a table loaded never needs one (and after post-data
// a text-cast column no longer has the type the stream carries).
func (l *loader) encoder(ctx context.Context, t *target) error {
	if t.enc != nil {
		return nil
	}
	if err := l.buildEncoder(ctx, t); err != nil {
		return fmt.Errorf("table %s: %w", t.id, err)
	}
	return nil
}

// buildEncoder matches the stream's columns to the target's by name and
// builds the COPY encoder for the target's actual types.
func (l *loader) buildEncoder(ctx context.Context, t *target) error {
	cols, err := pgcatalog.Columns(ctx, l.admin, []uint32{t.oid})
	if err != nil {
		return err
	}
	byName := map[string]pgcatalog.Column{}
	var oids []uint32
	for _, c := range cols[t.oid] {
		byName[c.Name] = c
		oids = append(oids, c.TypeOID)
	}
	types, err := pgcatalog.LoadTypes(ctx, l.admin, oids)
	if err != nil {
		return err
	}
	var fields []arrow.Field
	var targets []pgcodec.Type
	var names []string
	var keys []int
	for i, c := range t.cols {
		tc, ok := byName[c.Name]
		if !ok {
			return fmt.Errorf("the target has no column %q", c.Name)
		}
		if tc.Generated != "" {
			continue // computed by the target
		}
		ct, err := types.Codec(tc.TypeOID, tc.Typmod)
		if err != nil {
			return fmt.Errorf("column %s: %w", c.Name, err)
		}
		if c.PKOrdinal > 0 {
			keys = append(keys, len(fields))
		}
		t.load = append(t.load, i)
		fields = append(fields, t.schema.Field(i))
		targets = append(targets, ct)
		names = append(names, ident(c.Name))
	}
	t.loadSch = arrow.NewSchema(fields, nil)
	if t.enc, err = pgcodec.NewEncoder(t.loadSch, targets); err != nil {
		return err
	}
	t.enc.Keys = keys
	t.copySQL = fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", ident(t.id.Schema, t.id.Name), strings.Join(names, ", "))
	return nil
}

// project keeps the loaded columns of rec (retained; rec itself is not).
func (t *target) project(rec arrow.RecordBatch) arrow.RecordBatch {
	if len(t.load) == len(t.cols) {
		rec.Retain()
		return rec
	}
	cols := make([]arrow.Array, len(t.load))
	for i, k := range t.load {
		cols[i] = rec.Column(k)
	}
	return array.NewRecordBatch(t.loadSch, cols, rec.NumRows())
}
