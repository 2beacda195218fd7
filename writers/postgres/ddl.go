package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
)

// DDLTable is one table of a stream: a segment header and its columns.
type DDLTable struct {
	Header  format.Header
	Columns []format.Column
}

// DDL is the PostgreSQL DDL that Load with Create runs for a stream, as
// text: PreData creates schemas, types, sequences and tables (before the
// data is copied); PostData converts text-cast columns, builds indexes,
// attaches keys, adds checks and foreign keys and moves sequences past the
// copied values (after the data). dbmigrate analyze --ddl writes it.
type DDL struct {
	PreData  []string
	PostData []string
}

// BuildDDL returns the DDL of tables with the same statement builders as
// Load (so a file written from it creates what Load would). Shared
// statements (a schema, an enum type two columns use) appear once.
func BuildDDL(tables []DDLTable) (DDL, error) {
	var d DDL
	seen := map[string]bool{}
	noType := func(string, string) bool { return false }
	for _, t := range tables {
		stmts, err := createStatements(t.Header, t.Columns, noType)
		if err != nil {
			return d, fmt.Errorf("table %s: %w", t.Header.Table, err)
		}
		for _, s := range stmts {
			if !seen[s] {
				seen[s] = true
				d.PreData = append(d.PreData, s)
			}
		}
	}
	var indexes, keys, constraints, sequences []string
	for _, t := range tables {
		id := t.Header.Table
		name := ident(id.Schema, id.Name)
		for _, c := range t.Columns {
			if c.Logical == "text-cast" {
				d.PostData = append(d.PostData, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s",
					name, ident(c.Name), c.DeclaredType(), ident(c.Name), c.DeclaredType()))
			}
		}
		owned := map[string]bool{}
		for _, c := range t.Header.Constraints {
			if c.Kind == "exclusion" {
				owned[c.Index] = true
			}
		}
		for _, ix := range t.Header.Indexes {
			if !owned[ix.Name] {
				indexes = append(indexes, ix.Definition)
			}
		}
		for _, c := range t.Header.Constraints {
			switch c.Kind {
			case "primary", "unique":
				kind := "PRIMARY KEY"
				if c.Kind == "unique" {
					kind = "UNIQUE"
				}
				keys = append(keys, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s",
					name, ident(c.Name), kind, ident(c.Index), deferrability(c.Definition)))
			case "exclusion", "check", "foreign":
				constraints = append(constraints, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", name, ident(c.Name), c.Definition))
			}
		}
		for _, c := range t.Columns {
			s := c.Sequence
			if s == nil {
				continue
			}
			cmp, agg := "greatest", "max"
			if s.Increment < 0 {
				cmp, agg = "least", "min"
			}
			called := "true"
			if !s.IsCalled {
				called = fmt.Sprintf("(SELECT %s(%s) IS NOT NULL FROM %s)", agg, ident(c.Name), name)
			}
			sequences = append(sequences, fmt.Sprintf("SELECT setval(%s, %s(%d, (SELECT %s(%s) FROM %s)), %s)",
				pgcatalog.QuoteLiteral(ident(s.Schema, s.Name)), cmp, s.LastValue, agg, ident(c.Name), name, called))
		}
	}
	d.PostData = append(d.PostData, indexes...)
	d.PostData = append(d.PostData, keys...)
	d.PostData = append(d.PostData, constraints...)
	d.PostData = append(d.PostData, sequences...)
	return d, nil
}

// ViewStatements create views a conversion translated to PostgreSQL
// (catalog objects whose Definition is the SELECT). A MySQL view names the
// tables of its own database unqualified, so each view is created with
// search_path set to its schema: PostgreSQL resolves the names when the
// view is created and keeps the resolved tables, so the setting does not
// stay with the view. search_path is reset at the end.
func ViewStatements(views []format.Object) []string {
	var out []string
	schema := ""
	for _, o := range views {
		if o.Schema != schema {
			schema = o.Schema
			out = append(out, "SET search_path TO "+ident(schema)+", public")
		}
		out = append(out, fmt.Sprintf("CREATE VIEW %s AS %s", ident(o.Schema, o.Name), strings.TrimSuffix(strings.TrimSpace(o.Definition), ";")))
	}
	if len(out) > 0 {
		out = append(out, "RESET search_path")
	}
	return out
}

// TryDDL runs stmts in order in one transaction on dsn and rolls it back:
// a dry run that proves the DDL loads into that server without changing
// it (PostgreSQL DDL is transactional). The error names the statement.
func TryDDL(ctx context.Context, dsn string, stmts []string) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a dry run: nothing is kept
	for i, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("statement %d of %d: %w\n%s", i+1, len(stmts), err, s)
		}
	}
	return nil
}
