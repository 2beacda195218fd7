package analyze

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	mysqlreader "github.com/dbmig/dbmig/readers/mysql"
	"github.com/dbmig/dbmig/transforms/convert"
)

// exactCheck is one aggregate of a table's exact check query.
type exactCheck struct {
	kind, column string
	expr         string
	args         []any
	max          bool // the aggregate is a maximum length, not a count
	limit        int
}

// exactChecks runs, per MySQL table not above ExactMaxBytes, one query
// that counts over every row what the sample profile looks for (zero
// dates, unsigned values above 2^63−1, NUL bytes, values longer than the
// target type). Its counts replace the sample's. It also reads the
// server's time zone settings.
func exactChecks(ctx context.Context, opts Options, rep *Report, states map[string]*tableState) error {
	conn, err := mysqlreader.DialScan(ctx, opts.Source)
	if err != nil {
		return fmt.Errorf("exact checks: %w", err)
	}
	defer conn.Close()
	db := conn.SQL()
	if err := timeZones(ctx, db, rep, states); err != nil {
		return err
	}
	if opts.ExactMaxBytes < 0 {
		return nil
	}
	for _, t := range rep.Tables {
		var st *tableState
		for _, s := range states {
			if s.conv.Report().Source == t.Source {
				st = s
			}
		}
		if st == nil || t.Bytes > opts.ExactMaxBytes {
			continue
		}
		checks := checksFor(st)
		t.Exact = true
		if len(checks) == 0 {
			continue
		}
		exprs := make([]string, len(checks))
		var args []any
		for i, c := range checks {
			exprs[i] = c.expr
			args = append(args, c.args...)
		}
		q := "SELECT " + strings.Join(exprs, ", ") + " FROM " + quoteMy(st.header.Table.Schema) + "." + quoteMy(st.header.Table.Name)
		vals := make([]sql.NullInt64, len(checks))
		ptrs := make([]any, len(checks))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := db.QueryRowContext(ctx, q, args...).Scan(ptrs...); err != nil {
			return fmt.Errorf("exact checks of %s: %w", t.Source, err)
		}
		// Exact counts replace the sample's for the same kind and column.
		var kept []Finding
		replaced := map[string]bool{}
		for _, c := range checks {
			replaced[c.kind+"\x00"+c.column] = true
		}
		for _, f := range t.Findings {
			if !replaced[f.Kind+"\x00"+f.Column] {
				kept = append(kept, f)
			}
		}
		var exact []Finding
		for i, c := range checks {
			v := vals[i].Int64
			switch {
			case c.max && v > int64(c.limit):
				exact = append(exact, Finding{Kind: c.kind, Column: c.column, Count: 1, Exact: true,
					Example: fmt.Sprintf("longest value %d characters, the target type holds %d", v, c.limit)})
			case !c.max && v > 0:
				f := Finding{Kind: c.kind, Column: c.column, Count: v, Exact: true}
				for _, s := range t.Findings {
					if s.Kind == c.kind && s.Column == c.column {
						f.Example = s.Example
					}
				}
				exact = append(exact, f)
			}
		}
		t.Findings = append(exact, kept...)
	}
	return nil
}

// checksFor lists the exact checks of a table's columns.
func checksFor(st *tableState) []exactCheck {
	var out []exactCheck
	for i, c := range st.src {
		col := quoteMy(c.Name)
		switch c.Type.ID() {
		case arrow.DATE32:
			out = append(out, exactCheck{kind: FindZeroDate, column: c.Name, expr: "SUM(" + col + " = ?)", args: []any{"0000-00-00"}})
		case arrow.TIMESTAMP:
			out = append(out, exactCheck{kind: FindZeroDate, column: c.Name, expr: "SUM(" + col + " = ?)", args: []any{"0000-00-00 00:00:00"}})
		case arrow.UINT64:
			if c.Logical != "bit" {
				out = append(out, exactCheck{kind: FindUnsignedHigh, column: c.Name, expr: "SUM(" + col + " > ?)", args: []any{uint64(1<<63 - 1)}})
			}
		case arrow.STRING, arrow.LARGE_STRING:
			if c.Logical != "" { // enum, json, numeric text: no NULs, no length limit of their own
				continue
			}
			// Bytes, whatever the column's charset and collation.
			out = append(out, exactCheck{kind: FindNUL, column: c.Name, expr: "SUM(INSTR(CAST(" + col + " AS BINARY), CAST(? AS BINARY)) > 0)", args: []any{"\x00"}})
			if n := st.prof.limit[i]; n > 0 {
				out = append(out, exactCheck{kind: FindTooLong, column: c.Name, expr: "MAX(CHAR_LENGTH(" + col + "))", max: true, limit: n})
			}
		}
	}
	return out
}

func quoteMy(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// timeZones reports the server's time zone when tables have MySQL
// timestamp columns (stored in UTC, shown in the session zone) or
// datetime columns (wall-clock time of an unrecorded zone).
func timeZones(ctx context.Context, db *sql.Conn, rep *Report, states map[string]*tableState) error {
	var global, system string
	if err := db.QueryRowContext(ctx, "SELECT @@global.time_zone, @@system_time_zone").Scan(&global, &system); err != nil {
		return fmt.Errorf("read the server's time zone: %w", err)
	}
	var ts, dt []string
	for _, st := range states {
		for _, c := range st.src {
			if tt, ok := c.Type.(*arrow.TimestampType); ok {
				name := st.header.Table.Name + "." + c.Name
				if tt.TimeZone != "" {
					ts = append(ts, name)
				} else {
					dt = append(dt, name)
				}
			}
		}
	}
	zone := global
	if strings.EqualFold(global, "SYSTEM") {
		zone = "SYSTEM (" + system + ")"
	}
	if len(ts) > 0 {
		rep.Server = append(rep.Server, Finding{Kind: FindTimeZone, Column: strings.Join(sortStrings(ts), ", "), Count: int64(len(ts)), Exact: true,
			Example: "server time_zone " + zone,
			Why:     "MySQL timestamp columns hold UTC instants; they are read in UTC and become timestamp with time zone, so no value shifts, but applications that relied on the session zone " + zone + " must set theirs on the target"})
	}
	if len(dt) > 0 {
		rep.Server = append(rep.Server, Finding{Kind: FindTimeZone, Column: strings.Join(sortStrings(dt), ", "), Count: int64(len(dt)), Exact: true,
			Example: "server time_zone " + zone,
			Why:     "datetime columns hold wall-clock time without a zone; they stay zone-less (timestamp without time zone), copied as they are: the zone the application meant (probably " + zone + ") is not recorded anywhere"})
	}
	return nil
}

// foreignKeyTypes finds foreign keys whose column and referenced column
// get different target types: PostgreSQL refuses such a constraint when
// the types have no common index operator family (numeric and bigint).
func foreignKeyTypes(rep *Report, states map[string]*tableState) {
	typeOf := map[string]string{} // target schema.table\x00column → type
	for _, st := range states {
		h := st.conv.Header()
		for _, c := range st.conv.Columns() {
			typeOf[h.Table.Schema+"."+h.Table.Name+"\x00"+c.Name] = c.DeclaredType()
		}
	}
	for _, st := range states {
		h := st.conv.Header()
		for _, con := range h.Constraints {
			if con.Kind != "foreign" || len(con.Columns) != len(con.RefColumns) {
				continue
			}
			for i, col := range con.Columns {
				a := typeOf[h.Table.Schema+"."+h.Table.Name+"\x00"+col]
				b, ok := typeOf[con.RefSchema+"."+con.RefTable+"\x00"+con.RefColumns[i]]
				if ok && a != b && baseType(a) != baseType(b) {
					for _, t := range rep.Tables {
						if t.Target == h.Table.String() {
							t.Findings = append(t.Findings, Finding{Kind: FindForeignType, Column: col, Exact: true,
								Example: fmt.Sprintf("%s %s references %s.%s %s", col, a, con.RefTable, con.RefColumns[i], b),
								Why:     "the foreign key's column and the referenced column get different target types; PostgreSQL refuses the constraint when they share no index operator family (numeric and bigint)",
								Fix:     "declare both columns alike at the source, or fix the types in the DDL before loading"})
						}
					}
				}
			}
		}
	}
}

// baseType drops a length or precision: varchar(10) and varchar(20) can
// reference each other.
func baseType(t string) string {
	if i := strings.IndexByte(t, '('); i > 0 {
		return t[:i]
	}
	return t
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// explain fills a finding's reason and remedy from its kind, the column's
// target type and the conversion choices.
func explain(f *Finding, t *Table, o convert.Options) {
	if f.Why != "" && f.Kind != FindBlocker {
		return
	}
	target := ""
	for _, c := range t.Columns {
		if c.Source == f.Column {
			target = c.TargetType
		}
	}
	switch f.Kind {
	case FindZeroDate:
		f.Why = "MySQL zero dates have no " + o.To + " value"
		switch o.ZeroDates {
		case "null":
			f.Why += "; --zero-dates null makes them NULL (the column must be nullable)"
		case "epoch":
			f.Why += "; --zero-dates epoch makes them 1970-01-01 (lossy, counted)"
		default:
			f.Why += ": the copy stops at the first one"
			f.Fix = "--zero-dates null (nullable columns) or --zero-dates epoch, or clean the data"
		}
	case FindUnsignedHigh:
		if strings.HasPrefix(target, "numeric") {
			f.Why = "fits " + target + ", but above every PostgreSQL integer type: a join or foreign key to a bigint column, or an application reading it as int64, fails"
		} else {
			f.Why = "does not fit " + target + ": the copy stops at the first one"
			f.Fix = "keep the column numeric(20,0) (drop auto_increment) or renumber the values"
		}
	case FindNUL:
		if o.StripNUL {
			f.Why = "PostgreSQL text cannot hold NUL bytes; --strip-nul removes them (lossy, counted)"
		} else {
			f.Why = "PostgreSQL text cannot hold NUL bytes: the copy stops at the first one"
			f.Fix = "--strip-nul, or declare the column binary at the source"
		}
	case FindTooLong:
		f.Why = "values longer than " + target + " holds: the load fails"
		f.Fix = "widen the target column in the DDL"
	case FindCaseCollide:
		if o.To == convert.EngineMySQL {
			f.Why = "distinct at the source, but duplicates under MySQL's default _ci collations: the unique key fails to load"
			f.Fix = "declare the key's columns with a _bin collation on the target, or clean the data"
		} else {
			f.Why = "distinct at the source and on PostgreSQL (deterministic collations), but a fail-back to MySQL with a _ci collation would find duplicates on this key"
			f.Fix = "keep a _bin collation for these columns on any MySQL copy"
		}
	case FindBlocker:
		f.Why = "the conversion stops here with the chosen options: " + f.Why
	}
}
