package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/dbmig/dbmig/internal/pgcodec"
	"github.com/jackc/pglogrepl"
)

// relation is one version of a source table as pgoutput's relation message
// describes it: a new relation message with different columns (ALTER TABLE)
// makes a new relation, while the window may still hold rows of the old one.
type relation struct {
	oid      uint32
	id       format.TableID
	selected bool
	cols     []format.Column // the table's columns, in the relation message's order
	types    []pgcodec.Type  // decoder types of the change segment: change columns, after, before
	schema   *arrow.Schema   // of the change segment
	header   format.Header
	identity byte // replica identity: d default, f full, i index, n nothing
	msgCols  []pglogrepl.RelationMessageColumn
	dec      *pgcodec.Decoder
}

func (r *relation) String() string { return r.id.String() }

// changeColumnTypes are the decoder types of the change columns, in the
// order of format.ChangeSegmentColumns.
var changeColumnTypes = []pgcodec.Type{
	{OID: 25, Name: "text", Typmod: -1},
	{OID: 20, Name: "int8", Typmod: -1},
	{OID: 20, Name: "int8", Typmod: -1},
	{OID: 20, Name: "int8", Typmod: -1},
	{OID: 1184, Name: "timestamptz", Typmod: -1},
	{OID: 17, Name: "bytea", Typmod: -1},
	{OID: 25, Name: "text", Typmod: -1},
}

// newRelation maps a relation message to typed columns, reading the
// source catalog for what pgoutput does not send (declared types, defaults,
// enum labels, domains, the primary key). The catalog is read now, not as of
// the message's WAL position: metadata of a column changed since then is
// the current one; names and types always come from the message.
func (s *cdcSession) newRelation(ctx context.Context, m *pglogrepl.RelationMessage) (*relation, error) {
	r := &relation{oid: m.RelationID, identity: m.ReplicaIdentity,
		id: format.TableID{Engine: "postgres", Database: s.database, Schema: m.Namespace, Name: m.RelationName}}
	for _, c := range m.Columns {
		r.msgCols = append(r.msgCols, *c)
	}
	r.selected = selected(r.id, s.cfg.Tables, s.cfg.Exclude) && m.Namespace != "dbmig"
	if !r.selected {
		return r, nil
	}
	catCols, err := pgcatalog.Columns(ctx, s.catalog, []uint32{m.RelationID})
	if err != nil {
		return nil, err
	}
	byName := map[string]pgcatalog.Column{}
	for _, c := range catCols[m.RelationID] {
		byName[c.Name] = c
	}
	var oids []uint32
	for _, c := range m.Columns {
		oids = append(oids, c.DataType)
	}
	types, err := pgcatalog.LoadTypes(ctx, s.catalog, oids)
	if err != nil {
		return nil, err
	}
	var pk []string
	if err := s.catalog.QueryRow(ctx, `
SELECT coalesce(ARRAY(SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
                      WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.o)::text[], '{}')`, m.RelationID).Scan(&pk); err != nil {
		return nil, fmt.Errorf("table %s: read primary key: %w", r.id, err)
	}
	opts := pgcodec.Options{NumericAsText: s.cfg.Extract.NumericAsText}
	var tableTypes []pgcodec.Type
	for _, mc := range m.Columns {
		ct, err := types.Codec(mc.DataType, mc.TypeModifier)
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", r.id, mc.Name, err)
		}
		dt, logical, err := pgcodec.ArrowType(ct, opts)
		if err != nil {
			if errors.Is(err, pgcodec.ErrUnsupported) {
				err = fmt.Errorf("%w (change capture sends binary values; leave the table out with --exclude)", err)
			}
			return nil, fmt.Errorf("table %s column %s: %w", r.id, mc.Name, err)
		}
		col := format.Column{Name: mc.Name, Type: dt, Nullable: true, Logical: logical}
		if cc, ok := byName[mc.Name]; ok && cc.TypeOID == mc.DataType {
			col.SourceType, col.Nullable, col.Default = cc.Declared, !cc.NotNull, cc.Default
			col.Identity, col.Generated, col.Collation = cc.Identity, cc.Generated, cc.Collation
		} else if err := s.catalog.QueryRow(ctx, `SELECT format_type($1, $2)`, mc.DataType, mc.TypeModifier).Scan(&col.SourceType); err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", r.id, mc.Name, err)
		}
		for i, k := range pk {
			if k == mc.Name {
				col.PKOrdinal = i + 1
			}
		}
		if err := typeMetadata(&col, types, mc.DataType); err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", r.id, mc.Name, err)
		}
		r.cols = append(r.cols, col)
		tableTypes = append(tableTypes, ct)
	}
	r.types = append(append(append([]pgcodec.Type{}, changeColumnTypes...), tableTypes...), tableTypes...)
	r.header = format.Header{Kind: format.KindChange, Table: r.id, PrimaryKey: pk, Extra: map[string]string{
		format.KeyFeed:              s.feed,
		"dbmig.pg.replica_identity": string(rune(m.ReplicaIdentity)),
	}}
	r.schema = format.NewSchema(r.header, format.ChangeSegmentColumns(r.cols))
	return r, nil
}

// sameColumns reports whether a relation message describes the same columns
// (names, types, typmods) as r.
func (r *relation) sameColumns(m *pglogrepl.RelationMessage) bool {
	if r.id.Schema != m.Namespace || r.id.Name != m.RelationName || r.identity != m.ReplicaIdentity {
		return false
	}
	if len(r.msgCols) != len(m.Columns) {
		return false
	}
	for i, c := range m.Columns {
		if o := r.msgCols[i]; o.Name != c.Name || o.DataType != c.DataType || o.TypeModifier != c.TypeModifier {
			return false
		}
	}
	return true
}

// decoder returns the relation's decoder, reset to emit to emit.
func (r *relation) decoder(cfg *CDCConfig, emit func(arrow.RecordBatch) error) (*pgcodec.Decoder, error) {
	if r.dec != nil {
		r.dec.Reset(emit)
		return r.dec, nil
	}
	dec, err := pgcodec.NewDecoder(cfg.Extract.Allocator, r.schema, r.types, pgcodec.Options{NumericAsText: cfg.Extract.NumericAsText}, emit)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", r.id, err)
	}
	dec.MaxRows, dec.MaxBytes = cfg.Extract.BatchRows, int(cfg.Extract.BatchBytes)
	dec.TrustUTF8 = true // checkServer accepts only UTF8 databases
	r.dec = dec
	return dec, nil
}
