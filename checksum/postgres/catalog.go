package postgres

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/dbmig/dbmig/internal/pgcodec"
)

// table is what the side knows of one table beyond compare.Table.
type table struct {
	t           *compare.Table
	oid         uint32
	partitioned bool
	name        string         // quoted schema.table
	types       []pgcodec.Type // per column, as the decoder reads it
	selects     []string       // select-list expression per column
	hashes      []string       // expression per column hashed by pushdown
	keyTypes    []pgcodec.Type
	keyOrder    []string // per key column: the expression ordered as the canonical key encoding
	keyParam    []string // per key column: the cast that makes a text parameter comparable to it
}

// codecOptions: every column can be compared, a type this reader cannot
// map is compared as its text.
var codecOptions = pgcodec.Options{UnsupportedAsText: true}

// Tables lists the ordinary and partitioned tables outside the system
// schemas (partitions are compared through their parent).
func (s *Side) Tables(ctx context.Context, f compare.Filter) ([]*compare.Table, error) {
	rows, err := s.conn.Query(ctx, `
SELECT c.oid, n.nspname, c.relname, c.relkind = 'p',
       CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
            ELSE pg_relation_size(c.oid) / 100 END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbmig')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	db := s.conn.Config().Database
	byOID := map[uint32]*table{}
	var out []*compare.Table
	var oids []uint32
	for rows.Next() {
		ti := &table{t: &compare.Table{ID: format.TableID{Engine: "postgres", Database: db}, Engine: "postgres"}}
		if err := rows.Scan(&ti.oid, &ti.t.ID.Schema, &ti.t.ID.Name, &ti.partitioned, &ti.t.EstRows); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if !f.Match(ti.t.ID) {
			continue
		}
		ti.name = pgx.Identifier{ti.t.ID.Schema, ti.t.ID.Name}.Sanitize()
		byOID[ti.oid] = ti
		oids = append(oids, ti.oid)
		out = append(out, ti.t)
		s.tables[ti.t] = ti
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := s.readColumns(ctx, byOID, oids); err != nil {
		return nil, err
	}
	if err := s.readConstraints(ctx, byOID, oids); err != nil {
		return nil, err
	}
	if err := s.readIndexes(ctx, byOID, oids); err != nil {
		return nil, err
	}
	for _, ti := range byOID {
		if err := ti.keyExpressions(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Side) readColumns(ctx context.Context, byOID map[uint32]*table, oids []uint32) error {
	cols, err := pgcatalog.Columns(ctx, s.conn, oids)
	if err != nil {
		return err
	}
	var typeOIDs []uint32
	for _, cs := range cols {
		for _, c := range cs {
			typeOIDs = append(typeOIDs, c.TypeOID)
		}
	}
	types, err := pgcatalog.LoadTypes(ctx, s.conn, typeOIDs)
	if err != nil {
		return err
	}
	for oid, cs := range cols {
		ti := byOID[oid]
		var fields []arrow.Field
		for _, c := range cs {
			ct, err := types.Codec(c.TypeOID, c.Typmod)
			if err != nil {
				return fmt.Errorf("table %s column %s: %w", ti.t.ID, c.Name, err)
			}
			dt, logical, err := pgcodec.ArrowType(ct, codecOptions)
			if err != nil {
				return fmt.Errorf("table %s column %s: %w", ti.t.ID, c.Name, err)
			}
			col := format.Column{Name: c.Name, Type: dt, Nullable: !c.NotNull, SourceType: c.Declared, Logical: logical,
				Default: c.Default, Identity: c.Identity, Generated: c.Generated, Collation: c.Collation}
			ident := pgx.Identifier{c.Name}.Sanitize()
			sel, hash := ident, hashExpr(ident, ct)
			if logical == pgcodec.LogicalTextCast {
				// The codec reads such a column as text: select it so.
				sel, hash = ident+"::text", ident+"::text"
				ct = pgcodec.Type{OID: 25, Name: "text", Typmod: -1}
			}
			ti.t.Columns = append(ti.t.Columns, col)
			ti.types = append(ti.types, ct)
			ti.selects = append(ti.selects, sel)
			ti.hashes = append(ti.hashes, hash)
			fields = append(fields, col.Field())
		}
		ti.t.Schema = arrow.NewSchema(fields, nil)
	}
	return nil
}

// hashable lists the base types whose default hash function is one of
// PostgreSQL's built-in, value-based ones (numeric ignores trailing zeros,
// float8 maps -0 to 0 and every NaN to one, int2/int4/int8 agree).
var hashable = map[string]bool{
	"bool": true, "int2": true, "int4": true, "int8": true, "float4": true, "float8": true,
	"numeric": true, "text": true, "varchar": true, "bpchar": true, "name": true, "bytea": true,
	"date": true, "time": true, "timetz": true, "timestamp": true, "timestamptz": true,
	"interval": true, "uuid": true, "jsonb": true, "inet": true, "cidr": true, "macaddr": true,
}

// collatable are the types whose hash depends on a collation: hashed in
// "C", so that a nondeterministic (case-insensitive) collation does not
// make different text hash alike.
var collatable = map[string]bool{"text": true, "varchar": true, "bpchar": true}

// hashExpr is the expression pushdown hashes for a column: the column
// itself when its type hashes by value, json as jsonb (json has no hash
// function; jsonb normalizes like the canonical JSON encoding), anything
// else as its text.
func hashExpr(ident string, t pgcodec.Type) string {
	base := t
	if t.Elem != nil {
		base = *t.Elem
	}
	switch {
	case base.Name == "json":
		if t.Elem != nil {
			return ident + "::jsonb[]"
		}
		return ident + "::jsonb"
	case base.Enum:
		return ident
	case collatable[base.Name]:
		return ident + ` COLLATE "C"`
	case hashable[base.Name]:
		return ident
	}
	return ident + "::text"
}

func (s *Side) readConstraints(ctx context.Context, byOID map[uint32]*table, oids []uint32) error {
	rows, err := s.conn.Query(ctx, `
SELECT con.conrelid, con.conname, con.contype::text, pg_get_constraintdef(con.oid),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[],
       coalesce(fn.nspname, ''), coalesce(fc.relname, ''),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[]
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE con.conrelid = ANY($1) AND con.contype IN ('p', 'u', 'c', 'f', 'x')
ORDER BY con.conrelid, con.contype, con.conname`, oids)
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	kinds := map[string]string{"p": "primary", "u": "unique", "c": "check", "f": "foreign", "x": "exclusion"}
	var rel uint32
	var c format.Constraint
	var kind string
	_, err = pgx.ForEachRow(rows, []any{&rel, &c.Name, &kind, &c.Definition, &c.Columns, &c.RefSchema, &c.RefTable, &c.RefColumns}, func() error {
		t := byOID[rel].t
		c.Kind = kinds[kind]
		cc := c
		cc.Columns = append([]string(nil), c.Columns...)
		cc.RefColumns = append([]string(nil), c.RefColumns...)
		if cc.Kind == "primary" {
			t.PrimaryKey = cc.Columns
		}
		t.Constraints = append(t.Constraints, cc)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	return nil
}

func (s *Side) readIndexes(ctx context.Context, byOID map[uint32]*table, oids []uint32) error {
	rows, err := s.conn.Query(ctx, `
SELECT i.indrelid, ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid),
       CASE WHEN i.indexprs IS NULL THEN
         ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
               WHERE k.o <= i.indnkeyatts ORDER BY k.o)::text[]
       END
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY($1) AND i.indislive
ORDER BY i.indrelid, ic.relname`, oids)
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	var rel uint32
	var ix format.Index
	_, err = pgx.ForEachRow(rows, []any{&rel, &ix.Name, &ix.Unique, &ix.Definition, &ix.Columns}, func() error {
		c := ix
		c.Columns = append([]string(nil), ix.Columns...)
		byOID[rel].t.Indexes = append(byOID[rel].t.Indexes, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	return nil
}

// keyExpressions prepares the key columns' ordering: text-like keys are
// compared in collation "C" (bytewise, the order of the canonical key
// encoding), enums by their label rather than their declared order.
func (ti *table) keyExpressions() error {
	for _, name := range ti.t.PrimaryKey {
		i := ti.t.Index(name)
		if i < 0 {
			return fmt.Errorf("table %s: key column %s not found", ti.t.ID, name)
		}
		ct := ti.types[i]
		ident := pgx.Identifier{name}.Sanitize()
		order, param := ident, "$%d::text::"+baseTypeName(ct)
		switch {
		case ct.Enum, ct.OID == 25 && ti.t.Columns[i].Logical == pgcodec.LogicalTextCast:
			order, param = "("+ident+`::text COLLATE "C")`, "$%d::text"
		case collatable[ct.Name]:
			order, param = "("+ident+` COLLATE "C")`, "$%d::text"
		}
		ti.keyTypes = append(ti.keyTypes, ct)
		ti.keyOrder = append(ti.keyOrder, order)
		ti.keyParam = append(ti.keyParam, param)
	}
	return nil
}

// baseTypeName is the type a key bound is cast to: the base type without
// its modifier (a bound cast to numeric(10,2) would be rounded).
func baseTypeName(t pgcodec.Type) string {
	switch t.Name {
	case "int2":
		return "smallint"
	case "int4":
		return "integer"
	case "int8":
		return "bigint"
	case "float4":
		return "real"
	case "float8":
		return "double precision"
	case "bool":
		return "boolean"
	case "timestamptz":
		return "timestamp with time zone"
	case "timetz":
		return "time with time zone"
	}
	// Other built-in key types (numeric, date, timestamp, time, uuid,
	// bytea, ...) are named by their typname in pg_catalog.
	return "pg_catalog." + pgx.Identifier{t.Name}.Sanitize()
}
