package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/writers/internal/changeplan"
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
	// Per table, the runs of segments in stream order; a run ends where the
	// table's columns change. Targets are prepared first, outside the
	// transaction: a column the source added is added with ALTER TABLE,
	// which commits on its own in MySQL.
	var order []string
	runs := map[string][][]*changeSeg{}
	for _, u := range live {
		for _, s := range u.Segments {
			t, err := a.prepareTarget(ctx, s)
			if err != nil {
				return err
			}
			key := t.name()
			rs := runs[key]
			if len(rs) == 0 {
				order = append(order, key)
			}
			if len(rs) == 0 || !sameColumns(rs[len(rs)-1][0].Schema, s.Schema) {
				rs = append(rs, nil)
			}
			rs[len(rs)-1] = append(rs[len(rs)-1], s)
			runs[key] = rs
		}
	}
	tx, err := a.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit: a no-op
	for _, key := range order {
		for _, segs := range runs[key] {
			if err := a.applyRun(ctx, tx, segs); err != nil {
				return err
			}
		}
	}
	lsn := max(last.LSN, a.applied)
	var commitTime any // NULL keeps the recorded one
	if !last.Checkpoint.CommitTime.IsZero() {
		commitTime = last.Checkpoint.CommitTime.UTC()
	}
	if _, err := tx.ExecContext(ctx, "UPDATE `dbmig`.`cdc_checkpoints` SET `lsn` = ?, `commit_time` = COALESCE(?, `commit_time`), `applied_at` = current_timestamp(6) WHERE `feed` = ?",
		format.FormatLSN(lsn), commitTime, a.feed); err != nil {
		return fmt.Errorf("record checkpoint %s: %w", format.FormatLSN(lsn), err)
	}
	if err := tx.Commit(); err != nil {
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

// applyTarget is a target table prepared for one version of its stream
// columns, with its staging table (a session temporary table).
type applyTarget struct {
	database, table string
	cols            []int           // stream table column index of each staged column
	staged          []format.Column // the staged columns, then op and keep
	keyCols         []int           // stream table column index of each key column
	schema          *arrow.Schema   // staged batch schema
	load            []loadColumn    // how each staged batch column is written
	stage           string          // quoted temporary table name
	loadSQL         string          // after the LOAD DATA file name
	deleteSQL       string
	upsertSQL       string
	updateSQL       string // one round of updates that keep unchanged values; "" when only key columns
}

func (t *applyTarget) name() string { return quoteName(t.database, t.table) }

// applyColumn is what the target says about a column, with what a staging
// table needs to declare it.
type applyColumn struct {
	targetColumn
	columnType, collation string
}

func applyColumns(ctx context.Context, conn *sql.Conn, database, table string) (map[string]applyColumn, []string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, ''), "+
		"COALESCE(GENERATION_EXPRESSION, ''), EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", database, table)
	if err != nil {
		return nil, nil, fmt.Errorf("read the target's columns: %w", err)
	}
	defer rows.Close()
	cols := map[string]applyColumn{}
	var names []string
	for rows.Next() {
		var name, gen, extra string
		var c applyColumn
		if err := rows.Scan(&name, &c.dataType, &c.columnType, &c.charset, &c.collation, &gen, &extra); err != nil {
			return nil, nil, fmt.Errorf("read the target's columns: %w", err)
		}
		c.dataType = strings.ToLower(c.dataType)
		// MySQL 8 says DEFAULT_GENERATED in EXTRA for a DEFAULT (expr):
		// only STORED/VIRTUAL GENERATED columns are computed.
		c.generated = gen != "" && (strings.Contains(extra, "STORED") || strings.Contains(extra, "VIRTUAL") || strings.Contains(extra, "PERSISTENT"))
		c.autoInc = strings.Contains(strings.ToLower(extra), "auto_increment")
		cols[name] = c
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read the target's columns: %w", err)
	}
	return cols, names, nil
}

func targetPrimaryKey(ctx context.Context, conn *sql.Conn, database, table string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", database, table)
	if err != nil {
		return nil, fmt.Errorf("read the target's primary key: %w", err)
	}
	defer rows.Close()
	var pk []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("read the target's primary key: %w", err)
		}
		pk = append(pk, n)
	}
	return pk, rows.Err()
}

// prepareTarget matches a change segment's columns to the target table.
// Columns the target lacks were added at the source and are added here when
// the stream says their MySQL type; any other difference is DDL the apply
// cannot follow (--on-ddl).
func (a *applier) prepareTarget(ctx context.Context, s *changeSeg) (*applyTarget, error) {
	database := a.database
	if database == "" {
		database = s.Header.Table.Schema
	}
	if database == "" {
		database = s.Header.Table.Database
	}
	if database == "" {
		return nil, fmt.Errorf("table %s: the stream names no database and the target DSN has none", s.Header.Table)
	}
	key := database + "\x00" + s.Header.Table.Name + "\x00" + changeplan.Fingerprint(s.Schema)
	if t := a.targets[key]; t != nil {
		return t, nil
	}
	t := &applyTarget{database: database, table: s.Header.Table.Name}
	pos := "segment " + strconv.Itoa(s.Index)
	if len(s.Batches) > 0 && s.Batches[0].NumRows() > 0 {
		pos = "LSN " + format.FormatLSN(uint64(s.Batches[0].Column(1).(*array.Int64).Value(0)))
	}
	ddlErr := func(f string, args ...any) error {
		return fmt.Errorf("table %s at %s: %s: apply cannot follow this DDL (--on-ddl=skip applies the columns both sides have)", t.name(), pos, fmt.Sprintf(f, args...))
	}
	tcols, tnames, err := applyColumns(ctx, a.conn, database, t.table)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.name(), err)
	}
	if len(tcols) == 0 {
		return nil, fmt.Errorf("table %s (changes at %s) does not exist in the target", t.name(), pos)
	}
	inStream := map[string]bool{}
	added := false
	for _, c := range s.Columns {
		inStream[c.Name] = true
		if _, ok := tcols[c.Name]; ok {
			continue
		}
		typ := c.DeclaredType()
		if s.Header.Dialect() != "mysql" || typ == "" {
			if a.cfg.OnDDL == "skip" {
				continue
			}
			return nil, ddlErr("column %s is new, and its type is not in MySQL's terms", c.Name)
		}
		a.cfg.Logger.Info("adding a column the source added", "table", t.name(), "column", c.Name, "type", typ, "at", pos)
		// The type is the stream's declaration (dbconvert's), never a value.
		if _, err := a.conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s NULL", t.name(), quote(c.Name), typ)); err != nil {
			return nil, fmt.Errorf("table %s: add column %s: %w", t.name(), c.Name, err)
		}
		added = true
	}
	for _, n := range tnames {
		if !inStream[n] && !tcols[n].generated && a.cfg.OnDDL == "stop" {
			return nil, ddlErr("the source no longer sends column %s (dropped or renamed)", n)
		}
	}
	if added {
		if tcols, _, err = applyColumns(ctx, a.conn, database, t.table); err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name(), err)
		}
	}
	pk, err := targetPrimaryKey(ctx, a.conn, database, t.table)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.name(), err)
	}
	if len(pk) == 0 {
		return nil, fmt.Errorf("table %s has no primary key in the target: applying changes needs one", t.name())
	}
	var fields []arrow.Field
	var defs, names []string
	keyPos := map[string]int{}
	for i, c := range s.Columns {
		tc, ok := tcols[c.Name]
		if !ok || tc.generated {
			continue
		}
		if slices.Contains(pk, c.Name) {
			keyPos[c.Name] = i
		}
		lc, err := newLoadColumn(len(t.cols), c, tc.targetColumn)
		if err != nil {
			return nil, fmt.Errorf("table %s, column %s: %w", t.name(), c.Name, err)
		}
		t.load = append(t.load, lc)
		t.cols = append(t.cols, i)
		t.staged = append(t.staged, c)
		names = append(names, quote(c.Name))
		f := s.Schema.Field(format.ChangeColumns + i)
		fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true, Metadata: f.Metadata})
		def := quote(c.Name) + " " + tc.columnType
		if tc.charset != "" && tc.collation != "" {
			def += " CHARACTER SET " + tc.charset + " COLLATE " + tc.collation
		}
		defs = append(defs, def+" NULL")
	}
	for _, k := range pk {
		i, ok := keyPos[k]
		if !ok {
			return nil, fmt.Errorf("table %s: the stream lacks primary key column %s of the target", t.name(), k)
		}
		t.keyCols = append(t.keyCols, i)
	}
	// The staged batches end with the step's op and keep columns (see
	// changeplan.Step).
	opCol := format.Column{Name: "dbmig_op", Type: arrow.PrimitiveTypes.Int32}
	keepCol := format.Column{Name: "dbmig_keep", Type: arrow.BinaryTypes.String, Nullable: true}
	for _, c := range []struct {
		col format.Column
		tc  targetColumn
	}{{opCol, targetColumn{dataType: "int"}}, {keepCol, targetColumn{dataType: "varbinary", charset: "binary"}}} {
		lc, err := newLoadColumn(len(fields), c.col, c.tc)
		if err != nil {
			return nil, err
		}
		t.load = append(t.load, lc)
		t.staged = append(t.staged, c.col)
		fields = append(fields, arrow.Field{Name: c.col.Name, Type: c.col.Type, Nullable: c.col.Nullable})
	}
	defs = append(defs, "`dbmig_op` int NOT NULL", "`dbmig_keep` varbinary(4096) NULL")
	t.schema = arrow.NewSchema(fields, nil)

	t.stage = quote(fmt.Sprintf("dbmig_stage_%d", len(a.targets)))
	if _, err := a.conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMPORARY TABLE %s (%s) ENGINE=InnoDB", t.stage, strings.Join(defs, ", "))); err != nil {
		return nil, fmt.Errorf("table %s: create the staging table: %w", t.name(), err)
	}
	var list, sets []string
	for _, lc := range t.load {
		v := fmt.Sprintf("@v%d", lc.index)
		if expr := lc.assign(v); expr != "" {
			list = append(list, v)
			sets = append(sets, quote(lc.col.Name)+" = "+expr)
		} else {
			list = append(list, quote(lc.col.Name))
		}
	}
	t.loadSQL = "' INTO TABLE " + t.stage +
		` CHARACTER SET binary FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (` + strings.Join(list, ", ") + ")"
	if len(sets) > 0 {
		t.loadSQL += " SET " + strings.Join(sets, ", ")
	}

	var on, upd, keep []string
	for _, k := range pk {
		on = append(on, fmt.Sprintf("t.%s = s.%s", quote(k), quote(k)))
	}
	for j, n := range names {
		if slices.Contains(pk, t.staged[j].Name) {
			continue
		}
		upd = append(upd, fmt.Sprintf("%s = VALUES(%s)", n, n))
		keep = append(keep, fmt.Sprintf("t.%s = IF(SUBSTRING(s.`dbmig_keep`, %d, 1) = '1', t.%s, s.%s)", n, j+1, n, n))
	}
	if len(upd) == 0 {
		k := quote(pk[0])
		upd = append(upd, k+" = VALUES("+k+")") // key columns only: nothing to change
	}
	cols := strings.Join(names, ", ")
	join := fmt.Sprintf("%s AS t JOIN %s AS s ON %s", t.name(), t.stage, strings.Join(on, " AND "))
	t.deleteSQL = fmt.Sprintf("DELETE t FROM %s WHERE s.`dbmig_op` = -1", join)
	t.upsertSQL = fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s WHERE `dbmig_op` = 0 ON DUPLICATE KEY UPDATE %s",
		t.name(), cols, cols, t.stage, strings.Join(upd, ", "))
	if len(keep) > 0 {
		t.updateSQL = fmt.Sprintf("UPDATE %s SET %s WHERE s.`dbmig_op` = ?", join, strings.Join(keep, ", "))
	}
	a.targets[key] = t
	return t, nil
}

// applyRun collapses one table's changes per key (in order: the last image
// wins, a delete wins) and applies the result: one LOAD DATA into the
// staging table, then one DELETE ... JOIN, one INSERT ... ON DUPLICATE KEY
// UPDATE, and one UPDATE ... JOIN per round of updates that left columns
// out.
func (a *applier) applyRun(ctx context.Context, tx *sql.Tx, segs []*changeSeg) error {
	t, err := a.prepareTarget(ctx, segs[0])
	if err != nil {
		return err
	}
	plan, err := changeplan.Collapse(segs, t.keyCols, t.cols, a.applied, t.name())
	a.stats.Skipped += plan.Skipped
	if err != nil {
		return err
	}
	if plan.Truncated {
		// DELETE, not TRUNCATE: TRUNCATE is DDL in MySQL and would commit
		// the group half done.
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.name()); err != nil {
			return fmt.Errorf("table %s: truncate: %w", t.name(), err)
		}
	}
	if len(plan.Steps) == 0 {
		return nil
	}
	rounds := plan.Rounds
	recs := plan.Stage(t.cols, t.schema)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	if err := a.stage(ctx, tx, t, recs, int64(len(plan.Steps))); err != nil {
		return fmt.Errorf("table %s: stage changes: %w", t.name(), err)
	}
	if _, err := tx.ExecContext(ctx, t.deleteSQL); err != nil {
		return fmt.Errorf("table %s: apply deletes: %w", t.name(), err)
	}
	if _, err := tx.ExecContext(ctx, t.upsertSQL); err != nil {
		return fmt.Errorf("table %s: apply inserts and updates: %w", t.name(), err)
	}
	for r := int32(1); r <= rounds && t.updateSQL != ""; r++ {
		if _, err := tx.ExecContext(ctx, t.updateSQL, r); err != nil {
			return fmt.Errorf("table %s: apply updates keeping unchanged values: %w", t.name(), err)
		}
	}
	return nil
}

// stage empties the staging table and loads recs into it with LOAD DATA
// LOCAL, checking that every row arrived as sent.
func (a *applier) stage(ctx context.Context, tx *sql.Tx, t *applyTarget, recs []arrow.RecordBatch, rows int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.stage); err != nil {
		return fmt.Errorf("empty the staging table: %w", err)
	}
	rr := newRowReader(t.load, recs)
	name := "dbmig-" + strconv.FormatInt(readerSeq.Add(1), 10)
	mysql.RegisterReaderHandler(name, func() io.Reader { return rr })
	defer mysql.DeregisterReaderHandler(name)
	res, err := tx.ExecContext(ctx, "LOAD DATA LOCAL INFILE 'Reader::"+name+t.loadSQL)
	if err != nil {
		if isLocalInfileRefused(err) {
			return fmt.Errorf("%w (the server must allow LOAD DATA LOCAL INFILE: set local_infile=1)", err)
		}
		return err
	}
	// Any warning (a value the column could not hold) fails the group: see
	// loadData.
	j := &job{t: &target{cols: t.staged}, batches: recs}
	if err := (&loader{}).warnings(ctx, tx, j); err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != rows {
		return fmt.Errorf("LOAD DATA stored %d rows of %d (%v)", n, rows, err)
	}
	return nil
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
