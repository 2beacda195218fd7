package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/dbmig/dbmig/internal/pgcodec"
	"github.com/jackc/pgx/v5"
)

// table is one source table as the catalog describes it, ready to extract.
type table struct {
	oid        uint32
	id         format.TableID
	pages      int64 // heap blocks (pg_relation_size / block size)
	heapBytes  int64 // pg_table_size: heap + TOAST
	estRows    int64
	cols       []format.Column
	types      []pgcodec.Type
	selects    []string // select-list expressions, one per column
	pk         []string
	pkInt      bool // a single-column integer primary key
	keyIdx     []int
	header     format.Header
	hasGenOrTx bool // generated or text-cast columns: COPY (SELECT ...) is needed
}

func (t *table) String() string { return t.id.String() }

// discover lists the selected tables and reads their definitions, inside the
// snapshot transaction tx (whose search_path is empty, so that every name in
// a definition comes back schema-qualified).
func discover(ctx context.Context, tx pgx.Tx, cfg *Config, database string) ([]*table, error) {
	rows, err := tx.Query(ctx, `
SELECT c.oid, n.nspname, c.relname, c.relkind::text, c.relispartition,
       pg_relation_size(c.oid) / current_setting('block_size')::bigint,
       pg_table_size(c.oid), greatest(c.reltuples, 0)::bigint
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbmig')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var tables []*table
	var oids []uint32
	for rows.Next() {
		t := &table{id: format.TableID{Engine: "postgres", Database: database}}
		var kind string
		var isPart bool
		if err := rows.Scan(&t.oid, &t.id.Schema, &t.id.Name, &kind, &isPart, &t.pages, &t.heapBytes, &t.estRows); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if !selected(t.id, cfg.Tables, cfg.Exclude) {
			continue
		}
		if kind == "p" || isPart {
			rows.Close()
			return nil, fmt.Errorf("table %s is partitioned or a partition: partitioned tables are not supported yet (leave it out with --exclude)", t.id)
		}
		tables = append(tables, t)
		oids = append(oids, t.oid)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if len(tables) == 0 {
		return nil, errors.New("no tables match (check --tables and --exclude)")
	}
	byOID := map[uint32]*table{}
	for _, t := range tables {
		byOID[t.oid] = t
	}
	if err := readColumns(ctx, tx, cfg, byOID, oids); err != nil {
		return nil, err
	}
	if err := readConstraints(ctx, tx, byOID, oids); err != nil {
		return nil, err
	}
	if err := readIndexes(ctx, tx, byOID, oids); err != nil {
		return nil, err
	}
	if err := readSequences(ctx, tx, byOID, oids); err != nil {
		return nil, err
	}
	return tables, nil
}

// selected applies --tables and --exclude patterns: "schema.table" or
// "table" (any schema), * and ? as in shell globs.
func selected(id format.TableID, include, exclude []string) bool {
	match := func(p string) bool {
		name := id.Name
		if strings.Contains(p, ".") {
			name = id.Schema + "." + id.Name
		}
		ok, _ := path.Match(p, name)
		return ok
	}
	in := len(include) == 0
	for _, p := range include {
		in = in || match(p)
	}
	for _, p := range exclude {
		if match(p) {
			return false
		}
	}
	return in
}

func readColumns(ctx context.Context, tx pgx.Tx, cfg *Config, byOID map[uint32]*table, oids []uint32) error {
	cols, err := pgcatalog.Columns(ctx, tx, oids)
	if err != nil {
		return err
	}
	var typeOIDs []uint32
	for _, cs := range cols {
		for _, c := range cs {
			typeOIDs = append(typeOIDs, c.TypeOID)
		}
	}
	types, err := pgcatalog.LoadTypes(ctx, tx, typeOIDs)
	if err != nil {
		return err
	}
	opts := pgcodec.Options{NumericAsText: cfg.NumericAsText, UnsupportedAsText: cfg.UnsupportedAsText}
	for oid, cs := range cols {
		t := byOID[oid]
		for _, c := range cs {
			ct, err := types.Codec(c.TypeOID, c.Typmod)
			if err != nil {
				return fmt.Errorf("table %s column %s: %w", t, c.Name, err)
			}
			dt, logical, err := pgcodec.ArrowType(ct, opts)
			if err != nil {
				hint := ""
				if errors.Is(err, pgcodec.ErrUnsupported) {
					hint = " (read it as text with --unsupported=text, or leave the table out with --exclude)"
				}
				return fmt.Errorf("table %s column %s: %w%s", t, c.Name, err, hint)
			}
			col := format.Column{
				Name: c.Name, Type: dt, Nullable: !c.NotNull, SourceType: c.Declared, Logical: logical,
				Default: c.Default, Identity: c.Identity, Generated: c.Generated, Collation: c.Collation,
			}
			if err := typeMetadata(&col, types, c.TypeOID); err != nil {
				return fmt.Errorf("table %s column %s: %w", t, c.Name, err)
			}
			sel := pgx.Identifier{c.Name}.Sanitize()
			if logical == pgcodec.LogicalTextCast {
				// The codec reads such a column as text: select it as text.
				sel += "::text"
				ct = pgcodec.Type{OID: 25, Name: "text", Typmod: -1}
				t.hasGenOrTx = true
			}
			if c.Generated != "" {
				t.hasGenOrTx = true
			}
			t.cols = append(t.cols, col)
			t.types = append(t.types, ct)
			t.selects = append(t.selects, sel)
		}
	}
	return nil
}

// typeMetadata records enum labels and domain definitions in the field, so a
// target can recreate the types.
func typeMetadata(col *format.Column, types pgcatalog.Types, oid uint32) error {
	set := func(k string, v any) {
		b, _ := json.Marshal(v) // plain data: cannot fail
		if col.Extra == nil {
			col.Extra = map[string]string{}
		}
		col.Extra[k] = string(b)
	}
	if e := types.Enum(oid); e != nil {
		set(pgcatalog.FieldEnum, pgcatalog.EnumMeta{Schema: e.Schema, Name: e.Name, Labels: e.Labels})
	}
	if d := types.Domain(oid); d != nil {
		base := types[d.BaseOID]
		if base == nil {
			return fmt.Errorf("domain %s.%s: base type OID %d not loaded", d.Schema, d.Name, d.BaseOID)
		}
		if base.Kind == 'd' {
			return fmt.Errorf("domain %s.%s is over another domain: not supported yet", d.Schema, d.Name)
		}
		set(pgcatalog.FieldDomain, pgcatalog.DomainMeta{Schema: d.Schema, Name: d.Name, Base: d.Base,
			NotNull: d.NotNull, Default: d.Default, Checks: d.Checks})
	}
	return nil
}

func readConstraints(ctx context.Context, tx pgx.Tx, byOID map[uint32]*table, oids []uint32) error {
	rows, err := tx.Query(ctx, `
SELECT con.conrelid, con.conname, con.contype::text, pg_get_constraintdef(con.oid),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[],
       coalesce(fn.nspname, ''), coalesce(fc.relname, ''),
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[],
       coalesce(ic.relname, '')
FROM pg_constraint con
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_class ic ON ic.oid = con.conindid AND con.contype IN ('p', 'u', 'x')
WHERE con.conrelid = ANY($1) AND con.contype IN ('p', 'u', 'c', 'f', 'x')
ORDER BY con.conrelid, con.contype, con.conname`, oids)
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	kinds := map[string]string{"p": "primary", "u": "unique", "c": "check", "f": "foreign", "x": "exclusion"}
	var rel uint32
	var c format.Constraint
	var kind string
	_, err = pgx.ForEachRow(rows, []any{&rel, &c.Name, &kind, &c.Definition, &c.Columns, &c.RefSchema, &c.RefTable, &c.RefColumns, &c.Index}, func() error {
		t := byOID[rel]
		c.Kind = kinds[kind]
		if c.Kind == "primary" {
			t.pk = c.Columns
		}
		cc := c
		cc.Columns = append([]string(nil), c.Columns...)
		cc.RefColumns = append([]string(nil), c.RefColumns...)
		t.header.Constraints = append(t.header.Constraints, cc)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	for _, t := range byOID {
		for i, name := range t.pk {
			for j := range t.cols {
				if t.cols[j].Name == name {
					t.cols[j].PKOrdinal = i + 1
					t.keyIdx = append(t.keyIdx, j)
					if len(t.pk) == 1 {
						switch t.cols[j].Type.ID() {
						case arrow.INT16, arrow.INT32, arrow.INT64:
							t.pkInt = true
						}
					}
				}
			}
		}
	}
	return nil
}

func readIndexes(ctx context.Context, tx pgx.Tx, byOID map[uint32]*table, oids []uint32) error {
	rows, err := tx.Query(ctx, `
SELECT i.indrelid, ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid),
       CASE WHEN i.indexprs IS NULL THEN
         ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
               WHERE k.o <= i.indnkeyatts ORDER BY k.o)::text[]
       END,
       coalesce((SELECT con.conname FROM pg_constraint con
                 WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                   AND con.contype IN ('p', 'u', 'x')), '')
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY($1) AND i.indislive
ORDER BY i.indrelid, ic.relname`, oids)
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	var rel uint32
	var ix format.Index
	_, err = pgx.ForEachRow(rows, []any{&rel, &ix.Name, &ix.Unique, &ix.Definition, &ix.Columns, &ix.Constraint}, func() error {
		t := byOID[rel]
		c := ix
		c.Columns = append([]string(nil), ix.Columns...)
		t.header.Indexes = append(t.header.Indexes, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	return nil
}

// readSequences finds the sequences owned by columns (serial and identity)
// and their state now. Sequences are not transactional: the value read here
// is at least the one at the snapshot, which is what the target needs to
// continue without reusing a value.
func readSequences(ctx context.Context, tx pgx.Tx, byOID map[uint32]*table, oids []uint32) error {
	rows, err := tx.Query(ctx, `
SELECT d.refobjid, a.attname, n.nspname, c.relname, format_type(s.seqtypid, NULL),
       s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       pg_sequence_last_value(c.oid) IS NOT NULL,
       coalesce(pg_sequence_last_value(c.oid), s.seqstart)
FROM pg_depend d
JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S'
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_sequence s ON s.seqrelid = c.oid
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
  AND d.refobjid = ANY($1) AND d.deptype IN ('a', 'i')`, oids)
	if err != nil {
		return fmt.Errorf("read sequences: %w", err)
	}
	var rel uint32
	var col string
	var s format.Sequence
	_, err = pgx.ForEachRow(rows, []any{&rel, &col, &s.Schema, &s.Name, &s.Type, &s.Start, &s.Increment, &s.Min, &s.Max, &s.Cache, &s.Cycle, &s.IsCalled, &s.LastValue}, func() error {
		t := byOID[rel]
		for i := range t.cols {
			if t.cols[i].Name == col {
				seq := s
				t.cols[i].Sequence = &seq
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read sequences: %w", err)
	}
	return nil
}
