package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/dbmig/dbmig/format"
)

// step is a list of statements run in order on one connection.
type step struct {
	label string
	sqls  []string
}

// postData builds what the data load left out, once every chunk is in:
// per table one ALTER TABLE adding every secondary, unique and fulltext
// index and check (one pass over the table instead of one per index;
// tables in parallel, biggest first; InnoDB builds one FULLTEXT index per
// ALTER, so further ones follow in their own), then the foreign keys, then
// ANALYZE TABLE.
//
// Foreign keys are added with foreign_key_checks off, as mysqldump's
// output does: InnoDB then adds them in place without reading the table
// (with checks on it copies the whole table). The rows come from one
// consistent snapshot of a source that enforced them.
//
// What already exists is skipped, so a rerun after a crash here finishes
// the job.
func (l *loader) postData(ctx context.Context, conns []*sql.Conn) error {
	tables := make([]*target, 0, len(l.order))
	for _, t := range l.order {
		if t.created {
			tables = append(tables, t)
		}
	}
	sort.SliceStable(tables, func(i, j int) bool { return tables[i].bytes.Load() > tables[j].bytes.Load() })
	var alters, fks []step
	for _, t := range tables {
		if t.header.Dialect() != "mysql" {
			if n := len(t.header.Indexes) + len(t.header.Constraints); n > 0 {
				l.cfg.Logger.Warn("indexes and constraints not created: they are in another engine's SQL (run dbconvert --to mysql)",
					"table", t.name(), "dialect", t.header.Dialect(), "count", n)
			}
			continue
		}
		have, err := existing(ctx, l.admin, t.database, t.table)
		if err != nil {
			return fmt.Errorf("table %s: %w", t.name(), err)
		}
		a, f, err := alterStatements(t, have)
		if err != nil {
			return fmt.Errorf("table %s: %w", t.name(), err)
		}
		if len(a) > 0 {
			alters = append(alters, step{t.name(), a})
		}
		if f != "" {
			fks = append(fks, step{t.name() + " foreign keys", []string{f}})
		}
	}
	if err := runParallel(ctx, conns, "build indexes", alters); err != nil {
		return err
	}
	// One connection: foreign keys lock the tables they join, and two
	// ALTERs at once could wait on each other.
	if err := runParallel(ctx, conns[:1], "add foreign keys", fks); err != nil {
		return err
	}
	if l.cfg.Analyze {
		var an []step
		for _, t := range tables {
			an = append(an, step{t.name(), []string{"ANALYZE TABLE " + t.name()}})
		}
		if err := runParallel(ctx, conns, "analyze", an); err != nil {
			return err
		}
	}
	return nil
}

// have lists a table's indexes and constraints in the target.
type have struct {
	index      map[string]bool
	constraint map[string]bool
}

func existing(ctx context.Context, conn *sql.Conn, database, table string) (have, error) {
	h := have{index: map[string]bool{}, constraint: map[string]bool{}}
	read := func(q string, into map[string]bool) error {
		rows, err := conn.QueryContext(ctx, q, database, table)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			into[n] = true
		}
		return rows.Err()
	}
	if err := read("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", h.index); err != nil {
		return h, fmt.Errorf("read the target's indexes: %w", err)
	}
	if err := read("SELECT CONSTRAINT_NAME FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?", h.constraint); err != nil {
		return h, fmt.Errorf("read the target's constraints: %w", err)
	}
	return h, nil
}

// alterStatements returns the ALTER TABLEs that add t's indexes, unique
// keys and checks (and finish a deferred auto_increment column), and the one
// that adds its foreign keys ("" when none), leaving out what exists.
func alterStatements(t *target, have have) ([]string, string, error) {
	h := t.header
	name := t.name()
	primary := map[string]bool{"PRIMARY": true}
	indexOf := map[string]bool{} // constraints that an index of the list carries
	for _, c := range h.Constraints {
		if c.Kind == "primary" {
			primary[c.Name] = true
			primary[c.Index] = true
		}
	}
	var main, fulltext []string
	for _, ix := range h.Indexes {
		indexOf[ix.Name] = true
		indexOf[ix.Constraint] = true
		if primary[ix.Name] || (ix.Constraint != "" && primary[ix.Constraint]) || have.index[ix.Name] {
			continue
		}
		add, ft, err := addIndex(ix)
		if err != nil {
			return nil, "", err
		}
		if ft {
			fulltext = append(fulltext, add)
		} else {
			main = append(main, add)
		}
	}
	var fk []string
	for _, c := range h.Constraints {
		if have.constraint[c.Name] || have.index[c.Name] {
			continue
		}
		switch c.Kind {
		case "unique":
			if indexOf[c.Name] || (c.Index != "" && indexOf[c.Index]) {
				continue // its index is in the list
			}
			main = append(main, fmt.Sprintf("ADD CONSTRAINT %s UNIQUE (%s)", quote(c.Name), quoteList(c.Columns)))
		case "check":
			def := strings.TrimSpace(c.Definition)
			if !strings.HasPrefix(strings.ToUpper(def), "CHECK") {
				def = "CHECK (" + def + ")"
			}
			main = append(main, fmt.Sprintf("ADD CONSTRAINT %s %s", quote(c.Name), def))
		case "foreign":
			ref := c.RefSchema
			if ref == "" || ref == h.Table.Schema || ref == h.Table.Database {
				ref = t.database // the source database is this target's database
			}
			fk = append(fk, fmt.Sprintf("ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)%s",
				quote(c.Name), quoteList(c.Columns), quoteName(ref, c.RefTable), quoteList(c.RefColumns), referentialActions(c.Definition)))
		}
	}
	if t.deferredAuto != "" {
		for _, c := range t.cols {
			if c.Name != t.deferredAuto {
				continue
			}
			def, err := columnDefinition(h, c, nil)
			if err != nil {
				return nil, "", err
			}
			main = append(main, "MODIFY "+def+" AUTO_INCREMENT")
			if c.Sequence != nil && c.Sequence.LastValue > 0 {
				main = append(main, fmt.Sprintf("AUTO_INCREMENT = %d", c.Sequence.LastValue))
			}
		}
	}
	var alters []string
	if len(main) > 0 {
		alters = append(alters, "ALTER TABLE "+name+" "+strings.Join(main, ", "))
	}
	for _, f := range fulltext {
		alters = append(alters, "ALTER TABLE "+name+" "+f)
	}
	fks := ""
	if len(fk) > 0 {
		fks = "ALTER TABLE " + name + " " + strings.Join(fk, ", ")
	}
	return alters, fks, nil
}

const identRE = "(?:`(?:[^`]|``)+`|[^\\s.(`]+)"

var createIndex = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:(UNIQUE|FULLTEXT|SPATIAL)\s+)?INDEX\s+` + identRE +
	`\s+ON\s+` + identRE + `(?:\s*\.\s*` + identRE + `)?\s*(\(.*)$`)

// addIndex turns an index's CREATE INDEX (in the source database) into an
// ALTER TABLE clause for the target table; ft reports a FULLTEXT index.
func addIndex(ix format.Index) (clause string, ft bool, err error) {
	if m := createIndex.FindStringSubmatch(ix.Definition); m != nil {
		kind := strings.ToUpper(m[1])
		if kind != "" {
			kind += " "
		}
		return "ADD " + kind + "INDEX " + quote(ix.Name) + " " + strings.TrimSpace(m[2]), kind == "FULLTEXT ", nil
	}
	if len(ix.Columns) == 0 {
		return "", false, fmt.Errorf("index %s: cannot read its definition %q", ix.Name, ix.Definition)
	}
	kind := ""
	if ix.Unique {
		kind = "UNIQUE "
	}
	return "ADD " + kind + "INDEX " + quote(ix.Name) + " (" + quoteList(ix.Columns) + ")", false, nil
}

var referential = regexp.MustCompile(`(?i)\sON\s+(?:DELETE|UPDATE)\s+(?:SET\s+NULL|SET\s+DEFAULT|NO\s+ACTION|RESTRICT|CASCADE)`)

// referentialActions carries a foreign key's ON DELETE / ON UPDATE over,
// leaving out RESTRICT and NO ACTION: InnoDB's default, which the server
// does not print either.
func referentialActions(def string) string {
	var b strings.Builder
	for _, a := range referential.FindAllString(def, -1) {
		if u := strings.ToUpper(a); !strings.HasSuffix(u, "RESTRICT") && !strings.HasSuffix(u, "NO ACTION") {
			b.WriteString(a)
		}
	}
	return b.String()
}

// runParallel runs steps on conns, one step per connection at a time; the
// first error stops the rest.
func runParallel(ctx context.Context, conns []*sql.Conn, phase string, steps []step) error {
	if len(steps) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan step)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			for s := range work {
				for _, q := range s.sqls {
					if _, err := c.ExecContext(ctx, q); err != nil {
						mu.Lock()
						if first == nil {
							first = fmt.Errorf("%s: %s: %w\n%s", phase, s.label, err, q)
						}
						mu.Unlock()
						cancel()
						break
					}
				}
			}
		})
	}
feed:
	for _, s := range steps {
		select {
		case work <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
