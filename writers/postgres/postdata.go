package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/dbmig/dbmig/internal/pgcatalog"
	"github.com/jackc/pgx/v5"
)

// step is a list of statements run in order on one connection.
type step struct {
	label string
	sqls  []string
}

// postData builds what the data load left out, once every chunk is in:
// text-cast columns converted back, indexes (all in parallel, biggest tables
// first), primary/unique/exclusion constraints attached to their indexes,
// checks and foreign keys added NOT VALID then validated in parallel,
// sequences moved past the copied values, and ANALYZE.
//
// Every statement is skipped when its object already exists, so a rerun
// after a crash here finishes the job.
func (l *loader) postData(ctx context.Context, conns []*pgx.Conn) error {
	tables := append([]*target(nil), l.order...)
	sort.SliceStable(tables, func(i, j int) bool { return tables[i].bytes > tables[j].bytes })
	have, err := l.existing(ctx)
	if err != nil {
		return err
	}
	if l.cfg.MaintenanceWorkMem != "" {
		for _, c := range conns {
			if _, err := c.Exec(ctx, "SELECT set_config('maintenance_work_mem', $1, false)", l.cfg.MaintenanceWorkMem); err != nil {
				return fmt.Errorf("set maintenance_work_mem: %w", err)
			}
		}
	}

	var casts, indexes, attach, validate []step
	var addNotValid []string
	for _, t := range tables {
		name := ident(t.id.Schema, t.id.Name)
		var cs []string
		for _, c := range t.cols {
			if c.Logical == "text-cast" && have.textCol[key(t.id.String(), c.Name)] {
				cs = append(cs, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s",
					name, ident(c.Name), c.DeclaredType(), ident(c.Name), c.DeclaredType()))
			}
		}
		if len(cs) > 0 {
			casts = append(casts, step{t.id.String(), cs})
		}
		owned := map[string]bool{} // indexes that an exclusion constraint creates itself
		for _, c := range t.header.Constraints {
			if c.Kind == "exclusion" {
				owned[c.Index] = true
			}
		}
		for _, ix := range t.header.Indexes {
			if !owned[ix.Name] && !have.index[key(t.id.Schema, ix.Name)] {
				indexes = append(indexes, step{t.id.String() + " index " + ix.Name, []string{ix.Definition}})
			}
		}
		var at []string
		for _, c := range t.header.Constraints {
			if have.constraint[key3(t.id.Schema, t.id.Name, c.Name)] {
				continue
			}
			switch c.Kind {
			case "primary", "unique":
				kind := "PRIMARY KEY"
				if c.Kind == "unique" {
					kind = "UNIQUE"
				}
				at = append(at, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s",
					name, ident(c.Name), kind, ident(c.Index), deferrability(c.Definition)))
			case "exclusion":
				at = append(at, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", name, ident(c.Name), c.Definition))
			case "check", "foreign":
				def := c.Definition
				if strings.HasSuffix(def, " NOT VALID") {
					// NOT VALID at the source: keep it so.
					addNotValid = append(addNotValid, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", name, ident(c.Name), def))
					continue
				}
				addNotValid = append(addNotValid, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID", name, ident(c.Name), def))
				validate = append(validate, step{t.id.String() + " " + c.Name,
					[]string{fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", name, ident(c.Name))}})
			}
		}
		if len(at) > 0 {
			attach = append(attach, step{t.id.String(), at})
		}
	}
	// Constraints found NOT VALID (a crash between add and validate) are
	// validated again; validating a valid one is a no-op.
	for _, nv := range have.notValid {
		validate = append(validate, step{nv.label, []string{nv.sql}})
	}

	phases := []struct {
		name  string
		steps []step
	}{
		{"convert text-cast columns", casts},
		{"build indexes", indexes},
		{"attach keys", attach},
	}
	for _, p := range phases {
		if err := runParallel(ctx, conns, p.name, p.steps); err != nil {
			return err
		}
	}
	// Adding NOT VALID constraints only takes brief locks, but two at once can
	// deadlock on the tables they share: one connection, in order.
	if len(addNotValid) > 0 {
		if err := runParallel(ctx, conns[:1], "add constraints", []step{{"constraints", addNotValid}}); err != nil {
			return err
		}
	}
	if err := runParallel(ctx, conns, "validate constraints", validate); err != nil {
		return err
	}
	if err := runParallel(ctx, conns[:1], "set sequences", l.sequenceSteps(tables)); err != nil {
		return err
	}
	if l.cfg.Analyze {
		var an []step
		for _, t := range tables {
			an = append(an, step{t.id.String(), []string{"ANALYZE " + ident(t.id.Schema, t.id.Name)}})
		}
		if err := runParallel(ctx, conns, "analyze", an); err != nil {
			return err
		}
	}
	return nil
}

// deferrability carries a key's DEFERRABLE clause to its USING INDEX form.
func deferrability(def string) string {
	switch {
	case strings.Contains(def, "DEFERRABLE INITIALLY DEFERRED"):
		return " DEFERRABLE INITIALLY DEFERRED"
	case strings.Contains(def, "NOT DEFERRABLE"):
		return ""
	case strings.Contains(def, "DEFERRABLE"):
		return " DEFERRABLE"
	}
	return ""
}

// sequenceSteps moves every sequence past the copied values: to the
// source's position, or past the largest copied value if that is higher.
func (l *loader) sequenceSteps(tables []*target) []step {
	var st []step
	for _, t := range tables {
		for _, c := range t.cols {
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
				called = fmt.Sprintf("(SELECT %s(%s) IS NOT NULL FROM %s)", agg, ident(c.Name), ident(t.id.Schema, t.id.Name))
			}
			sql := fmt.Sprintf("SELECT setval(%s, %s(%d, (SELECT %s(%s) FROM %s)), %s)",
				pgcatalog.QuoteLiteral(ident(s.Schema, s.Name)), cmp, s.LastValue, agg, ident(c.Name), ident(t.id.Schema, t.id.Name), called)
			st = append(st, step{t.id.String() + " sequence " + s.Name, []string{sql}})
		}
	}
	return st
}

// runParallel runs steps on the connections, each step's statements in
// order on one connection; the first error stops the rest.
func runParallel(ctx context.Context, conns []*pgx.Conn, phase string, steps []step) error {
	if len(steps) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := make(chan step)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for _, c := range conns {
		wg.Go(func() {
			for s := range queue {
				for _, sql := range s.sqls {
					if _, err := c.Exec(ctx, sql); err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("%s: %s: %w\n%s", phase, s.label, err, sql)
							cancel()
						}
						mu.Unlock()
						return
					}
				}
			}
		})
	}
feed:
	for _, s := range steps {
		select {
		case queue <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func key(a, b string) string     { return a + "\x00" + b }
func key3(a, b, c string) string { return a + "\x00" + b + "\x00" + c }

type existing struct {
	index      map[string]bool // schema, index name
	constraint map[string]bool // schema, table, constraint name
	textCol    map[string]bool // table, column: a text-cast column still of type text
	notValid   []struct{ label, sql string }
}

// existing reads the indexes and constraints already in the loaded tables.
func (l *loader) existing(ctx context.Context) (*existing, error) {
	e := &existing{index: map[string]bool{}, constraint: map[string]bool{}, textCol: map[string]bool{}}
	var oids []uint32
	for _, t := range l.order {
		oids = append(oids, t.oid)
	}
	cols, err := pgcatalog.Columns(ctx, l.admin, oids)
	if err != nil {
		return nil, err
	}
	for _, t := range l.order {
		for _, c := range cols[t.oid] {
			if c.TypeOID == 25 { // text
				e.textCol[key(t.id.String(), c.Name)] = true
			}
		}
	}
	rows, err := l.admin.Query(ctx, `
SELECT n.nspname, ic.relname FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE i.indrelid = ANY($1)`, oids)
	if err != nil {
		return nil, fmt.Errorf("read target indexes: %w", err)
	}
	var a, b string
	if _, err := pgx.ForEachRow(rows, []any{&a, &b}, func() error { e.index[key(a, b)] = true; return nil }); err != nil {
		return nil, fmt.Errorf("read target indexes: %w", err)
	}
	rows, err = l.admin.Query(ctx, `
SELECT n.nspname, c.relname, con.conname, con.convalidated FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE con.conrelid = ANY($1)`, oids)
	if err != nil {
		return nil, fmt.Errorf("read target constraints: %w", err)
	}
	var cn string
	var valid bool
	notValidAtSource := map[string]bool{}
	for _, t := range l.order {
		for _, c := range t.header.Constraints {
			if strings.HasSuffix(c.Definition, " NOT VALID") {
				notValidAtSource[key3(t.id.Schema, t.id.Name, c.Name)] = true
			}
		}
	}
	_, err = pgx.ForEachRow(rows, []any{&a, &b, &cn, &valid}, func() error {
		k := key3(a, b, cn)
		e.constraint[k] = true
		if !valid && !notValidAtSource[k] {
			e.notValid = append(e.notValid, struct{ label, sql string }{a + "." + b + " " + cn,
				fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", ident(a, b), ident(cn))})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read target constraints: %w", err)
	}
	return e, nil
}
