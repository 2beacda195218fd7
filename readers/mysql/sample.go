package mysql

import (
	"context"
	"fmt"
	"time"

	"github.com/dbmig/dbmig/format"
)

// SampledTable is one table of a Sample: the catalog's size of the whole
// table and what reading its sample took.
type SampledTable struct {
	Table    format.TableID
	EstRows  int64 // information_schema.TABLES.TABLE_ROWS (an estimate for InnoDB)
	EstBytes int64 // information_schema.TABLES.DATA_LENGTH
	Rows     int64 // rows in the sample
	Read     time.Duration
}

// Sample writes what Extract writes — the catalog segment, then one
// segment per selected table with the same header and columns — except
// that each table's segment holds at most rows rows (the first the server
// returns), read outside any snapshot and without a binlog position. It is
// for analysis (dbmigrate analyze): the schema comes from the same catalog
// code as a real extraction, the values from the same decoder. Tables are
// read one at a time on one connection, so Read is the time one worker
// takes. It does not close w.
func Sample(ctx context.Context, cfg Config, rows int, w *format.Writer) ([]SampledTable, error) {
	cfg.defaults()
	if rows < 1 {
		return nil, fmt.Errorf("sample size %d: want at least 1 row per table", rows)
	}
	dcfg, err := ParseDSN(cfg.DSN)
	if err != nil {
		return nil, err
	}
	db, coord, flavor, err := openCoordinator(ctx, dcfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	defer coord.Close()
	database := dcfg.DBName
	tables, err := discover(ctx, coord, &cfg, flavor, database)
	if err != nil {
		return nil, err
	}
	objects, err := readObjects(ctx, coord, database)
	if err != nil {
		return nil, err
	}
	if err := readAutoIncrement(ctx, coord, database, tables); err != nil {
		return nil, err
	}
	conn, err := dialWorker(ctx, dcfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	if len(objects) > 0 {
		h := format.Header{Kind: format.KindCatalog, Table: format.TableID{Engine: "mysql", Database: database, Schema: database}, Objects: objects}
		seg, err := w.Begin(h, nil)
		if err != nil {
			return nil, err
		}
		if err := seg.Close(); err != nil {
			return nil, err
		}
	}
	decoders := map[*table]*rowDecoder{}
	defer func() {
		for _, d := range decoders {
			d.release()
		}
	}()
	out := make([]SampledTable, 0, len(tables))
	for _, t := range tables {
		// The limit is a number this package formats, like every chunk
		// predicate: no value becomes SQL text.
		c := &chunk{t: t, id: "sample", count: 1, where: fmt.Sprintf("TRUE LIMIT %d", rows), estBytes: t.dataBytes, estRows: t.estRows}
		start := time.Now()
		n, err := extractChunk(ctx, &cfg, conn, c, nil, w, decoders)
		if err != nil {
			return out, fmt.Errorf("sample %s: %w", t, err)
		}
		out = append(out, SampledTable{Table: t.id, EstRows: t.estRows, EstBytes: t.dataBytes, Rows: n, Read: time.Since(start)})
	}
	return out, nil
}
