package convert

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dbmig/dbmig/format"
)

var (
	prefixPart  = regexp.MustCompile("`\\s*\\(\\d+\\)")
	fkAction    = regexp.MustCompile(`(?i)\bON\s+(DELETE|UPDATE)\s+(CASCADE|SET\s+NULL|SET\s+DEFAULT|RESTRICT|NO\s+ACTION)`)
	checkPrefix = regexp.MustCompile(`(?is)^\s*(CONSTRAINT\s+\S+\s+)?CHECK\s*\((.*)\)\s*$`)
	jsonValid   = regexp.MustCompile("(?i)^\\s*json_valid\\s*\\(\\s*`[^`]+`\\s*\\)\\s*$")
)

// keys converts the table's indexes and constraints to PostgreSQL. Index
// names are per schema in PostgreSQL (per table in MySQL): a name already
// taken by another table gets the table's name in front. A primary or
// unique constraint takes its index's name, since attaching it renames the
// index.
func (p *mysqlToPG) keys() ([]format.Constraint, []format.Index) {
	tbl := pgIdent(p.schema, p.table)
	var idxs []format.Index
	target := map[string]string{} // source index name → target name
	for _, ix := range p.h.Indexes {
		def := strings.ToUpper(ix.Definition)
		switch {
		case strings.Contains(def, "FULLTEXT") || strings.Contains(def, "SPATIAL"):
			p.item(ItemDropped, "index "+ix.Name, "%s: FULLTEXT and SPATIAL indexes have no direct PostgreSQL form (use a GIN index on to_tsvector, or PostGIS)", ix.Definition)
			continue
		case len(ix.Columns) == 0:
			p.item(ItemDropped, "index "+ix.Name, "%s: an index on expressions is not translated", ix.Definition)
			continue
		}
		name := p.rn(ix.Name)
		if ix.Name == "PRIMARY" {
			name = p.table + "_pkey"
		}
		name, renamed := p.cv.claimIndexName(p.schema, p.table, name)
		if renamed {
			p.item(ItemRenamed, "index "+ix.Name, "PostgreSQL index names are unique per schema: named %s", name)
		}
		if prefixPart.MatchString(ix.Definition) {
			why := "PostgreSQL has no prefix indexes: the whole values are indexed (a B-tree entry is limited to about 2.7 kB)"
			if ix.Unique {
				why += "; uniqueness now applies to whole values, which is weaker than on the prefixes"
			}
			p.item(ItemBehaviour, "prefix index "+ix.Name, "%s", why)
		}
		target[ix.Name] = name
		u := ""
		if ix.Unique {
			u = "UNIQUE "
		}
		idxs = append(idxs, format.Index{Name: name, Unique: ix.Unique, Columns: p.names(ix.Columns),
			Constraint: ix.Constraint,
			Definition: fmt.Sprintf("CREATE %sINDEX %s ON %s USING btree (%s)", u, pgIdent(name), tbl, pgList(p.names(ix.Columns)))})
	}

	var cons []format.Constraint
	for _, c := range p.h.Constraints {
		switch c.Kind {
		case "primary", "unique":
			src := c.Index
			if src == "" {
				src = c.Name
			}
			name, ok := target[src]
			if !ok && c.Kind == "primary" {
				name, ok = target["PRIMARY"]
			}
			cols := p.names(c.Columns)
			if !ok {
				// The stream listed the key without its index: make one.
				n := p.rn(c.Name)
				if c.Kind == "primary" {
					n = p.table + "_pkey"
				}
				name, _ = p.cv.claimIndexName(p.schema, p.table, n)
				idxs = append(idxs, format.Index{Name: name, Unique: true, Columns: cols, Constraint: name,
					Definition: fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s USING btree (%s)", pgIdent(name), tbl, pgList(cols))})
			}
			for i := range idxs {
				if idxs[i].Name == name {
					idxs[i].Constraint = name
				}
			}
			kw := "PRIMARY KEY"
			if c.Kind == "unique" {
				kw = "UNIQUE"
			}
			cons = append(cons, format.Constraint{Name: name, Kind: c.Kind, Columns: cols, Index: name,
				Definition: fmt.Sprintf("%s (%s)", kw, pgList(cols))})
		case "foreign":
			refSchema := p.x.schemaOf(c.RefSchema)
			def := fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s(%s)", pgList(p.names(c.Columns)),
				pgIdent(refSchema, p.rn(c.RefTable)), pgList(p.renameAll(c.RefColumns)))
			for _, m := range fkAction.FindAllStringSubmatch(c.Definition, -1) {
				def += " ON " + strings.ToUpper(m[1]) + " " + strings.ToUpper(strings.Join(strings.Fields(m[2]), " "))
			}
			cons = append(cons, format.Constraint{Name: p.rn(c.Name), Kind: "foreign", Columns: p.names(c.Columns),
				RefSchema: refSchema, RefTable: p.rn(c.RefTable), RefColumns: p.renameAll(c.RefColumns), Definition: def})
		case "check":
			expr := c.Definition
			if m := checkPrefix.FindStringSubmatch(expr); m != nil {
				expr = m[2]
			}
			if jsonValid.MatchString(expr) {
				p.item(ItemDropped, "check "+c.Name, "%s: MariaDB's JSON check; jsonb validates its values itself", c.Definition)
				continue
			}
			e, err := p.x.toPG(expr)
			if err != nil {
				p.item(ItemDropped, "check "+c.Name, "%s: %v", c.Definition, err)
				continue
			}
			cons = append(cons, format.Constraint{Name: p.rn(c.Name), Kind: "check", Columns: p.names(c.Columns), Definition: "CHECK (" + e + ")"})
			p.item(ItemTranslated, "check "+c.Name, "%s -> CHECK (%s)", c.Definition, e)
		default:
			p.item(ItemDropped, c.Kind+" constraint "+c.Name, "%s: not translated", c.Definition)
		}
	}
	return cons, idxs
}

func (p *mysqlToPG) renameAll(src []string) []string {
	out := make([]string, len(src))
	for i, s := range src {
		out[i] = p.rn(s)
	}
	return out
}

func pgList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = pgIdent(n)
	}
	return strings.Join(q, ", ")
}

// Catalog converts a catalog segment's objects. Views that translate are
// returned in a segment with TargetEngine set (their definitions are now
// target SQL); everything else stays in a segment in the source's dialect,
// each object with a Note saying why it is left for manual work. Every
// object is in the report.
func (cv *Converter) Catalog(h format.Header) []format.Header {
	rn := newRenamer(cv.opts.Identifiers)
	srcDB := h.Table.Database
	if srcDB == "" {
		srcDB = h.Table.Schema
	}
	schemaOf := func(db string) string {
		if db == "" || db == srcDB {
			if cv.opts.Schema != "" {
				return cv.opts.Schema
			}
			return rn(srcDB)
		}
		return rn(db)
	}
	x := exprTranslator{rename: rn, schemaOf: schemaOf}
	var done, manual []format.Object
	var reps []ObjectReport
	for _, o := range h.Objects {
		name := format.TableID{Schema: o.Schema, Name: o.Name}.String()
		if o.Kind == "view" && h.Table.Engine == EngineMySQL && cv.opts.To == EnginePostgres {
			sql, err := x.toPG(o.Definition)
			if err == nil {
				t := o
				t.Schema, t.Name, t.Definition = schemaOf(o.Schema), rn(o.Name), sql
				t.Note = fmt.Sprintf("translated from MySQL by dbconvert; create it with CREATE VIEW %s AS %s", pgIdent(t.Schema, t.Name), sql)
				done = append(done, t)
				reps = append(reps, ObjectReport{Kind: o.Kind, Name: name, Status: "translated", Note: t.Note})
				continue
			}
			o.Note = fmt.Sprintf("left for manual work: the view's SQL has %v", err)
		} else {
			o.Note = fmt.Sprintf("left for manual work: a %s %s is not translated to %s", h.Table.Engine, o.Kind, cv.opts.To)
		}
		manual = append(manual, o)
		reps = append(reps, ObjectReport{Kind: o.Kind, Name: name, Status: "manual", Note: o.Note})
	}
	cv.mu.Lock()
	cv.objects = append(cv.objects, reps...)
	if cv.from == "" {
		cv.from = h.Table.Engine
	}
	cv.mu.Unlock()
	var out []format.Header
	if len(done) > 0 {
		t := h
		t.TargetEngine, t.Objects = cv.opts.To, done
		out = append(out, t)
	}
	if len(manual) > 0 {
		m := h
		m.Objects = manual
		out = append(out, m)
	}
	return out
}
