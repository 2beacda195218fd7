package postgres

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/dbmig/dbmig/internal/pgcodec"
	"github.com/dbmig/dbmig/writers/internal/changeplan"
	"github.com/jackc/pgx/v5"
)

// applyGroup applies units in one target transaction with the checkpoint.
func (a *applier) applyGroup(ctx context.Context, group []*unit) error {
	last := group[len(group)-1]
	var rows, txs int64
	var live []*unit
	for _, u := range group {
		rows += u.Rows
		txs += u.Checkpoint.Transactions
		if u.Checkpoint.Phase == format.PhaseCommit && u.LSN <= a.applied {
			a.stats.Skipped += u.Rows // the whole group is in the target already
			continue
		}
		live = append(live, u)
	}
	if last.LSN <= a.applied && len(live) == 0 {
		return nil
	}
	tx, err := a.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit: a no-op
	// Per table, the runs of segments in stream order; a run ends where the
	// table's columns change.
	type run struct {
		segs []*changeSeg
	}
	var order []string
	runs := map[string][]*run{}
	for _, u := range live {
		for _, s := range u.Segments {
			key := s.Header.Table.Schema + "." + s.Header.Table.Name
			rs := runs[key]
			if len(rs) == 0 {
				order = append(order, key)
			}
			if len(rs) == 0 || !sameColumns(rs[len(rs)-1].segs[0].Schema, s.Schema) {
				rs = append(rs, &run{})
				runs[key] = rs
			}
			rs[len(rs)-1].segs = append(rs[len(rs)-1].segs, s)
		}
	}
	for _, key := range order {
		for _, r := range runs[key] {
			if err := a.applyRun(ctx, tx, r.segs); err != nil {
				return err
			}
		}
	}
	lsn := max(last.LSN, a.applied)
	var commitTime *time.Time
	if !last.Checkpoint.CommitTime.IsZero() {
		commitTime = &last.Checkpoint.CommitTime
	}
	if _, err := tx.Exec(ctx, `UPDATE dbmig.cdc_checkpoints SET lsn = $2::pg_lsn, commit_time = coalesce($3, commit_time), applied_at = now() WHERE feed = $1`,
		a.feed, format.FormatLSN(lsn), commitTime); err != nil {
		return fmt.Errorf("record checkpoint %s: %w", format.FormatLSN(lsn), err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit changes up to %s: %w", format.FormatLSN(lsn), err)
	}
	a.applied = lsn
	a.stats.Commits++
	a.stats.Changes += rows
	a.stats.Transactions += txs
	a.stats.LSN = format.FormatLSN(lsn)
	if err := a.writeAck(last.Checkpoint.CommitTime); err != nil {
		return err
	}
	if a.cfg.OnApplied != nil {
		g := AppliedGroup{LSN: format.FormatLSN(lsn), Rows: rows, Transactions: txs, Heartbeat: last.Checkpoint.Phase == format.PhaseHeartbeat}
		if t := oldestCommit(group); !t.IsZero() {
			g.Lag = time.Since(t)
		} else if !last.Checkpoint.SourceTime.IsZero() {
			g.Lag = time.Since(last.Checkpoint.SourceTime)
		}
		a.cfg.OnApplied(g)
	}
	return nil
}

func (a *applier) writeAck(commit time.Time) error {
	if a.cfg.AckFile == "" {
		return nil
	}
	err := writeAckFile(a.cfg.AckFile, Applied{Feed: a.feed, Found: true, LSN: format.FormatLSN(a.applied), SnapshotID: a.snapID, SnapshotDone: true, CommitTime: commit})
	if err != nil {
		return fmt.Errorf("write ack file %s: %w", a.cfg.AckFile, err)
	}
	return nil
}

// applyTarget is a target table prepared for one version of its stream
// columns.
type applyTarget struct {
	id       format.TableID
	oid      uint32
	cols     []int    // stream table column index of each staged column
	names    []string // quoted target names of the staged columns
	keys     []int    // staged positions of the key columns
	keyCols  []int    // stream table column index of each key column
	enc      *pgcodec.Encoder
	stage    string // temp table name, quoted
	copySQL  string
	deleteSQ string
	upsertSQ string
	updateSQ string        // one round of updates that keep unchanged values; "" when only key columns
	schema   *arrow.Schema // staged batch schema
}

// prepareTarget matches a change segment's columns to the target table.
// Columns the target lacks were added at the source (ALTER TABLE ADD
// COLUMN; pgoutput sends no DDL, only the new column set) and are added
// here; any other difference is DDL apply cannot follow.
func (a *applier) prepareTarget(ctx context.Context, tx pgx.Tx, s *changeSeg) (*applyTarget, error) {
	key := s.Header.Table.Schema + "\x00" + s.Header.Table.Name + "\x00" + changeplan.Fingerprint(s.Schema)
	if t := a.targets[key]; t != nil {
		return t, nil
	}
	id := s.Header.Table
	pos := "segment " + strconv.Itoa(s.Index)
	if len(s.Batches) > 0 {
		pos = "LSN " + format.FormatLSN(uint64(s.Batches[0].Column(1).(*array.Int64).Value(0)))
	}
	ddlErr := func(f string, args ...any) error {
		return fmt.Errorf("table %s at %s: %s: apply cannot follow this DDL (--on-ddl=skip applies the columns both sides have)", id, pos, fmt.Sprintf(f, args...))
	}
	oid, err := tableOID(ctx, tx, id.Schema, id.Name)
	if err != nil {
		return nil, err
	}
	if oid == 0 {
		return nil, fmt.Errorf("table %s (changes at %s) does not exist in the target", id, pos)
	}
	cat, err := pgcatalog.Columns(ctx, tx, []uint32{oid})
	if err != nil {
		return nil, err
	}
	byName := map[string]pgcatalog.Column{}
	for _, c := range cat[oid] {
		byName[c.Name] = c
	}
	inStream := map[string]bool{}
	for _, c := range s.Columns {
		inStream[c.Name] = true
		tc, ok := byName[c.Name]
		if !ok {
			typ := c.DeclaredType()
			if s.Header.Dialect() != "postgres" || typ == "" {
				return nil, ddlErr("column %s is new, and its type is not in PostgreSQL's terms", c.Name)
			}
			a.cfg.Logger.Info("adding a column the source added", "table", id.String(), "column", c.Name, "type", typ, "at", pos)
			if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", ident(id.Schema, id.Name), ident(c.Name), typ)); err != nil {
				return nil, fmt.Errorf("table %s: add column %s: %w", id, c.Name, err)
			}
			continue
		}
		if s.Header.Dialect() == "postgres" && c.SourceType != "" && !sameTypeName(tc.Declared, c.DeclaredType()) && a.cfg.OnDDL == "stop" {
			return nil, ddlErr("column %s is %s at the source, %s in the target", c.Name, c.DeclaredType(), tc.Declared)
		}
	}
	for _, tc := range cat[oid] {
		if !inStream[tc.Name] && tc.Generated == "" && a.cfg.OnDDL == "stop" {
			return nil, ddlErr("the source no longer sends column %s (dropped or renamed)", tc.Name)
		}
	}
	if cat, err = pgcatalog.Columns(ctx, tx, []uint32{oid}); err != nil {
		return nil, err
	}
	for _, c := range cat[oid] {
		byName[c.Name] = c
	}
	var pk []string
	if err := tx.QueryRow(ctx, `
SELECT coalesce(ARRAY(SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                      WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.o)::text[], '{}')`, oid).Scan(&pk); err != nil {
		return nil, err
	}
	if len(pk) == 0 {
		return nil, fmt.Errorf("table %s has no primary key in the target: applying changes needs one", id)
	}
	t := &applyTarget{id: id, oid: oid}
	var oids []uint32
	for _, c := range cat[oid] {
		oids = append(oids, c.TypeOID)
	}
	types, err := pgcatalog.LoadTypes(ctx, tx, oids)
	if err != nil {
		return nil, err
	}
	var fields []arrow.Field
	var targets []pgcodec.Type
	var defs []string
	for i, c := range s.Columns {
		tc, ok := byName[c.Name]
		if !ok || tc.Generated != "" {
			continue
		}
		ct, err := types.Codec(tc.TypeOID, tc.Typmod)
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", id, c.Name, err)
		}
		for _, k := range pk {
			if k == c.Name {
				t.keys = append(t.keys, len(t.cols))
			}
		}
		t.cols = append(t.cols, i)
		t.names = append(t.names, ident(c.Name))
		f := s.Schema.Field(format.ChangeColumns + i)
		fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true, Metadata: f.Metadata})
		targets = append(targets, ct)
		defs = append(defs, ident(c.Name)+" "+tc.Declared)
	}
	if len(t.keys) != len(pk) {
		return nil, fmt.Errorf("table %s: the stream lacks a primary key column of the target (%s)", id, strings.Join(pk, ", "))
	}
	for _, k := range t.keys {
		t.keyCols = append(t.keyCols, t.cols[k])
	}
	fields = append(fields, arrow.Field{Name: "dbmig_op", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "dbmig_keep", Type: arrow.BinaryTypes.String, Nullable: true})
	targets = append(targets, pgcodec.Type{OID: 23, Name: "int4", Typmod: -1}, pgcodec.Type{OID: 25, Name: "text", Typmod: -1})
	defs = append(defs, "dbmig_op int4", "dbmig_keep text")
	t.schema = arrow.NewSchema(fields, nil)
	if t.enc, err = pgcodec.NewEncoder(t.schema, targets); err != nil {
		return nil, fmt.Errorf("table %s: %w", id, err)
	}
	t.stage = ident(fmt.Sprintf("dbmig_stage_%d_%d", oid, len(a.targets)))
	if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", t.stage, strings.Join(defs, ", "))); err != nil {
		return nil, fmt.Errorf("table %s: create staging table: %w", id, err)
	}
	t.copySQL = fmt.Sprintf("COPY %s (%s, dbmig_op, dbmig_keep) FROM STDIN (FORMAT binary)", t.stage, strings.Join(t.names, ", "))
	var on []string
	for _, k := range t.keys {
		on = append(on, fmt.Sprintf("t.%s = s.%s", t.names[k], t.names[k]))
	}
	target := ident(id.Schema, id.Name)
	t.deleteSQ = fmt.Sprintf("DELETE FROM %s t USING %s s WHERE s.dbmig_op = -1 AND %s", target, t.stage, strings.Join(on, " AND "))
	var set []string
	var conflict []string
	for i, n := range t.names {
		isKey := false
		for _, k := range t.keys {
			isKey = isKey || k == i
		}
		if isKey {
			conflict = append(conflict, n)
		} else {
			set = append(set, n+" = EXCLUDED."+n)
		}
	}
	action := "DO NOTHING"
	if len(set) > 0 {
		action = "DO UPDATE SET " + strings.Join(set, ", ")
	}
	cols := strings.Join(t.names, ", ")
	t.upsertSQ = fmt.Sprintf("INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM %s WHERE dbmig_op = 0 ON CONFLICT (%s) %s",
		target, cols, cols, t.stage, strings.Join(conflict, ", "), action)
	var keepSet []string
	for j, n := range t.names {
		if !slices.Contains(t.keys, j) {
			keepSet = append(keepSet, fmt.Sprintf("%s = CASE WHEN substr(s.dbmig_keep, %d, 1) = '1' THEN t.%s ELSE s.%s END", n, j+1, n, n))
		}
	}
	if len(keepSet) > 0 {
		t.updateSQ = fmt.Sprintf("UPDATE %s t SET %s FROM %s s WHERE s.dbmig_op = $1 AND %s", target, strings.Join(keepSet, ", "), t.stage, strings.Join(on, " AND "))
	}
	a.targets[key] = t
	return t, nil
}

// applyRun collapses one table's changes per key and applies the result:
// one COPY into the staging table, then a DELETE, an upsert, and an UPDATE
// per round of updates that left columns out.
func (a *applier) applyRun(ctx context.Context, tx pgx.Tx, segs []*changeSeg) error {
	t, err := a.prepareTarget(ctx, tx, segs[0])
	if err != nil {
		return err
	}
	plan, err := changeplan.Collapse(segs, t.keyCols, t.cols, a.applied, t.id.String())
	a.stats.Skipped += plan.Skipped
	if err != nil {
		return err
	}
	if plan.Truncated {
		// DELETE, not TRUNCATE: TRUNCATE refuses a table other tables
		// reference, foreign key triggers or not.
		if _, err := tx.Exec(ctx, "DELETE FROM "+ident(t.id.Schema, t.id.Name)); err != nil {
			return fmt.Errorf("table %s: truncate: %w", t.id, err)
		}
	}
	if len(plan.Steps) == 0 {
		return nil
	}
	rounds := plan.Rounds
	recs := plan.Stage(t.cols, t.schema)
	i := 0
	cr := t.enc.Reader(func() (arrow.RecordBatch, error) {
		if i == len(recs) {
			return nil, io.EOF
		}
		r := recs[i]
		recs[i] = nil // the COPY reader releases it
		i++
		return r, nil
	})
	_, err = tx.Conn().PgConn().CopyFrom(ctx, cr, t.copySQL)
	if cerr := cr.Close(); err == nil {
		err = cerr
	}
	for _, r := range recs {
		if r != nil {
			r.Release()
		}
	}
	if err != nil {
		return fmt.Errorf("table %s: copy changes to the staging table: %w", t.id, err)
	}
	if _, err := tx.Exec(ctx, t.deleteSQ); err != nil {
		return fmt.Errorf("table %s: apply deletes: %w", t.id, err)
	}
	if _, err := tx.Exec(ctx, t.upsertSQ); err != nil {
		return fmt.Errorf("table %s: apply inserts and updates: %w", t.id, err)
	}
	for r := int32(1); r <= rounds; r++ {
		if t.updateSQ == "" {
			break
		}
		if _, err := tx.Exec(ctx, t.updateSQ, r); err != nil {
			return fmt.Errorf("table %s: apply updates keeping unchanged values: %w", t.id, err)
		}
	}
	if _, err := tx.Exec(ctx, "TRUNCATE "+t.stage); err != nil {
		return fmt.Errorf("table %s: empty the staging table: %w", t.id, err)
	}
	return nil
}

// sameTypeName compares two spellings of a type: the catalog's format_type()
// quotes only the identifiers that need it ("shop.orders_status"), a
// converter may quote every one ("\"shop\".\"orders_status\""). The quotes are
// dropped on both sides, so a name that needed them stays distinguishable by
// its other characters.
func sameTypeName(a, b string) bool {
	return a == b || strings.ReplaceAll(a, `"`, "") == strings.ReplaceAll(b, `"`, "")
}

// oldestCommit is the commit time of the first unit of a group that has one:
// its last transaction's, the closest the checkpoints come to the group's
// oldest (a unit spans one source window, 20 ms by default). Reporting the
// newest instead understated lag by up to the whole group.
func oldestCommit(group []*unit) time.Time {
	for _, u := range group {
		if !u.Checkpoint.CommitTime.IsZero() {
			return u.Checkpoint.CommitTime
		}
	}
	return time.Time{}
}
