package mysql

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/readers/mysql/binlog"
)

// changeTable is one version of a captured table (binlog.Table.Version): its
// columns as snapshot segments carry them, and the builder of its change
// rows in the current window.
type changeTable struct {
	id      format.TableID
	header  format.Header
	cols    []format.Column // the table's columns (the after image)
	schema  *arrow.Schema
	builder *array.RecordBuilder
	rows    int64
	inWin   bool
}

// window collects whole source transactions until they are written as one
// change segment per table version and a checkpoint. Rows go straight into
// Arrow builders (AppendValue copies each value out of the binlog decoder's
// reused buffers), so a window holds each value once.
type window struct {
	tables     []*changeTable // in first-seen order
	rows       int64
	txs        int64
	started    time.Time
	end        binlog.Position // end of the last transaction (or progress) in the window
	lastCommit time.Time
	open       bool // a large transaction's chunks are in, its commit is not
}

func newWindow() *window { return &window{} }

func (w *window) empty() bool { return w.rows == 0 && w.txs == 0 && w.end.File == "" }

func (w *window) release() {
	for _, t := range w.tables {
		t.builder.Release()
		t.builder, t.rows, t.inWin = nil, 0, false
	}
	*w = window{}
}

// tableFor returns the change table of a binlog table version, reading its
// definition from the catalog on first sight.
func (s *cdcSession) tableFor(ctx context.Context, bt *binlog.Table) (*changeTable, error) {
	// Keyed by name and version, not by pointer: a Table is only valid
	// until the next binlog read.
	key := bt.Database + "\x00" + bt.Name + "\x00" + strconv.Itoa(bt.Version)
	if t := s.tables[key]; t != nil {
		return t, nil
	}
	t := &changeTable{id: format.TableID{Engine: "mysql", Database: bt.Database, Schema: bt.Database, Name: bt.Name}}
	cat, err := s.catalogTable(ctx, bt.Name)
	switch {
	case err != nil:
		return nil, err
	case cat != nil && sameBinlogColumns(cat.cols, bt):
		t.header, t.cols = cat.header, cat.cols
		t.header.PrimaryKey = cat.pk
	default:
		// The table changed since this row was written (or is gone): type
		// the changes by the binlog's own description. The target is told
		// the types, not the declarations (no dbmig.source_type).
		s.cfg.Logger.Warn("the catalog no longer matches the binlog's columns of a table; using the binlog's types",
			"table", bt.QualifiedName(), "version", bt.Version)
		for _, c := range bt.Columns {
			t.cols = append(t.cols, format.Column{Name: c.Name, Type: c.ArrowType(), Nullable: c.Nullable})
		}
		for _, i := range bt.PrimaryKey {
			t.header.PrimaryKey = append(t.header.PrimaryKey, bt.Columns[i].Name)
			t.cols[i].PKOrdinal = len(t.header.PrimaryKey)
		}
	}
	t.header.Kind = format.KindChange
	t.header.Table = t.id
	t.header.Extra = map[string]string{format.KeyFeed: s.feed}
	t.schema = format.NewSchema(t.header, format.ChangeSegmentColumns(t.cols))
	s.tables[key] = t
	return t, nil
}

// sameBinlogColumns says whether cols (a snapshot's columns) describe the
// binlog's columns of bt: same names, in order, and the same Arrow types.
func sameBinlogColumns(cols []format.Column, bt *binlog.Table) bool {
	if len(cols) != len(bt.Columns) {
		return false
	}
	for i := range cols {
		if cols[i].Name != bt.Columns[i].Name || !arrow.TypeEqual(cols[i].Type, bt.Columns[i].ArrowType()) {
			return false
		}
	}
	return true
}

// catalogTable reads one table's definition as Extract does; nil when the
// table no longer exists.
func (s *cdcSession) catalogTable(ctx context.Context, name string) (*table, error) {
	cfg := s.cfg.Extract
	cfg.Tables, cfg.Exclude = []string{globEscape(name)}, nil
	tables, err := discover(ctx, s.catalog, &cfg, s.flavor, s.database)
	if errors.Is(err, errNoTables) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the definition of %s: %w", name, err)
	}
	return tables[0], nil
}

// globEscape makes a table name a path.Match pattern that matches only it.
func globEscape(name string) string {
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// add appends a transaction's changes of selected tables to the window.
func (s *cdcSession) add(ctx context.Context, tx *binlog.Transaction) error {
	w := s.win
	commitLSN, err := s.commitLSN(tx)
	if err != nil {
		return err
	}
	xid := gtidSeq(tx.GTID)
	for i := range tx.Changes {
		ch := &tx.Changes[i]
		id := format.TableID{Schema: ch.Table.Database, Name: ch.Table.Name}
		if !selected(id, s.cfg.Tables, s.cfg.Exclude) {
			continue
		}
		t, err := s.tableFor(ctx, ch.Table)
		if err != nil {
			return err
		}
		if t.builder == nil {
			t.builder = array.NewRecordBuilder(s.cfg.Extract.Allocator, t.schema)
		}
		if !t.inWin {
			t.inWin = true
			w.tables = append(w.tables, t)
		}
		if err := appendChange(t, ch, commitLSN, xid, tx.CommitTime); err != nil {
			return fmt.Errorf("change of %s at %s: %w", ch.Table.QualifiedName(), tx.Resume.String(), err)
		}
		t.rows++
		w.rows++
	}
	if tx.Committed {
		if w.txs == 0 {
			w.started = time.Now()
		}
		w.txs++
		w.end, w.lastCommit, w.open = tx.Resume, tx.CommitTime, false
	} else {
		w.open = true
	}
	return nil
}

// commitLSN is the dbmig.commit_lsn of a transaction's rows: just below the
// end of its commit event (the checkpoint after it records that end, and a
// loader skips rows below what it recorded). A chunk of a large transaction
// does not know its commit yet: its Resume, the position before the
// transaction, is below the commit too and above every earlier one.
func (s *cdcSession) commitLSN(tx *binlog.Transaction) (int64, error) {
	lsn, err := BinlogLSN(tx.Resume.File, tx.Resume.Pos)
	if err != nil {
		return 0, err
	}
	if tx.Committed {
		lsn--
	}
	return int64(lsn), nil
}

// gtidSeq is the sequence number of a GTID ("0-1-42", "uuid:42"): the
// dbmig.xid of its rows. MySQL has no transaction id in the binlog that
// lasts; 0 without GTIDs.
func gtidSeq(g string) int64 {
	i := strings.LastIndexAny(g, "-:")
	n, _ := strconv.ParseInt(g[i+1:], 10, 64)
	return n
}

// appendChange appends one change row: the change columns, the after image,
// the before image (binlog_row_image=FULL: always the whole old row).
func appendChange(t *changeTable, ch *binlog.Change, commitLSN, xid int64, commit time.Time) error {
	b := t.builder
	b.Field(0).(*array.StringBuilder).Append(ch.Op.String())
	b.Field(1).(*array.Int64Builder).Append(commitLSN)
	b.Field(2).(*array.Int64Builder).Append(commitLSN)
	b.Field(3).(*array.Int64Builder).Append(xid)
	b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(commit.UnixMicro()))
	b.Field(5).AppendNull() // a full row image sends every column
	if ch.Before != nil {
		b.Field(6).(*array.StringBuilder).Append("full")
	} else {
		b.Field(6).AppendNull()
	}
	n := len(t.cols)
	image := func(base int, vals []binlog.Value) error {
		for i := range n {
			f := b.Field(base + i)
			if vals == nil {
				f.AppendNull()
				continue
			}
			if err := binlog.AppendValue(f, &ch.Table.Columns[i], vals[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := image(format.ChangeColumns, ch.After); err != nil {
		return err
	}
	return image(format.ChangeColumns+n, ch.Before)
}

// flush writes the window as change segments and a commit checkpoint.
func (s *cdcSession) flush(now time.Time) error {
	w := s.win
	if w.empty() || w.open {
		return nil
	}
	pos, lsn, err := checkpointPosition(w.end, s.flavor)
	if err != nil {
		return err
	}
	cp := format.Checkpoint{Phase: format.PhaseCommit, Feed: s.feed, Position: pos, CommitTime: w.lastCommit,
		SourceTime: now, Transactions: w.txs}
	for _, t := range w.tables {
		if t.rows == 0 {
			continue
		}
		if err := s.writeTable(t); err != nil {
			return err
		}
		cp.Segments++
		cp.Rows += t.rows
	}
	if cp.Rows == 0 && cp.Transactions == 0 {
		// Progress only: a heartbeat says the same without a commit.
		cp.Phase, cp.CommitTime = format.PhaseHeartbeat, time.Time{}
	}
	if err := s.writeCheckpoint(cp); err != nil {
		return err
	}
	s.stats.Transactions += w.txs
	s.stats.Changes += w.rows
	s.written = lsn
	w.release()
	return nil
}

func (s *cdcSession) writeTable(t *changeTable) error {
	rec := t.builder.NewRecordBatch()
	defer rec.Release()
	seg, err := s.w.Begin(t.header, format.ChangeSegmentColumns(t.cols))
	if err != nil {
		return err
	}
	if err := seg.Write(rec); err != nil {
		seg.Abort()
		return fmt.Errorf("changes of table %s: %w", t.id, err)
	}
	return seg.Close()
}

// heartbeat writes a checkpoint with no changes at the last position
// written, with the source's clock: the target sees the stream alive and
// measures lag on it.
func (s *cdcSession) heartbeat(now time.Time) error {
	return s.writeCheckpoint(format.Checkpoint{Phase: format.PhaseHeartbeat, Feed: s.feed,
		Position: s.stats.Position, SourceTime: now})
}
