package binlog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestInsertIntVarchar(t *testing.T) {
	src := newSource(t)
	src.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, name varchar(20))")
	start := src.position(t)
	src.Exec(t, "INSERT INTO t VALUES (1, 'one'), (-7, 'minus seven')")
	st := src.open(t, start)
	tx := next(t, st)
	if len(tx.Changes) != 2 {
		t.Fatalf("changes = %d, want 2", len(tx.Changes))
	}
	want := [][]string{{"1", "one"}, {"-7", "minus seven"}}
	for i, c := range tx.Changes {
		if c.Op != OpInsert || c.Before != nil {
			t.Errorf("change %d: op %s, before %v", i, c.Op, c.Before)
		}
		if got := texts(c.Table, c.After); !equalRows(got, want[i]) {
			t.Errorf("change %d: after %q, want %q", i, got, want[i])
		}
	}
	if tx.GTID == "" || tx.Resume.File == "" || tx.Resume.Pos <= start.Pos || tx.Resume.GTIDSet == "" || !tx.Committed {
		t.Errorf("transaction %+v", tx)
	}
	tb := tx.Changes[0].Table
	if tb.Database != src.Database || tb.Name != "t" || tb.Version != 1 || len(tb.PrimaryKey) != 1 || tb.Columns[0].Kind != KindInt32 {
		t.Errorf("table %+v", tb)
	}
}

// TestTransactionsAndResume checks grouping, resume positions, and that a
// restart from a recorded position (GTID set, then file:pos) gives exactly
// the transactions after it.
func TestTransactionsAndResume(t *testing.T) {
	src := newSource(t)
	src.Exec(t, "CREATE TABLE a (id int PRIMARY KEY, v varchar(10))", "CREATE TABLE b (id bigint PRIMARY KEY)")
	start := src.position(t)
	src.Exec(t, "START TRANSACTION; INSERT INTO a VALUES (1, 'x'), (2, 'y'); INSERT INTO b VALUES (10); UPDATE a SET v = 'z' WHERE id = 1; DELETE FROM b; COMMIT")
	for i := range 4 {
		src.Exec(t, fmt.Sprintf("INSERT INTO b VALUES (%d)", 100+i))
	}
	src.Exec(t, "START TRANSACTION; DELETE FROM a; INSERT INTO b VALUES (200); COMMIT")

	type summary struct {
		gtid   string
		resume Position
		ops    string
	}
	read := func(st *Stream, n int) []summary {
		var out []summary
		for range n {
			tx := next(t, st)
			var ops []string
			for _, c := range tx.Changes {
				ops = append(ops, c.Table.Name+"."+c.Op.String())
			}
			out = append(out, summary{tx.GTID, tx.Resume, strings.Join(ops, " ")})
		}
		return out
	}
	all := read(src.open(t, start), 6)
	wantOps := []string{"a.insert a.insert b.insert a.update b.delete", "b.insert", "b.insert", "b.insert", "b.insert", "a.delete a.delete b.insert"}
	for i, s := range all {
		if s.ops != wantOps[i] {
			t.Errorf("transaction %d: %s, want %s", i, s.ops, wantOps[i])
		}
		if i > 0 && (s.resume.Pos <= all[i-1].resume.Pos || s.gtid == all[i-1].gtid) {
			t.Errorf("transaction %d: resume %v after %v", i, s.resume, all[i-1].resume)
		}
	}
	// The last resume position is the server's end: nothing of ours follows.
	if end := src.position(t); all[5].resume != end {
		t.Errorf("last resume %v, server at %v", all[5].resume, end)
	}

	for _, mode := range []string{"gtid", "file"} {
		t.Run(mode, func(t *testing.T) {
			from := all[2].resume
			if mode == "gtid" {
				from = Position{GTIDSet: from.GTIDSet}
			} else {
				from.GTIDSet = ""
			}
			got := read(src.open(t, from), 3)
			for i, s := range got {
				w := all[3+i]
				if s.gtid != w.gtid || s.ops != w.ops || s.resume.Pos != w.resume.Pos || s.resume.GTIDSet != w.resume.GTIDSet {
					t.Errorf("after restart %d: %+v, want %+v", i, s, w)
				}
			}
		})
	}
}

// TestAlterAddColumn decodes rows before and after an ALTER TABLE by the
// definition each was written with.
func TestAlterAddColumn(t *testing.T) {
	src := newSource(t)
	src.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, v varchar(10))")
	start := src.position(t)
	src.Exec(t, "INSERT INTO t VALUES (1, 'before')",
		"ALTER TABLE t ADD COLUMN n bigint unsigned NOT NULL DEFAULT 7 AFTER id, ADD COLUMN u uuid",
		"INSERT INTO t VALUES (2, 18446744073709551615, 'after', '123e4567-e89b-12d3-a456-426614174000')",
		"UPDATE t SET v = 'both' WHERE id = 1")
	st := src.open(t, start)

	tx := next(t, st)
	if got := texts(tx.Changes[0].Table, tx.Changes[0].After); !equalRows(got, []string{"1", "before"}) {
		t.Errorf("before the ALTER: %q", got)
	}
	v1 := tx.Changes[0].Table.Version

	tx = next(t, st)
	if len(tx.DDL) != 1 || len(tx.Changes) != 0 || tx.DDL[0].Tables[0] != (TableName{src.Database, "t"}) {
		t.Fatalf("ALTER: %+v", tx)
	}

	tx = next(t, st)
	tb := tx.Changes[0].Table
	if got := texts(tb, tx.Changes[0].After); !equalRows(got, []string{"2", "18446744073709551615", "after", "123e4567e89b12d3a456426614174000"}) {
		t.Errorf("after the ALTER: %q", got)
	}
	if tb.Version != v1+1 || tb.Columns[1].Name != "n" || tb.Columns[1].Kind != KindUint64 || tb.Columns[3].Kind != KindUUID {
		t.Errorf("table after the ALTER: version %d, columns %+v", tb.Version, tb.Columns)
	}
	tx = next(t, st)
	c := tx.Changes[0]
	if got := texts(c.Table, c.Before); !equalRows(got, []string{"1", "7", "before", "NULL"}) {
		t.Errorf("update before: %q", got)
	}
	if got := texts(c.Table, c.After); !equalRows(got, []string{"1", "7", "both", "NULL"}) {
		t.Errorf("update after: %q", got)
	}
}

// TestLatin1Table reads a table whose charset is latin1 throughout, enum
// labels included, and the bytes that only MySQL's latin1 maps (0x81).
func TestLatin1Table(t *testing.T) {
	src := newSource(t)
	src.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, s varchar(20), c char(3), e enum('é','ü'), x text) CHARACTER SET latin1")
	start := src.position(t)
	src.Exec(t, "INSERT INTO t VALUES (1, 'Grüße €', 'à', 'ü', CONCAT('a', CAST(0x81 AS CHAR CHARACTER SET latin1), 'z'))")
	st := src.open(t, start)
	tx := next(t, st)
	tb := tx.Changes[0].Table
	got := texts(tb, tx.Changes[0].After)
	want := src.selectRows(t, tb)[0]
	if !equalRows(got, want) || got[1] != "Grüße €" || got[4] != "a\u0081z" {
		t.Errorf("latin1 row %q, server says %q", got, want)
	}
	if tb.Columns[1].Charset != "latin1" || tb.Columns[3].Values[0] != "é" {
		t.Errorf("columns %+v", tb.Columns)
	}
}

// TestLargeTransactionInChunks bounds a transaction's memory: a big one
// comes in uncommitted chunks that resume before it, then a committed one.
func TestLargeTransactionInChunks(t *testing.T) {
	src := newSource(t)
	src.Exec(t, "CREATE TABLE t (id int PRIMARY KEY, pad varchar(200))")
	start := src.position(t)
	src.Exec(t, "INSERT INTO t SELECT seq, REPEAT('x', 200) FROM seq_1_to_5000")
	st := src.open(t, start, func(c *Config) { c.MaxTransactionBytes = 256 << 10 })
	rows, chunks := 0, 0
	var gtid string
	for {
		tx := next(t, st)
		chunks++
		rows += len(tx.Changes)
		if gtid == "" {
			gtid = tx.GTID
		}
		if tx.GTID != gtid {
			t.Fatalf("chunk %d has GTID %s, want %s", chunks, tx.GTID, gtid)
		}
		if !tx.Committed {
			if tx.Resume != start {
				t.Fatalf("uncommitted chunk resumes at %v, want %v", tx.Resume, start)
			}
			continue
		}
		break
	}
	if rows != 5000 || chunks < 3 {
		t.Errorf("%d rows in %d chunks", rows, chunks)
	}
}

// TestIdleProgress sees a heartbeat's progress on an idle stream, past
// transactions of other databases.
func TestIdleProgress(t *testing.T) {
	src := newSource(t)
	other := newSource(t)
	start := src.position(t)
	other.Exec(t, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)")
	end := src.position(t)
	st := src.open(t, start, func(c *Config) { c.HeartbeatPeriod = 200 * time.Millisecond })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		tx, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !tx.Progress() {
			t.Fatalf("captured %+v from another database", tx)
		}
		if tx.Resume.Pos >= end.Pos && tx.Resume.File == end.File {
			return
		}
	}
}

// TestCancel ends a blocked Next with its context.
func TestCancel(t *testing.T) {
	src := newSource(t)
	st := src.open(t, Position{})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	for {
		_, err := st.Next(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTruncate reports TRUNCATE TABLE as a DDL with a truncate change.
func TestTruncate(t *testing.T) {
	src := newSource(t)
	src.Exec(t, "CREATE TABLE t (id int PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	start := src.position(t)
	src.Exec(t, "TRUNCATE TABLE t")
	tx := next(t, src.open(t, start))
	if len(tx.DDL) != 1 || len(tx.Changes) != 1 || tx.Changes[0].Op != OpTruncate || tx.Changes[0].Table.Name != "t" {
		t.Errorf("truncate: %+v", tx)
	}
}
