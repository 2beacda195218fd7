// Package pgcatalog reads what dbmig needs from a PostgreSQL catalog: the
// columns of tables and their types, with domains, enums and arrays resolved
// to what the binary COPY codec needs. Both the reader (source columns) and
// the writer (target columns, after creating them) use it, so that both sides
// resolve types the same way.
package pgcatalog

import (
	"context"
	"fmt"

	"github.com/dbmig/dbmig/internal/pgcodec"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Querier is what this package needs of a connection or transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Column is a table column as pg_attribute describes it.
type Column struct {
	Table     uint32 // pg_class OID
	Num       int16
	Name      string
	TypeOID   uint32
	Typmod    int32
	NotNull   bool
	Declared  string // format_type(atttypid, atttypmod)
	Default   string // pg_get_expr of the default; "" when none (or when generated)
	Identity  string // "", "always", "by default"
	Generated string // expression of a stored generated column
	Collation string // qualified name when it differs from the type's default
}

// Columns returns the live columns of the given tables, in attnum order.
func Columns(ctx context.Context, q Querier, tables []uint32) (map[uint32][]Column, error) {
	rows, err := q.Query(ctx, `
SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
       format_type(a.atttypid, a.atttypmod),
       coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
       a.attidentity::text, a.attgenerated::text,
       coalesce((SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                 FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
                 WHERE co.oid = a.attcollation AND a.attcollation <> t.typcollation), '')
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`, tables)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	out := map[uint32][]Column{}
	for rows.Next() {
		var c Column
		var ident, gen string
		if err := rows.Scan(&c.Table, &c.Num, &c.Name, &c.TypeOID, &c.Typmod, &c.NotNull, &c.Declared,
			&c.Default, &ident, &gen, &c.Collation); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read columns: %w", err)
		}
		switch ident {
		case "a":
			c.Identity = "always"
		case "d":
			c.Identity = "by default"
		}
		if gen == "s" {
			c.Generated, c.Default = c.Default, ""
		}
		out[c.Table] = append(out[c.Table], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	return out, nil
}

// TypeInfo is a pg_type row, with what dbmig needs to recreate the type.
type TypeInfo struct {
	OID      uint32
	Schema   string
	Name     string // typname
	Display  string // format_type(oid, NULL), qualified when not in pg_catalog
	Kind     byte   // typtype: b base, d domain, e enum, c composite, r range, m multirange, p pseudo
	Category byte   // typcategory: A array, ...
	BaseOID  uint32 // domain: typbasetype
	Typmod   int32  // domain: typtypmod
	Base     string // domain: its base type as format_type(typbasetype, typtypmod) prints it
	ElemOID  uint32 // array: typelem
	NotNull  bool   // domain: typnotnull
	Default  string // domain: default expression
	Labels   []string
	Checks   []Check // domain CHECK constraints
}

// Check is a named CHECK constraint of a domain.
type Check struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

// Types holds type rows by OID.
type Types map[uint32]*TypeInfo

// LoadTypes reads the given types and everything they are built on (domain
// bases, array elements), with enum labels and domain checks.
func LoadTypes(ctx context.Context, q Querier, oids []uint32) (Types, error) {
	ts := Types{}
	want := oids
	for len(want) > 0 {
		rows, err := q.Query(ctx, `
SELECT t.oid, n.nspname, t.typname, format_type(t.oid, NULL), t.typtype::text, t.typcategory::text,
       t.typbasetype, t.typtypmod, coalesce(format_type(nullif(t.typbasetype, 0), t.typtypmod), ''),
       t.typelem, t.typnotnull, coalesce(pg_get_expr(t.typdefaultbin, 0), '')
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.oid = ANY($1)`, want)
		if err != nil {
			return nil, fmt.Errorf("read types: %w", err)
		}
		var next []uint32
		for rows.Next() {
			var t TypeInfo
			var kind, cat string
			if err := rows.Scan(&t.OID, &t.Schema, &t.Name, &t.Display, &kind, &cat, &t.BaseOID, &t.Typmod,
				&t.Base, &t.ElemOID, &t.NotNull, &t.Default); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read types: %w", err)
			}
			t.Kind, t.Category = kind[0], cat[0]
			ts[t.OID] = &t
			for _, o := range []uint32{t.BaseOID, t.ElemOID} {
				if o != 0 && ts[o] == nil {
					next = append(next, o)
				}
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read types: %w", err)
		}
		want = next
	}
	var enums, domains []uint32
	for oid, t := range ts {
		switch t.Kind {
		case 'e':
			enums = append(enums, oid)
		case 'd':
			domains = append(domains, oid)
		}
	}
	if err := loadLabels(ctx, q, ts, enums); err != nil {
		return nil, err
	}
	if err := loadChecks(ctx, q, ts, domains); err != nil {
		return nil, err
	}
	return ts, nil
}

func loadLabels(ctx context.Context, q Querier, ts Types, enums []uint32) error {
	if len(enums) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT enumtypid, enumlabel FROM pg_enum WHERE enumtypid = ANY($1) ORDER BY enumtypid, enumsortorder`, enums)
	if err != nil {
		return fmt.Errorf("read enum labels: %w", err)
	}
	var oid uint32
	var label string
	_, err = pgx.ForEachRow(rows, []any{&oid, &label}, func() error {
		ts[oid].Labels = append(ts[oid].Labels, label)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read enum labels: %w", err)
	}
	return nil
}

func loadChecks(ctx context.Context, q Querier, ts Types, domains []uint32) error {
	if len(domains) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT contypid, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = ANY($1) AND contype = 'c' ORDER BY contypid, conname`, domains)
	if err != nil {
		return fmt.Errorf("read domain checks: %w", err)
	}
	var oid uint32
	var c Check
	_, err = pgx.ForEachRow(rows, []any{&oid, &c.Name, &c.Definition}, func() error {
		ts[oid].Checks = append(ts[oid].Checks, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read domain checks: %w", err)
	}
	return nil
}

// Codec resolves a column type (OID and typmod as pg_attribute has them) to
// what the COPY codec needs: domains replaced by their base (and the base's
// typmod), array elements resolved the same way.
func (ts Types) Codec(oid uint32, typmod int32) (pgcodec.Type, error) {
	t, err := ts.base(oid, &typmod)
	if err != nil {
		return pgcodec.Type{}, err
	}
	ct := pgcodec.Type{OID: t.OID, Name: t.Name, Typmod: typmod, Enum: t.Kind == 'e'}
	if t.Category == 'A' && t.ElemOID != 0 {
		// An array column's typmod applies to its elements (varchar(10)[]).
		et, err := ts.Codec(t.ElemOID, typmod)
		if err != nil {
			return pgcodec.Type{}, err
		}
		ct.Elem, ct.ElemOID, ct.Typmod = &et, t.ElemOID, -1
	}
	return ct, nil
}

// base follows domains down to a non-domain type; a domain's own typmod
// replaces the column's.
func (ts Types) base(oid uint32, typmod *int32) (*TypeInfo, error) {
	for depth := 0; ; depth++ {
		t := ts[oid]
		if t == nil {
			return nil, fmt.Errorf("type OID %d not loaded", oid)
		}
		if t.Kind != 'd' {
			return t, nil
		}
		if depth > 32 {
			return nil, fmt.Errorf("domain %s.%s nests too deep", t.Schema, t.Name)
		}
		*typmod = t.Typmod
		oid = t.BaseOID
	}
}

// Domain returns the domain a column type is (or, for an array, whose
// elements are), or nil.
func (ts Types) Domain(oid uint32) *TypeInfo {
	t := ts[oid]
	if t != nil && t.Category == 'A' && t.ElemOID != 0 {
		t = ts[t.ElemOID]
	}
	if t != nil && t.Kind == 'd' {
		return t
	}
	return nil
}

// Enum returns the enum type a column type resolves to (through domains and
// arrays), or nil.
func (ts Types) Enum(oid uint32) *TypeInfo {
	var mod int32
	t, err := ts.base(oid, &mod)
	if err != nil {
		return nil
	}
	if t.Category == 'A' && t.ElemOID != 0 {
		if t, err = ts.base(t.ElemOID, &mod); err != nil {
			return nil
		}
	}
	if t.Kind == 'e' {
		return t
	}
	return nil
}
