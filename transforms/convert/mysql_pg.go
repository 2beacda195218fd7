package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
)

// Field metadata keys of a MySQL stream (docs/TYPES-MYSQL.md) and of a
// conversion to PostgreSQL.
const (
	fieldMyValues        = "dbmig.mysql.values"
	fieldMyOnUpdate      = "dbmig.mysql.on_update"
	fieldMyGeneratedKind = "dbmig.mysql.generated_kind"
	// FieldPGOnUpdate is a PostgreSQL expression assigned to the column by
	// a BEFORE UPDATE trigger: MySQL's ON UPDATE CURRENT_TIMESTAMP.
	// writers/postgres creates the trigger with the table.
	FieldPGOnUpdate = "dbmig.pg.on_update"
)

// myType is a MySQL COLUMN_TYPE taken apart: "int(10) unsigned" is base
// "int", args ["10"], unsigned.
type myType struct {
	base     string
	args     []string
	unsigned bool
}

func parseMyType(s string) myType {
	s = strings.ToLower(strings.TrimSpace(s))
	var t myType
	t.unsigned = strings.Contains(s, " unsigned")
	base, rest, _ := strings.Cut(s, "(")
	t.base = strings.TrimSpace(strings.Fields(base + " x")[0])
	if inner, _, ok := strings.Cut(rest, ")"); ok && rest != "" {
		for a := range strings.SplitSeq(inner, ",") {
			t.args = append(t.args, strings.TrimSpace(a))
		}
	}
	return t
}

// arg returns the i-th numeric argument, or def.
func (t myType) arg(i, def int) int {
	if i < len(t.args) {
		if n, err := strconv.Atoi(t.args[i]); err == nil {
			return n
		}
	}
	return def
}

// mysqlToPG is the plan state of one MySQL table converted to PostgreSQL.
type mysqlToPG struct {
	cv        *Converter
	h         format.Header
	rn        renamer
	x         exprTranslator
	schema    string
	table     string
	colName   map[string]string // source → target
	items     []Item
	checks    []format.Constraint // added by rules (enum as text)
	collation map[string][]string // source collation → target columns
}

func (p *mysqlToPG) item(kind, what, why string, args ...any) {
	p.items = append(p.items, Item{Kind: kind, What: what, Why: fmt.Sprintf(why, args...)})
}

func (cv *Converter) planMySQLToPG(h format.Header, cols []format.Column) (*Table, error) {
	rn := newRenamer(cv.opts.Identifiers)
	srcDB := h.Table.Database
	if srcDB == "" {
		srcDB = h.Table.Schema
	}
	schemaOf := func(db string) string {
		if db == "" || db == srcDB || db == h.Table.Schema {
			if cv.opts.Schema != "" {
				return cv.opts.Schema
			}
			return rn(srcDB)
		}
		return rn(db)
	}
	p := &mysqlToPG{cv: cv, h: h, rn: rn, schema: schemaOf(srcDB), table: rn(h.Table.Name),
		colName: map[string]string{}, collation: map[string][]string{}}
	p.x = exprTranslator{rename: rn, schemaOf: schemaOf}

	owner := map[string]string{}
	for _, c := range cols {
		n := rn(c.Name)
		if prev, ok := owner[n]; ok {
			return nil, fmt.Errorf("columns %q and %q both become %q with --identifiers %s", prev, c.Name, n, cv.opts.Identifiers)
		}
		owner[n] = c.Name
		p.colName[c.Name] = n
	}

	t := &Table{cv: cv, srcCols: cols, plans: make([]colPlan, len(cols)), changed: make([]atomic.Int64, len(cols)),
		report: &TableReport{Source: h.Table.String(), Target: p.schema + "." + p.table}}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		out, k, rep, err := p.column(c)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s): %w", c.Name, c.SourceType, err)
		}
		t.cols = append(t.cols, out)
		t.plans[i].kernel = k
		t.report.Columns = append(t.report.Columns, rep)
		fields[i] = out.Field()
	}
	t.schema = arrow.NewSchema(fields, nil)
	t.keyCols = keyColumns(h, cols)

	hd := h
	hd.TargetEngine = EnginePostgres
	hd.Table.Schema, hd.Table.Name = p.schema, p.table
	hd.PrimaryKey = p.names(h.PrimaryKey)
	hd.Constraints, hd.Indexes = p.keys()
	hd.Constraints = append(hd.Constraints, p.checks...)
	t.header = hd

	colls := make([]string, 0, len(p.collation))
	for c := range p.collation {
		colls = append(colls, c)
	}
	sort.Strings(colls)
	for _, c := range colls {
		what := fmt.Sprintf("collation %s on %s", c, strings.Join(p.collation[c], ", "))
		if ci := strings.Contains(c, "_ci") || strings.Contains(c, "_ai"); ci {
			p.item(ItemBehaviour, what, "dropped: the columns use the target database's default collation, so comparisons, unique keys and ORDER BY become case- (and accent-) sensitive; create a nondeterministic ICU collation or citext if the application relies on it")
		} else {
			p.item(ItemDropped, what, "the columns use the target database's default collation")
		}
	}
	t.report.Items = p.items
	return t, nil
}

// keyColumns returns the indexes of the primary key's columns.
func keyColumns(h format.Header, cols []format.Column) []int {
	var idx []int
	for _, k := range h.PrimaryKey {
		for i, c := range cols {
			if c.Name == k {
				idx = append(idx, i)
			}
		}
	}
	if len(idx) == 0 {
		type kc struct{ ord, i int }
		var ks []kc
		for i, c := range cols {
			if c.PKOrdinal > 0 {
				ks = append(ks, kc{c.PKOrdinal, i})
			}
		}
		sort.Slice(ks, func(a, b int) bool { return ks[a].ord < ks[b].ord })
		for _, k := range ks {
			idx = append(idx, k.i)
		}
	}
	return idx
}

func (p *mysqlToPG) names(src []string) []string {
	if src == nil {
		return nil
	}
	out := make([]string, len(src))
	for i, s := range src {
		if n, ok := p.colName[s]; ok {
			out[i] = n
		} else {
			out[i] = p.rn(s)
		}
	}
	return out
}

// column plans one column: its converted declaration, the kernel that
// converts its values (nil: passed through) and its report line.
func (p *mysqlToPG) column(c format.Column) (format.Column, kernel, ColumnReport, error) {
	o := p.cv.opts
	mt := parseMyType(c.SourceType)
	out := c
	out.Name = p.colName[c.Name]
	out.Extra = map[string]string{}
	for k, v := range c.Extra {
		out.Extra[k] = v
	}
	rep := ColumnReport{Source: c.Name, Target: out.Name, SourceType: c.SourceType}
	var (
		tt string
		k  kernel
	)
	rule := func(r string) { rep.Rule = r }
	switch dt := c.Type.(type) {
	case *arrow.Int8Type:
		if o.Tinyint1AsBool && mt.base == "tinyint" && mt.arg(0, 0) == 1 {
			tt, k, out.Type = "boolean", int8ToBool, arrow.FixedWidthTypes.Boolean
			rule("tinyint(1) -> boolean; a value other than 0 or 1 is an error")
			rep.Flag = "tinyint1-as-bool"
		} else {
			tt, k, out.Type = "smallint", widen[int8, int16](arrow.PrimitiveTypes.Int16), arrow.PrimitiveTypes.Int16
			rule("tinyint -> smallint (display width is not a type)")
		}
	case *arrow.Uint8Type:
		tt, k, out.Type = "smallint", widen[uint8, int16](arrow.PrimitiveTypes.Int16), arrow.PrimitiveTypes.Int16
		rule("tinyint unsigned -> smallint")
	case *arrow.Int16Type:
		tt = "smallint"
		rule(mt.base + " -> smallint")
		if c.Logical == "year" {
			out.Logical = ""
			rule("year -> smallint (0000 stays 0)")
		}
	case *arrow.Uint16Type:
		tt, k, out.Type = "integer", widen[uint16, int32](arrow.PrimitiveTypes.Int32), arrow.PrimitiveTypes.Int32
		rule("smallint unsigned -> integer")
	case *arrow.Int32Type:
		tt = "integer"
		rule(mt.base + " -> integer")
	case *arrow.Uint32Type:
		tt, k, out.Type = "bigint", widen[uint32, int64](arrow.PrimitiveTypes.Int64), arrow.PrimitiveTypes.Int64
		rule(mt.base + " unsigned -> bigint")
	case *arrow.Int64Type:
		tt = "bigint"
		rule("bigint -> bigint")
	case *arrow.Uint64Type:
		switch {
		case c.Logical == "bit":
			n := mt.arg(0, 1)
			tt, k, out.Type, out.Logical = fmt.Sprintf("bit varying(%d)", n), bitsToText(n), arrow.BinaryTypes.String, "text-cast"
			rule(fmt.Sprintf("bit(%d) -> bit varying(%d), carried as '0'/'1' text and converted after the load", n, n))
			if c.Default != "" {
				p.item(ItemDropped, "default "+c.Default+" of column "+out.Name, "writers/postgres applies no default to a column converted after the load; add it by hand")
				out.Extra[FieldSourceDefault] = c.Default
				c.Default = ""
			}
		case c.Identity != "":
			tt, k, out.Type = "bigint", uint64ToInt64, arrow.PrimitiveTypes.Int64
			rule("bigint unsigned auto_increment -> bigint identity; a value above 9223372036854775807 is an error")
		default:
			tt, k, out.Type = "numeric(20,0)", uint64ToDecimal, &arrow.Decimal128Type{Precision: 20, Scale: 0}
			rule("bigint unsigned -> numeric(20,0)")
		}
	case *arrow.Decimal128Type:
		tt = fmt.Sprintf("numeric(%d,%d)", dt.Precision, dt.Scale)
		rule("decimal -> " + tt + " (exact)")
	case *arrow.Float32Type:
		tt = "real"
		rule("float -> real")
	case *arrow.Float64Type:
		tt = "double precision"
		rule("double -> double precision")
	case *arrow.Date32Type:
		tt, k = "date", zeroDate[int32](o.ZeroDates, math.MinInt32)
		rule("date -> date; zero dates: " + o.ZeroDates)
		p.zeroDatesFlag(&rep)
	case *arrow.TimestampType:
		if dt.Unit != arrow.Microsecond {
			return out, nil, rep, fmt.Errorf("timestamp unit %s: the MySQL stream carries microseconds", dt.Unit)
		}
		fsp := mt.arg(0, 0)
		if dt.TimeZone != "" {
			tt = fmt.Sprintf("timestamp(%d) with time zone", fsp)
			rule("timestamp -> timestamptz (values are UTC); zero dates: " + o.ZeroDates)
		} else {
			tt = fmt.Sprintf("timestamp(%d) without time zone", fsp)
			rule("datetime -> timestamp; zero dates: " + o.ZeroDates)
		}
		k = zeroDate[int64](o.ZeroDates, math.MinInt64)
		p.zeroDatesFlag(&rep)
	case *arrow.DurationType:
		if dt.Unit != arrow.Microsecond {
			return out, nil, rep, fmt.Errorf("duration unit %s: the MySQL stream carries microseconds", dt.Unit)
		}
		tt, k, out.Type, out.Logical = "interval", durationToInterval, arrow.FixedWidthTypes.MonthDayNanoInterval, ""
		rule("time -> interval (MySQL time spans ±838h, more than a PostgreSQL time of day)")
	case *arrow.BinaryType:
		tt = "bytea"
		rule(mt.base + " -> bytea")
	case *arrow.FixedSizeBinaryType:
		if c.Logical != "uuid" || dt.ByteWidth != 16 {
			return out, nil, rep, fmt.Errorf("no PostgreSQL mapping for Arrow %s (logical %q)", c.Type, c.Logical)
		}
		tt = "uuid"
		rule("uuid -> uuid")
	case *arrow.StringType:
		var err error
		if tt, k, err = p.textColumn(c, mt, &out, &rep); err != nil {
			return out, nil, rep, err
		}
	default:
		return out, nil, rep, fmt.Errorf("no PostgreSQL mapping for Arrow %s", c.Type)
	}
	out.TargetType = tt
	rep.TargetType = tt
	if c.Logical != out.Logical && c.Logical != "" {
		out.Extra[FieldSourceLogical] = c.Logical
	}
	p.declarations(c, &out, tt)
	return out, k, rep, nil
}

func (p *mysqlToPG) zeroDatesFlag(rep *ColumnReport) {
	if p.cv.opts.ZeroDates != "error" {
		rep.Lossy, rep.Flag = true, "zero-dates="+p.cv.opts.ZeroDates
	}
}

// textColumn plans a utf8 column: enum, set, json, decimal text, or text.
func (p *mysqlToPG) textColumn(c format.Column, mt myType, out *format.Column, rep *ColumnReport) (string, kernel, error) {
	o := p.cv.opts
	switch c.Logical {
	case "numeric":
		tt := fmt.Sprintf("numeric(%d,%d)", mt.arg(0, 10), mt.arg(1, 0))
		rep.Rule = "decimal(p>38) -> " + tt + " (exact, carried as text)"
		return tt, nil, nil
	case "inet":
		rep.Rule = mt.base + " -> inet"
		return "inet", nil, nil
	case "json":
		out.Logical = "jsonb"
		rep.Rule = "json -> jsonb (keys are reordered and duplicate keys dropped, as jsonb does)"
		return "jsonb", nil, nil
	case "enum", "set":
		var labels []string
		if v, ok := c.Extra[fieldMyValues]; ok {
			if err := json.Unmarshal([]byte(v), &labels); err != nil {
				return "", nil, fmt.Errorf("%s: %w", fieldMyValues, err)
			}
		} else {
			return "", nil, fmt.Errorf("%s column without %s", c.Logical, fieldMyValues)
		}
		if c.Logical == "set" {
			out.Logical, out.Type = "", arrow.ListOf(arrow.BinaryTypes.String)
			rep.Rule = "set -> text[] (members split on commas, which MySQL and MariaDB refuse in set members)"
			return "text[]", setToList, nil
		}
		if o.EnumAsText {
			out.Logical = ""
			quoted := make([]string, len(labels))
			for i, l := range labels {
				quoted[i] = pgLiteral(l)
			}
			name := p.table + "_" + out.Name + "_check"
			p.checks = append(p.checks, format.Constraint{Name: name, Kind: "check", Columns: []string{out.Name},
				Definition: fmt.Sprintf("CHECK (%s IN (%s))", pgIdent(out.Name), strings.Join(quoted, ", "))})
			rep.Rule, rep.Flag = "enum -> text with CHECK "+name+" (labels no longer sort in declaration order)", "enum-as-text"
			rep.Lossy = true
			return "text", checkText(o.StripNUL, nil), nil
		}
		e := pgcatalog.EnumMeta{Schema: p.schema, Name: p.table + "_" + out.Name, Labels: labels}
		b, _ := json.Marshal(e)
		out.Extra[pgcatalog.FieldEnum] = string(b)
		rep.Rule = "enum -> enum type " + pgIdent(e.Schema, e.Name)
		var k kernel
		if !slices.Contains(labels, "") {
			k = enumEmptyCheck
		}
		return pgIdent(e.Schema, e.Name), k, nil
	case "text-cast":
		out.Logical = ""
		rep.Rule, rep.Lossy, rep.Flag = mt.base+" read as text by the source -> text", true, "unsupported=text (at extraction)"
		return "text", checkText(o.StripNUL, nil), nil
	}
	var tt string
	switch mt.base {
	case "char":
		tt = fmt.Sprintf("character(%d)", mt.arg(0, 1))
	case "varchar":
		tt = fmt.Sprintf("character varying(%d)", mt.arg(0, 1))
	default:
		tt = "text"
	}
	rep.Rule = mt.base + " -> " + tt
	if strings.HasPrefix(tt, "char") {
		rep.Rule += " (length in characters, as in MySQL)"
	}
	if o.StripNUL {
		rep.Flag = "strip-nul"
		rep.Lossy = true
	}
	return tt, checkText(o.StripNUL, nil), nil
}

var zeroDateLiteral = regexp.MustCompile(`^'0000-00-00( 00:00:00(\.0+)?)?'$`)

// declarations rewrites default, generated expression, identity, ON
// UPDATE and collation into PostgreSQL, keeping the source's originals.
func (p *mysqlToPG) declarations(c format.Column, out *format.Column, tt string) {
	if c.Default != "" {
		out.Extra[FieldSourceDefault] = c.Default
		out.Default = p.pgDefault(c, out, tt)
	}
	if c.Generated != "" {
		out.Extra[FieldSourceGenerated] = c.Generated
		g, err := p.x.toPG(c.Generated)
		if err != nil {
			out.Generated = ""
			p.item(ItemDropped, "generated expression of column "+out.Name, "%q: %v; the column becomes a plain column holding the copied values, and new rows get no computed value", c.Generated, err)
		} else {
			out.Generated = g
			if c.Extra[fieldMyGeneratedKind] == "virtual" {
				p.item(ItemBehaviour, "generated column "+out.Name, "virtual in MySQL, STORED in PostgreSQL (computed on write, takes space)")
			} else {
				p.item(ItemTranslated, "generated column "+out.Name, "%s -> %s", c.Generated, g)
			}
		}
	}
	if c.Collation != "" {
		out.Extra[FieldSourceCollation] = c.Collation
		out.Collation = ""
		p.collation[c.Collation] = append(p.collation[c.Collation], out.Name)
	}
	if c.Identity != "" {
		out.Identity = "by default"
		out.Default = ""
		out.Sequence = p.identitySequence(c, out, tt)
		p.item(ItemTranslated, "auto_increment of column "+out.Name, "identity (by default), its sequence set past the largest copied value")
	}
	if ou, ok := c.Extra[fieldMyOnUpdate]; ok {
		delete(out.Extra, fieldMyOnUpdate)
		out.Extra["dbmig.source.on_update"] = ou
		e, err := p.x.toPG(ou)
		if err != nil {
			p.item(ItemDropped, "ON UPDATE "+ou+" of column "+out.Name, "%v", err)
		} else {
			out.Extra[FieldPGOnUpdate] = e
			p.item(ItemTranslated, "ON UPDATE "+ou+" of column "+out.Name, "a BEFORE UPDATE trigger sets it to %s", e)
		}
	}
}

// pgDefault translates a MySQL column default, or drops it with a report
// item.
func (p *mysqlToPG) pgDefault(c format.Column, out *format.Column, tt string) string {
	d := strings.TrimSpace(c.Default)
	if strings.EqualFold(d, "NULL") {
		return ""
	}
	drop := func(why string, args ...any) string {
		p.item(ItemDropped, "default "+d+" of column "+out.Name, why, args...)
		return ""
	}
	if zeroDateLiteral.MatchString(d) {
		switch p.cv.opts.ZeroDates {
		case "epoch":
			if tt == "date" {
				return "'1970-01-01'"
			}
			return "'1970-01-01 00:00:00'"
		case "null":
			return drop("a zero date; with --zero-dates=null the column has no default")
		}
		return drop("a zero date has no PostgreSQL value")
	}
	if tt == "boolean" {
		switch strings.Trim(d, "'") {
		case "0":
			return "false"
		case "1":
			return "true"
		}
	}
	if tt == "text[]" {
		toks, err := tokenize(d)
		if err != nil || len(toks) != 1 || toks[0].kind != 's' {
			return drop("not a set literal")
		}
		if toks[0].text == "" {
			return "'{}'::text[]"
		}
		var els []string
		for m := range strings.SplitSeq(toks[0].text, ",") {
			els = append(els, pgLiteral(m))
		}
		return "ARRAY[" + strings.Join(els, ", ") + "]::text[]"
	}
	e, err := p.x.toPG(d)
	if err != nil {
		return drop("%v", err)
	}
	return e
}

// identitySequence is the PostgreSQL sequence behind an auto_increment
// column: MySQL's next AUTO_INCREMENT value (last_value in the stream)
// becomes the sequence position, and writers/postgres moves it past the
// largest copied value.
func (p *mysqlToPG) identitySequence(c format.Column, out *format.Column, tt string) *format.Sequence {
	s := &format.Sequence{Schema: p.schema, Name: p.table + "_" + out.Name + "_seq", Type: tt, Start: 1, Increment: 1, Min: 1, Cache: 1}
	switch tt {
	case "smallint":
		s.Max = math.MaxInt16
	case "integer":
		s.Max = math.MaxInt32
	default:
		s.Max = math.MaxInt64
	}
	next := int64(1)
	if c.Sequence != nil {
		if c.Sequence.Increment > 0 {
			s.Increment = c.Sequence.Increment
		}
		if c.Sequence.LastValue > 0 {
			next = c.Sequence.LastValue
		}
	}
	// setval(n, true) makes n+1 the next value: the next AUTO_INCREMENT
	// value stays the next one. A fresh table (next 1) starts unused.
	if next > s.Min {
		s.LastValue, s.IsCalled = min(next-1, s.Max), true
	} else {
		s.LastValue, s.IsCalled = s.Min, false
	}
	return s
}
