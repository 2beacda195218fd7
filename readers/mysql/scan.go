package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/dbmig/dbmig/format"
)

// ScanConn reads tables outside an extraction's snapshot (dbcheck compares
// with it): the catalog as Extract sees it, and rows of any SELECT parsed
// into Arrow exactly as Extract parses them. Each statement runs in its own
// snapshot (autocommit). It is not safe for concurrent use.
type ScanConn struct {
	db       *sql.DB
	coord    *sql.Conn    // catalog and small parameterized queries
	data     *client.Conn // streaming reads
	flavor   string
	version  string
	database string
	mem      memory.Allocator
}

// ScanTable is a table as the catalog describes it.
type ScanTable struct {
	t      *table
	schema *arrow.Schema
}

// DialScan connects to the database of dsn (as Config.DSN).
func DialScan(ctx context.Context, dsn string) (*ScanConn, error) {
	dcfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db, coord, flavor, err := openCoordinator(ctx, dcfg)
	if err != nil {
		return nil, err
	}
	c := &ScanConn{db: db, coord: coord, flavor: flavor, database: dcfg.DBName, mem: memory.DefaultAllocator}
	if err := coord.QueryRowContext(ctx, "SELECT VERSION()").Scan(&c.version); err != nil {
		c.Close()
		return nil, fmt.Errorf("read server version: %w", err)
	}
	if c.data, err = dialWorker(ctx, dcfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the connections.
func (c *ScanConn) Close() error {
	if c.data != nil {
		c.data.Close()
	}
	c.coord.Close()
	return c.db.Close()
}

// Flavor is FlavorMySQL or FlavorMariaDB.
func (c *ScanConn) Flavor() string { return c.flavor }

// Version is the server's VERSION().
func (c *ScanConn) Version() string { return c.version }

// Database is the database the DSN names.
func (c *ScanConn) Database() string { return c.database }

// SQL is a database/sql connection to the same server, session time zone
// UTC and no sql_mode, for small queries with parameters.
func (c *ScanConn) SQL() *sql.Conn { return c.coord }

// Tables lists the base tables matching include (all when empty) and none
// of exclude, with patterns as Config.Tables. A column of a type Extract
// does not support is read as text.
func (c *ScanConn) Tables(ctx context.Context, include, exclude []string) ([]*ScanTable, error) {
	cfg := Config{Tables: include, Exclude: exclude, Unsupported: "text"}
	tables, err := discover(ctx, c.coord, &cfg, c.flavor, c.database)
	if errors.Is(err, errNoTables) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]*ScanTable, len(tables))
	for i, t := range tables {
		fields := make([]arrow.Field, len(t.cols))
		for j, col := range t.cols {
			fields[j] = col.Field()
		}
		out[i] = &ScanTable{t: t, schema: arrow.NewSchema(fields, nil)}
	}
	return out, nil
}

// ID is the table's identity (Schema and Database are the database).
func (s *ScanTable) ID() format.TableID { return s.t.id }

// QualifiedName is the quoted `database`.`table`.
func (s *ScanTable) QualifiedName() string { return s.t.qualified() }

// Columns are the table's columns, as in Extract's stream.
func (s *ScanTable) Columns() []format.Column { return s.t.cols }

// Schema is the schema of the batches Select returns for every column.
func (s *ScanTable) Schema() *arrow.Schema { return s.schema }

// Selects are the select-list expressions that read each column (a FLOAT
// widened to DOUBLE, an unsupported type as its text).
func (s *ScanTable) Selects() []string { return s.t.selects }

// PrimaryKey lists the key columns in key order (empty when none).
func (s *ScanTable) PrimaryKey() []string { return s.t.pk }

// Constraints are the primary, unique, foreign and check constraints.
func (s *ScanTable) Constraints() []format.Constraint { return s.t.header.Constraints }

// Indexes are the indexes other than the primary key.
func (s *ScanTable) Indexes() []format.Index { return s.t.header.Indexes }

// EstRows is the server's estimate of the table's rows.
func (s *ScanTable) EstRows() int64 { return s.t.estRows }

// Param is the name of the i-th (from 1) parameter of a Select condition.
func Param(i int) string { return "@dbmig_p" + strconv.Itoa(i) }

// scanBatchRows bounds one batch of Select.
const scanBatchRows = 8192

// Select reads columns (indexes into s.Columns(), in that order; nil for
// all) of the rows of s matching where ("" for all), and calls fn with
// batches of them (fn must Retain a batch to keep it). where refers to its
// values as Param(1), Param(2), …, set to params (strings) before the
// query: values never become SQL text.
func (c *ScanConn) Select(ctx context.Context, s *ScanTable, columns []int, where string, params []string,
	fn func(arrow.RecordBatch) error) error {
	t, schema := s.t, s.schema
	if columns != nil {
		t, schema = s.project(columns)
	}
	if len(params) > 0 {
		sets := make([]string, len(params))
		args := make([]any, len(params))
		for i, p := range params {
			sets[i] = Param(i+1) + " = ?"
			args[i] = p
		}
		stop := interruptOnCancel(ctx, c.data)
		_, err := c.data.Execute("SET "+strings.Join(sets, ", "), args...)
		stop()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("set parameters: %w", err)
		}
	}
	q := "SELECT " + strings.Join(t.selects, ", ") + " FROM " + t.qualified()
	if where != "" {
		q += " WHERE " + where
	}
	dec := newRowDecoder(c.mem, t, schema, scanBatchRows, 8<<20)
	defer dec.release()
	emit := func() error {
		rec := dec.flush()
		if rec == nil {
			return nil
		}
		defer rec.Release()
		return fn(rec)
	}
	var result mysql.Result
	stop := interruptOnCancel(ctx, c.data)
	err := c.data.ExecuteSelectStreaming(q, &result, func(row []mysql.FieldValue) error {
		full, err := dec.add(row)
		if err != nil || !full {
			return err
		}
		return emit()
	}, nil)
	stop()
	if err == nil {
		err = emit()
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// project is the table reduced to columns, and its schema.
func (s *ScanTable) project(columns []int) (*table, *arrow.Schema) {
	t := &table{id: s.t.id, pk: s.t.pk, autoInc: -1}
	fields := make([]arrow.Field, len(columns))
	for i, j := range columns {
		t.cols = append(t.cols, s.t.cols[j])
		t.kinds = append(t.kinds, s.t.kinds[j])
		t.scales = append(t.scales, s.t.scales[j])
		t.selects = append(t.selects, s.t.selects[j])
		fields[i] = s.schema.Field(j)
	}
	return t, arrow.NewSchema(fields, nil)
}
