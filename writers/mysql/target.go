package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/format"
)

// target is a table being loaded.
type target struct {
	database, table string          // in the target
	header          format.Header   // of its first segment: keys, indexes, constraints
	cols            []format.Column // the stream's columns
	schema          *arrow.Schema   // of the first segment, to check later ones against
	created         bool            // by this stream (post-data applies only then)
	deferredAuto    string          // auto_increment column made so after the indexes
	bytes           atomic.Int64    // loaded Arrow bytes, to order index builds biggest first

	planned bool
	load    []loadColumn // stream columns loaded, in LOAD DATA order
	sql     string       // the LOAD DATA statement after its file name
}

// name is `database`.`table` for messages and SQL.
func (t *target) name() string { return quoteName(t.database, t.table) }

// quote quotes a MySQL identifier with backticks, doubling inner ones.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

func quoteName(database, table string) string { return quote(database) + "." + quote(table) }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

// target returns the prepared target of seg's table, preparing it on first
// sight: created (with Create) or checked to exist.
func (l *loader) target(ctx context.Context, seg *format.Segment) (*target, error) {
	h := seg.Header
	database := l.database
	if database == "" {
		database = h.Table.Schema
	}
	if database == "" {
		database = h.Table.Database
	}
	if database == "" {
		return nil, fmt.Errorf("table %s: the stream names no database and the target DSN has none", h.Table)
	}
	key := database + "\x00" + h.Table.Name
	if t := l.targets[key]; t != nil {
		if !sameColumns(t.schema, seg.Schema) {
			return nil, fmt.Errorf("table %s, segment %d: columns differ from the table's earlier segments", t.name(), seg.Index)
		}
		return t, nil
	}
	t := &target{database: database, table: h.Table.Name, header: h, cols: seg.Columns, schema: seg.Schema}
	if err := l.prepare(ctx, t); err != nil {
		return nil, fmt.Errorf("table %s: %w", t.name(), err)
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
	exists, err := tableExists(ctx, l.admin, t.database, t.table)
	if err != nil {
		return err
	}
	if !l.cfg.Create {
		if !exists {
			return fmt.Errorf("does not exist in the target (create it, or load with --create)")
		}
		return nil
	}
	ours, err := createdByStream(ctx, l.admin, l.stream, t.database, t.table)
	if err != nil {
		return err
	}
	if exists && !ours {
		return fmt.Errorf("already exists in the target and was not created by this stream: drop it, or load without --create to append to it")
	}
	t.created = true
	stmt, deferred, err := createTable(t.database, t.header, t.cols)
	if err != nil {
		return err
	}
	t.deferredAuto = deferred
	if exists {
		return nil // created by an earlier run of this stream
	}
	// MySQL DDL commits on its own, so the table is recorded as this
	// stream's first: a crash in between leaves a record and no table, which
	// the rerun creates.
	if _, err := l.admin.ExecContext(ctx, "INSERT IGNORE INTO `dbmig`.`load_tables` (`stream`, `database_name`, `table_name`) VALUES (?, ?, ?)",
		l.stream, t.database, t.table); err != nil {
		return fmt.Errorf("record table: %w", err)
	}
	if _, err := l.admin.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("create: %w\n%s", err, stmt)
	}
	l.cfg.Logger.Debug("created table", "table", t.name())
	return nil
}

func tableExists(ctx context.Context, conn *sql.Conn, database, table string) (bool, error) {
	var n int
	err := conn.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", database, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up table: %w", err)
	}
	return n > 0, nil
}

// targetColumn is what the target says about a column.
type targetColumn struct {
	dataType  string // information_schema DATA_TYPE: "int", "bit", "year", "varchar", "json", ...
	charset   string // "" for non-text types
	generated bool
	autoInc   bool
}

func targetColumns(ctx context.Context, conn *sql.Conn, database, table string) (map[string]targetColumn, error) {
	rows, err := conn.QueryContext(ctx, "SELECT COLUMN_NAME, DATA_TYPE, COALESCE(CHARACTER_SET_NAME, ''), COALESCE(GENERATION_EXPRESSION, ''), EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", database, table)
	if err != nil {
		return nil, fmt.Errorf("read the target's columns: %w", err)
	}
	defer rows.Close()
	cols := map[string]targetColumn{}
	for rows.Next() {
		var name, gen, extra string
		var c targetColumn
		if err := rows.Scan(&name, &c.dataType, &c.charset, &gen, &extra); err != nil {
			return nil, fmt.Errorf("read the target's columns: %w", err)
		}
		c.dataType = strings.ToLower(c.dataType)
		c.generated = gen != ""
		c.autoInc = strings.Contains(strings.ToLower(extra), "auto_increment")
		cols[name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the target's columns: %w", err)
	}
	return cols, nil
}

// plan matches the stream's columns to the target's by name and writes the
// table's LOAD DATA statement, once, on the first chunk to load: a rerun
// that finds every chunk of a table loaded never needs one.
func (l *loader) plan(ctx context.Context, t *target) error {
	if t.planned {
		return nil
	}
	tcols, err := targetColumns(ctx, l.admin, t.database, t.table)
	if err != nil {
		return fmt.Errorf("table %s: %w", t.name(), err)
	}
	var auto []int // auto_increment columns, in t.load
	for i, c := range t.cols {
		tc, ok := tcols[c.Name]
		if !ok {
			return fmt.Errorf("table %s: the target has no column %q", t.name(), c.Name)
		}
		if tc.generated {
			continue // computed by the target
		}
		lc, err := newLoadColumn(i, c, tc)
		if err != nil {
			return fmt.Errorf("table %s, column %s: %w", t.name(), c.Name, err)
		}
		if tc.autoInc {
			auto = append(auto, len(t.load))
		}
		t.load = append(t.load, lc)
	}
	var list, sets []string
	for _, lc := range t.load {
		if lc.via != "" {
			// MariaDB (10.11) ignores NO_AUTO_VALUE_ON_ZERO when LOAD DATA
			// has a SET clause, and draws a new value for a copied 0,
			// unless the auto_increment column too is set from a variable.
			for _, k := range auto {
				if t.load[k].via == "" {
					t.load[k].via = "%s"
				}
			}
			break
		}
	}
	for _, lc := range t.load {
		v := fmt.Sprintf("@v%d", lc.index)
		if expr := lc.assign(v); expr != "" {
			list = append(list, v)
			sets = append(sets, quote(lc.col.Name)+" = "+expr)
		} else {
			list = append(list, quote(lc.col.Name))
		}
	}
	// The file is read as CHARACTER SET binary: bytes go into binary and
	// utf8mb4 columns as they are (no hex doubling for blobs, no
	// conversion for text); columns of other charsets convert through a
	// variable (see loadColumn.assign).
	s := "' INTO TABLE " + t.name() +
		` CHARACTER SET binary FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (` +
		strings.Join(list, ", ") + ")"
	if len(sets) > 0 {
		s += " SET " + strings.Join(sets, ", ")
	}
	t.sql = s
	t.planned = true
	return nil
}
