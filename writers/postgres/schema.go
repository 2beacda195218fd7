package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/jackc/pgx/v5"
)

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// createStatements returns the DDL that creates a stream table and what it
// needs (schema, enum and domain types, serial sequences), without keys,
// indexes or constraints other than NOT NULL. existsType reports whether a
// type already exists in the target (types are shared between tables).
func createStatements(h format.Header, cols []format.Column, existsType func(schema, name string) bool) ([]string, error) {
	t := h.Table
	stmts := []string{"CREATE SCHEMA IF NOT EXISTS " + ident(t.Schema)}
	seen := map[string]bool{}
	var defs []string
	for _, c := range cols {
		if v, ok := c.Extra[pgcatalog.FieldEnum]; ok && h.Dialect() == "postgres" {
			var e pgcatalog.EnumMeta
			if err := json.Unmarshal([]byte(v), &e); err != nil {
				return nil, fmt.Errorf("column %s: %s: %w", c.Name, pgcatalog.FieldEnum, err)
			}
			if key := e.Schema + "." + e.Name; !seen[key] && !existsType(e.Schema, e.Name) {
				seen[key] = true
				labels := make([]string, len(e.Labels))
				for i, l := range e.Labels {
					labels[i] = pgcatalog.QuoteLiteral(l)
				}
				stmts = append(stmts, "CREATE SCHEMA IF NOT EXISTS "+ident(e.Schema),
					fmt.Sprintf("CREATE TYPE %s AS ENUM (%s)", ident(e.Schema, e.Name), strings.Join(labels, ", ")))
			}
		}
		if v, ok := c.Extra[pgcatalog.FieldDomain]; ok && h.Dialect() == "postgres" {
			var d pgcatalog.DomainMeta
			if err := json.Unmarshal([]byte(v), &d); err != nil {
				return nil, fmt.Errorf("column %s: %s: %w", c.Name, pgcatalog.FieldDomain, err)
			}
			if key := d.Schema + "." + d.Name; !seen[key] && !existsType(d.Schema, d.Name) {
				seen[key] = true
				s := fmt.Sprintf("CREATE DOMAIN %s AS %s", ident(d.Schema, d.Name), d.Base)
				if d.Default != "" {
					s += " DEFAULT " + d.Default
				}
				if d.NotNull {
					s += " NOT NULL"
				}
				for _, ch := range d.Checks {
					s += fmt.Sprintf(" CONSTRAINT %s %s", ident(ch.Name), ch.Definition)
				}
				stmts = append(stmts, "CREATE SCHEMA IF NOT EXISTS "+ident(d.Schema), s)
			}
		}
		def, seqStmts, err := columnDefinition(h, c)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		stmts = append(stmts, seqStmts...)
		defs = append(defs, def)
	}
	stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", ident(t.Schema, t.Name), strings.Join(defs, ",\n  ")))
	stmts = append(stmts, onUpdateTriggers(h, cols)...)
	// A serial sequence belongs to its column, as in the source.
	for _, c := range cols {
		if s := c.Sequence; s != nil && c.Identity == "" {
			stmts = append(stmts, fmt.Sprintf("ALTER SEQUENCE %s OWNED BY %s.%s",
				ident(s.Schema, s.Name), ident(t.Schema, t.Name), ident(c.Name)))
		}
	}
	return stmts, nil
}

// columnDefinition is one column of CREATE TABLE, plus the statements that
// must run before it (a serial column's sequence).
func columnDefinition(h format.Header, c format.Column) (string, []string, error) {
	typ, err := targetType(h, c)
	if err != nil {
		return "", nil, err
	}
	var pre []string
	def := ident(c.Name) + " " + typ
	if c.Collation != "" && h.Dialect() == "postgres" {
		def += " COLLATE " + c.Collation
	}
	switch {
	case c.Logical == "text-cast":
		// Loaded as text; converted to its declared type after the data.
	case c.Generated != "" && h.Dialect() == "postgres":
		def += " GENERATED ALWAYS AS (" + c.Generated + ") STORED"
	case c.Identity != "":
		def += " GENERATED " + strings.ToUpper(c.Identity) + " AS IDENTITY"
		if s := c.Sequence; s != nil {
			def += " (SEQUENCE NAME " + ident(s.Schema, s.Name) + " " + sequenceOptions(s, false) + ")"
		}
	case c.Default != "" && h.Dialect() == "postgres":
		if s := c.Sequence; s != nil {
			pre = append(pre, "CREATE SCHEMA IF NOT EXISTS "+ident(s.Schema),
				fmt.Sprintf("CREATE SEQUENCE IF NOT EXISTS %s %s", ident(s.Schema, s.Name), sequenceOptions(s, true)))
		}
		def += " DEFAULT " + c.Default
	}
	if !c.Nullable {
		def += " NOT NULL"
	}
	return def, pre, nil
}

// sequenceOptions renders a sequence's parameters; an identity sequence
// takes its type from its column (withType false).
func sequenceOptions(s *format.Sequence, withType bool) string {
	o := ""
	if withType && s.Type != "" {
		o = "AS " + s.Type + " "
	}
	o += fmt.Sprintf("INCREMENT BY %d MINVALUE %d MAXVALUE %d START WITH %d CACHE %d", s.Increment, s.Min, s.Max, s.Start, s.Cache)
	if s.Cycle {
		return o + " CYCLE"
	}
	return o + " NO CYCLE"
}

// targetType is the PostgreSQL type of a column. A PostgreSQL stream carries
// the declared type; for other engines the Arrow type decides (dbconvert
// --to postgres refines this).
func targetType(h format.Header, c format.Column) (string, error) {
	if c.Logical == "text-cast" {
		return "text", nil
	}
	if h.Dialect() == "postgres" && c.DeclaredType() != "" {
		return c.DeclaredType(), nil
	}
	return arrowToPG(c.Type, c.Logical)
}

func arrowToPG(dt arrow.DataType, logical string) (string, error) {
	switch logical {
	case "json", "jsonb", "uuid", "inet", "cidr", "macaddr", "timetz", "numeric":
		if logical == "timetz" {
			return "time with time zone", nil
		}
		return logical, nil
	}
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return "boolean", nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Uint8Type:
		return "smallint", nil
	case *arrow.Int32Type, *arrow.Uint16Type:
		return "integer", nil
	case *arrow.Int64Type, *arrow.Uint32Type:
		return "bigint", nil
	case *arrow.Uint64Type:
		return "numeric(20,0)", nil
	case *arrow.Float32Type:
		return "real", nil
	case *arrow.Float64Type:
		return "double precision", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.StringType, *arrow.LargeStringType:
		return "text", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.FixedSizeBinaryType:
		return "bytea", nil
	case *arrow.Date32Type:
		return "date", nil
	case *arrow.Time64Type:
		return "time", nil
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "timestamp with time zone", nil
		}
		return "timestamp", nil
	case *arrow.MonthDayNanoIntervalType:
		return "interval", nil
	case *arrow.ListType:
		elem, err := arrowToPG(t.Elem(), logical)
		if err != nil {
			return "", err
		}
		return elem + "[]", nil
	}
	return "", fmt.Errorf("no PostgreSQL type for Arrow %s (convert the stream with dbconvert --to postgres)", dt)
}

// typeExists reports whether schema.name is a type in the target.
func typeExists(ctx context.Context, q querier, schema, name string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2`, schema, name).Scan(&n)
	return n > 0, err
}

// tableOID returns the target table's OID, or 0 when it does not exist.
func tableOID(ctx context.Context, q querier, schema, name string) (uint32, error) {
	var oid uint32
	err := q.QueryRow(ctx, `SELECT coalesce((SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')), 0)`, schema, name).Scan(&oid)
	return oid, err
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// fieldOnUpdate is a PostgreSQL expression a conversion gives a column that
// MySQL declared ON UPDATE (dbconvert --to postgres, docs/CONVERT.md).
const fieldOnUpdate = "dbmig.pg.on_update"

// onUpdateTriggers emulates MySQL's ON UPDATE CURRENT_TIMESTAMP: a BEFORE
// UPDATE trigger sets the column when the row changed and the statement
// did not set the column itself. It fires on updates only, so creating it
// with the table does not touch the copied rows.
func onUpdateTriggers(h format.Header, cols []format.Column) []string {
	if h.Dialect() != "postgres" {
		return nil
	}
	var stmts []string
	for _, c := range cols {
		expr, ok := c.Extra[fieldOnUpdate]
		if !ok || expr == "" {
			continue
		}
		name := h.Table.Name + "_" + c.Name + "_on_update"
		col := ident(c.Name)
		stmts = append(stmts,
			fmt.Sprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $dbmig$\nBEGIN\n  IF NEW IS DISTINCT FROM OLD AND NEW.%s IS NOT DISTINCT FROM OLD.%s THEN\n    NEW.%s := %s;\n  END IF;\n  RETURN NEW;\nEND\n$dbmig$",
				ident(h.Table.Schema, name), col, col, col, expr),
			fmt.Sprintf("CREATE TRIGGER %s BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s()",
				ident(name), ident(h.Table.Schema, h.Table.Name), ident(h.Table.Schema, name)))
	}
	return stmts
}
