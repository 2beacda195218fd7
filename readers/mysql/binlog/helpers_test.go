package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/go-sql-driver/mysql"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// source is a test database plus a pool on it with UTC session time.
type source struct {
	*testdb.MySQLDB
	sql *sql.DB
}

func newSource(t *testing.T) *source {
	t.Helper()
	db := testdb.MySQL(t)
	cfg, err := mysql.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sql.OpenDB(c)
	t.Cleanup(func() { pool.Close() })
	return &source{MySQLDB: db, sql: pool}
}

// position reads the server's binlog position now.
func (s *source) position(t *testing.T) Position {
	t.Helper()
	p, err := ServerPosition(t.Context(), s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// open starts a stream at start, capturing the test's own database only
// (all tests of the process share one server).
func (s *source) open(t *testing.T, start Position, tune ...func(*Config)) *Stream {
	t.Helper()
	cfg := Config{DSN: s.DSN, Start: start, Tables: []TableName{{Database: s.Database}}}
	for _, f := range tune {
		f(&cfg)
	}
	st, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// next returns the next transaction with changes or DDL, skipping progress.
func next(t *testing.T, st *Stream) *Transaction {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		tx, err := st.Next(ctx)
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if !tx.Progress() {
			return tx
		}
	}
}

// texts renders a row image the way the test's SELECT expressions do.
func texts(tb *Table, row []Value) []string {
	if row == nil {
		return nil
	}
	out := make([]string, len(row))
	for i := range row {
		out[i] = valueText(&tb.Columns[i], row[i])
	}
	return out
}

// valueText is a value in a canonical text: the same as selectExpr gives
// for the column on the server.
func valueText(c *Column, v Value) string {
	if v.IsNull() {
		return "NULL"
	}
	switch c.Kind {
	case KindInt8, KindInt16, KindInt32, KindInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case KindUint8, KindUint16, KindUint32, KindUint64, KindBit:
		return strconv.FormatUint(v.Uint64(), 10)
	case KindFloat32:
		return strconv.FormatFloat(float64(v.Float32()), 'g', -1, 32)
	case KindFloat64:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case KindDecimal:
		return v.Decimal128().ToString(c.Scale)
	case KindYear:
		return fmt.Sprintf("%04d", v.Int64())
	case KindDate:
		if v.Int64() == -1<<31 {
			return "0000-00-00"
		}
		return time.Unix(v.Int64()*86400, 0).UTC().Format("2006-01-02")
	case KindDatetime, KindTimestamp:
		s := "0000-00-00 00:00:00.000000"
		if v.Int64() != -1<<63 {
			s = time.UnixMicro(v.Int64()).UTC().Format("2006-01-02 15:04:05.000000")
		}
		if c.FSP == 0 {
			return s[:19]
		}
		return s[:20+c.FSP]
	case KindTime:
		us := v.Int64()
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		s := fmt.Sprintf("%s%02d:%02d:%02d.%06d", sign, us/3600e6, us/60e6%60, us/1e6%60, us%1e6)
		if c.FSP == 0 {
			return s[:len(s)-7]
		}
		return s[:len(s)-6+c.FSP]
	case KindBinary:
		return fmt.Sprintf("%X", v.Bytes())
	case KindUUID:
		return fmt.Sprintf("%x", v.Bytes())
	}
	return v.String()
}

// selectExpr is the SQL giving a column's value in valueText's form.
func selectExpr(c *Column) string {
	q := quoteIdent(c.Name)
	switch c.Kind {
	case KindFloat32, KindFloat64:
		return q // binary protocol: exact float
	case KindBit:
		return "CAST(" + q + "+0 AS CHAR)"
	case KindBinary:
		return "HEX(" + q + ")"
	case KindUUID:
		return "REPLACE(CAST(" + q + " AS CHAR), '-', '')"
	}
	return "CAST(" + q + " AS CHAR)"
}

// selectRows returns the table's rows (ordered by the first column) in
// valueText's form, read with the binary protocol.
func (s *source) selectRows(t *testing.T, tb *Table) [][]string {
	t.Helper()
	exprs := make([]string, len(tb.Columns))
	for i := range tb.Columns {
		exprs[i] = selectExpr(&tb.Columns[i])
	}
	q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + tb.QualifiedName() + " WHERE ? ORDER BY 1"
	rows, err := s.sql.QueryContext(t.Context(), q, 1)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(exprs))
		ptrs := make([]any, len(exprs))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		r := make([]string, len(vals))
		for i, v := range vals {
			r[i] = "NULL"
			if v.Valid {
				r[i] = v.String
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func equalRows(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
