package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/pgcatalog"
)

// pgToMySQL is the plan state of one PostgreSQL table converted to MySQL
// (fail-back: the new primary replicated back to the old one).
type pgToMySQL struct {
	cv      *Converter
	h       format.Header
	rn      renamer
	db      string
	table   string
	colName map[string]string
	items   []Item
}

func (p *pgToMySQL) item(kind, what, why string, args ...any) {
	p.items = append(p.items, Item{Kind: kind, What: what, Why: fmt.Sprintf(why, args...)})
}

func (cv *Converter) planPGToMySQL(h format.Header, cols []format.Column) (*Table, error) {
	rn := newRenamer(cv.opts.Identifiers)
	p := &pgToMySQL{cv: cv, h: h, rn: rn, db: rn(h.Table.Schema), table: rn(h.Table.Name), colName: map[string]string{}}
	if cv.opts.Schema != "" {
		p.db = cv.opts.Schema
	}
	owner := map[string]string{}
	for _, c := range cols {
		n := rn(c.Name)
		if prev, ok := owner[strings.ToLower(n)]; ok {
			// MySQL column names are case-insensitive.
			return nil, fmt.Errorf("columns %q and %q both become %q in MySQL (column names are case-insensitive there)", prev, c.Name, n)
		}
		owner[strings.ToLower(n)] = c.Name
		p.colName[c.Name] = n
	}
	t := &Table{cv: cv, srcCols: cols, plans: make([]colPlan, len(cols)), changed: make([]atomic.Int64, len(cols)),
		report: &TableReport{Source: h.Table.String(), Target: p.db + "." + p.table}}
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
	hd.TargetEngine = EngineMySQL
	hd.Table.Schema, hd.Table.Database, hd.Table.Name = p.db, p.db, p.table
	hd.PrimaryKey = p.names(h.PrimaryKey)
	hd.Constraints, hd.Indexes = p.keys()
	t.header = hd
	t.report.Items = p.items
	return t, nil
}

func (p *pgToMySQL) names(src []string) []string {
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

var pgTypmod = regexp.MustCompile(`^(numeric|character varying|character|varchar|char|bit varying|bit)\((\d+)(?:,\s*(-?\d+))?\)`)

func (p *pgToMySQL) column(c format.Column) (format.Column, kernel, ColumnReport, error) {
	o := p.cv.opts
	out := c
	out.Name = p.colName[c.Name]
	out.Extra = map[string]string{}
	for k, v := range c.Extra {
		out.Extra[k] = v
	}
	rep := ColumnReport{Source: c.Name, Target: out.Name, SourceType: c.SourceType}
	st := strings.ToLower(c.SourceType)
	mod := pgTypmod.FindStringSubmatch(st)
	var (
		tt string
		k  kernel
	)
	lossy := func(flag, rule string) { rep.Lossy, rep.Flag, rep.Rule = true, flag, rule }
	switch dt := c.Type.(type) {
	case *arrow.BooleanType:
		tt, k, out.Type = "tinyint(1)", boolToInt8, arrow.PrimitiveTypes.Int8
		rep.Rule = "boolean -> tinyint(1) (0/1)"
	case *arrow.Int16Type:
		tt, rep.Rule = "smallint", "smallint -> smallint"
	case *arrow.Int32Type:
		tt, rep.Rule = "int", "integer -> int"
	case *arrow.Int64Type:
		tt, rep.Rule = "bigint", "bigint -> bigint"
	case *arrow.Float32Type:
		tt, k, rep.Rule = "float", finiteCheck[float32], "real -> float; NaN and ±Infinity are an error"
	case *arrow.Float64Type:
		tt, k, rep.Rule = "double", finiteCheck[float64], "double precision -> double; NaN and ±Infinity are an error"
	case *arrow.Decimal128Type:
		if dt.Scale < 0 || dt.Scale > dt.Precision || dt.Scale > 30 {
			return out, nil, rep, fmt.Errorf("numeric scale %d has no MySQL decimal (scale 0..30, at most the precision)", dt.Scale)
		}
		tt = fmt.Sprintf("decimal(%d,%d)", dt.Precision, dt.Scale)
		rep.Rule = "numeric -> " + tt + " (exact)"
	case *arrow.StringType:
		var err error
		if tt, k, err = p.textColumn(c, mod, &out, &rep); err != nil {
			return out, nil, rep, err
		}
	case *arrow.BinaryType:
		tt, rep.Rule = "longblob", "bytea -> longblob"
	case *arrow.Date32Type:
		tt, k, rep.Rule = "date", dateRange(o.Infinity), "date -> date; ±infinity: "+o.Infinity
		if o.Infinity != "error" {
			rep.Lossy, rep.Flag = true, "infinity="+o.Infinity
		}
	case *arrow.TimestampType:
		if dt.TimeZone == "" {
			tt, k, rep.Rule = "datetime(6)", timestampRange(o.Infinity, minDatetime, maxDatetime, "datetime"), "timestamp -> datetime(6)"
		} else if o.TimestamptzAs == "datetime" {
			tt, out.Type = "datetime(6)", &arrow.TimestampType{Unit: dt.Unit}
			k = retype(out.Type, timestampRange(o.Infinity, minDatetime, maxDatetime, "datetime"))
			lossy("timestamptz-as=datetime", "timestamptz -> datetime(6) holding UTC wall-clock time (no longer converted by the session time zone)")
		} else {
			tt, k = "timestamp(6)", timestampRange(o.Infinity, minMyTimestamp, maxMyTimestamp, "timestamp")
			rep.Rule = "timestamptz -> timestamp(6); values outside 1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC are an error (--timestamptz-as=datetime)"
		}
		if o.Infinity != "error" {
			rep.Lossy, rep.Flag = true, strings.TrimPrefix(rep.Flag+",infinity="+o.Infinity, ",")
		}
	case *arrow.Time64Type:
		tt, out.Type, out.Logical = "time(6)", &arrow.DurationType{Unit: arrow.Microsecond}, "time"
		k = retype(out.Type, nil)
		rep.Rule = "time -> time(6)"
	case *arrow.MonthDayNanoIntervalType:
		switch o.IntervalAs {
		case "time":
			tt, out.Type, out.Logical, k = "time(6)", &arrow.DurationType{Unit: arrow.Microsecond}, "time", intervalToTime
			lossy("interval-as=time", "interval -> time(6); months, sub-µs parts and values beyond ±838:59:59 are an error")
		case "text":
			tt, out.Type, out.Logical, k = "varchar(64)", arrow.BinaryTypes.String, "", intervalToText
			lossy("interval-as=text", "interval -> varchar(64) in PostgreSQL's text form")
		default:
			return out, nil, rep, fmt.Errorf("interval has no MySQL type: choose --interval-as=time or --interval-as=text")
		}
	case *arrow.FixedSizeBinaryType:
		switch {
		case c.Logical == "uuid" && o.UUIDAs == "binary":
			tt, out.Type, out.Logical, k = "binary(16)", arrow.BinaryTypes.Binary, "", fixedToBinary
			lossy("uuid-as=binary", "uuid -> binary(16)")
		case c.Logical == "uuid":
			tt, out.Type, out.Logical, k = "char(36)", arrow.BinaryTypes.String, "", uuidToText
			rep.Rule = "uuid -> char(36)"
		case c.Logical == "macaddr":
			tt, out.Type, out.Logical, k = "varchar(17)", arrow.BinaryTypes.String, "", macToText
			rep.Rule = "macaddr -> varchar(17)"
		default:
			return out, nil, rep, fmt.Errorf("no MySQL mapping for Arrow %s", c.Type)
		}
	case *arrow.ListType:
		if !o.ArraysAsJSON {
			return out, nil, rep, fmt.Errorf("arrays have no MySQL type: choose --arrays-as-json")
		}
		tt, out.Type, out.Logical, k = "json", arrow.BinaryTypes.String, "json", listToJSON
		lossy("arrays-as-json", c.SourceType+" -> json array")
	default:
		return out, nil, rep, fmt.Errorf("no MySQL mapping for Arrow %s (logical %q)", c.Type, c.Logical)
	}
	out.TargetType, rep.TargetType = tt, tt
	if c.Logical != out.Logical && c.Logical != "" {
		out.Extra[FieldSourceLogical] = c.Logical
	}
	p.declarations(c, &out)
	return out, k, rep, nil
}

func (p *pgToMySQL) textColumn(c format.Column, mod []string, out *format.Column, rep *ColumnReport) (string, kernel, error) {
	o := p.cv.opts
	switch c.Logical {
	case "numeric":
		if mod != nil && mod[1] == "numeric" {
			pr, _ := strconv.Atoi(mod[2])
			sc, _ := strconv.Atoi(mod[3])
			if pr <= 65 && sc >= 0 && sc <= 30 && sc <= pr {
				tt := fmt.Sprintf("decimal(%d,%d)", pr, sc)
				rep.Rule = "numeric -> " + tt + " (exact, carried as text); NaN and ±Infinity are an error"
				return tt, numericCheck(pr, sc), nil
			}
		}
		switch o.NumericAs {
		case "decimal(65,30)":
			rep.Rule, rep.Lossy, rep.Flag = c.SourceType+" -> decimal(65,30); a value with more digits is an error", true, "numeric-as=decimal(65,30)"
			return "decimal(65,30)", numericCheck(65, 30), nil
		case "text":
			out.Logical = ""
			rep.Rule, rep.Lossy, rep.Flag = c.SourceType+" -> longtext (no longer a number)", true, "numeric-as=text"
			return "longtext", nil, nil
		}
		return "", nil, fmt.Errorf("%s has no exact MySQL decimal: choose --numeric-as=decimal(65,30) or --numeric-as=text", c.SourceType)
	case "json", "jsonb":
		out.Logical = "json"
		rep.Rule = c.Logical + " -> json"
		return "json", nil, nil
	case "inet", "cidr":
		out.Logical = ""
		rep.Rule = c.Logical + " -> varchar(43)"
		return "varchar(43)", nil, nil
	case "enum":
		var e pgcatalog.EnumMeta
		if err := json.Unmarshal([]byte(c.Extra[pgcatalog.FieldEnum]), &e); err != nil {
			return "", nil, fmt.Errorf("%s: %w", pgcatalog.FieldEnum, err)
		}
		q := make([]string, len(e.Labels))
		for i, l := range e.Labels {
			q[i] = myLiteral(l)
		}
		b, _ := json.Marshal(e.Labels)
		out.Extra[fieldMyValues] = string(b)
		delete(out.Extra, pgcatalog.FieldEnum)
		tt := "enum(" + strings.Join(q, ",") + ")"
		rep.Rule = "enum " + e.Name + " -> " + tt
		return tt, nil, nil
	case "timetz":
		return "", nil, fmt.Errorf("time with time zone has no MySQL type")
	case "text-cast":
		out.Logical = ""
		rep.Rule, rep.Lossy, rep.Flag = c.SourceType+" read as text by the source -> longtext", true, "unsupported=text (at extraction)"
		return "longtext", nil, nil
	}
	if mod != nil {
		switch mod[1] {
		case "character varying", "varchar":
			rep.Rule = "varchar(" + mod[2] + ") -> varchar(" + mod[2] + ")"
			return "varchar(" + mod[2] + ")", nil, nil
		case "character", "char":
			rep.Rule = "char(" + mod[2] + ") -> char(" + mod[2] + ") (MySQL strips trailing blanks on read)"
			return "char(" + mod[2] + ")", nil, nil
		}
	}
	rep.Rule = "text -> longtext"
	return "longtext", nil, nil
}

func (p *pgToMySQL) declarations(c format.Column, out *format.Column) {
	if c.Default != "" {
		out.Extra[FieldSourceDefault] = c.Default
		out.Default = ""
		if c.Identity == "" && !strings.HasPrefix(c.Default, "nextval(") {
			if d, ok := myDefault(c.Default); ok {
				out.Default = d
			} else {
				p.item(ItemDropped, "default "+c.Default+" of column "+out.Name, "not translated to MySQL")
			}
		}
	}
	if c.Identity != "" || strings.HasPrefix(c.Default, "nextval(") {
		out.Identity = "by default"
		p.item(ItemTranslated, "identity/serial of column "+out.Name, "auto_increment, continuing after the sequence's last value")
	}
	if c.Generated != "" {
		out.Extra[FieldSourceGenerated] = c.Generated
		out.Generated = ""
		p.item(ItemDropped, "generated expression of column "+out.Name, "%q is not translated to MySQL: the column becomes a plain column holding the copied values", c.Generated)
	}
	if c.Collation != "" {
		out.Extra[FieldSourceCollation] = c.Collation
		out.Collation = ""
		p.item(ItemDropped, "collation "+c.Collation+" of column "+out.Name, "the column uses the MySQL table's default collation")
	}
	delete(out.Extra, pgcatalog.FieldDomain)
}

var (
	pgCastLiteral = regexp.MustCompile(`^'((?:[^']|'')*)'(::[a-z ]+(\(\d+(,\d+)?\))?(\[\])?)?$`)
	pgNumber      = regexp.MustCompile(`^\(?-?\d+(\.\d+)?\)?(::[a-z ]+)?$`)
)

// myDefault translates the simple PostgreSQL defaults: literals, numbers,
// booleans and the current time.
func myDefault(d string) (string, bool) {
	switch strings.ToLower(d) {
	case "now()", "current_timestamp", "statement_timestamp()", "transaction_timestamp()", "localtimestamp":
		return "CURRENT_TIMESTAMP(6)", true
	case "true":
		return "1", true
	case "false":
		return "0", true
	case "current_date":
		return "(CURRENT_DATE)", true
	}
	if m := pgCastLiteral.FindStringSubmatch(d); m != nil {
		return myLiteral(strings.ReplaceAll(m[1], "''", "'")), true
	}
	if pgNumber.MatchString(d) {
		n := strings.Trim(strings.SplitN(d, "::", 2)[0], "()")
		return n, true
	}
	return "", false
}

// keys converts indexes and constraints to MySQL definitions.
func (p *pgToMySQL) keys() ([]format.Constraint, []format.Index) {
	tbl := myIdent(p.db, p.table)
	var idxs []format.Index
	for _, ix := range p.h.Indexes {
		def := strings.ToLower(ix.Definition)
		if len(ix.Columns) == 0 || (strings.Contains(def, " using ") && !strings.Contains(def, " using btree")) || strings.Contains(def, " where ") {
			p.item(ItemDropped, "index "+ix.Name, "%s: expression, partial and non-B-tree indexes are not translated to MySQL", ix.Definition)
			continue
		}
		u := ""
		if ix.Unique {
			u = "UNIQUE "
		}
		cols := p.names(ix.Columns)
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = myIdent(c)
		}
		name := p.rn(ix.Name)
		idxs = append(idxs, format.Index{Name: name, Unique: ix.Unique, Columns: cols, Constraint: p.rn(ix.Constraint),
			Definition: fmt.Sprintf("CREATE %sINDEX %s ON %s (%s)", u, myIdent(name), tbl, strings.Join(q, ", "))})
	}
	myList := func(cols []string) string {
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = myIdent(c)
		}
		return strings.Join(q, ", ")
	}
	var cons []format.Constraint
	for _, c := range p.h.Constraints {
		cols := p.names(c.Columns)
		switch c.Kind {
		case "primary":
			cons = append(cons, format.Constraint{Name: "PRIMARY", Kind: "primary", Columns: cols, Index: p.rn(c.Index), Definition: "PRIMARY KEY (" + myList(cols) + ")"})
		case "unique":
			cons = append(cons, format.Constraint{Name: p.rn(c.Name), Kind: "unique", Columns: cols, Index: p.rn(c.Index), Definition: "UNIQUE KEY (" + myList(cols) + ")"})
		case "foreign":
			refDB := p.rn(c.RefSchema)
			if c.RefSchema == p.h.Table.Schema {
				refDB = p.db
			}
			def := fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s)", myList(cols), myIdent(refDB, p.rn(c.RefTable)), myList(p.renameAll(c.RefColumns)))
			for _, m := range fkAction.FindAllStringSubmatch(c.Definition, -1) {
				def += " ON " + strings.ToUpper(m[1]) + " " + strings.ToUpper(strings.Join(strings.Fields(m[2]), " "))
			}
			cons = append(cons, format.Constraint{Name: p.rn(c.Name), Kind: "foreign", Columns: cols, RefSchema: refDB,
				RefTable: p.rn(c.RefTable), RefColumns: p.renameAll(c.RefColumns), Definition: def})
		default:
			p.item(ItemDropped, c.Kind+" constraint "+c.Name, "%s: not translated to MySQL", c.Definition)
		}
	}
	return cons, idxs
}

func (p *pgToMySQL) renameAll(src []string) []string {
	out := make([]string, len(src))
	for i, s := range src {
		out[i] = p.rn(s)
	}
	return out
}

// Ranges MySQL holds, in Arrow's µs (or days) since 1970.
const (
	minDatetime    = -30610224000000000 // 1000-01-01 00:00:00
	maxDatetime    = 253402300799999999 // 9999-12-31 23:59:59.999999
	minMyTimestamp = 1000000            // 1970-01-01 00:00:01 UTC
	maxMyTimestamp = 2147483647999999   // 2038-01-19 03:14:07.999999 UTC
	minDate        = -354285            // 1000-01-01
	maxDate        = 2932896            // 9999-12-31
)

func boolToInt8(b *batch, a arrow.Array) (arrow.Array, error) {
	bs := a.(*array.Boolean)
	bld := array.NewInt8Builder(b.mem())
	defer bld.Release()
	bld.Reserve(a.Len())
	for i := range bs.Len() {
		if bs.IsNull(i) {
			bld.UnsafeAppendBoolToBitmap(false)
			continue
		}
		var v int8
		if bs.Value(i) {
			v = 1
		}
		bld.UnsafeAppend(v)
	}
	return bld.NewArray(), nil
}

func finiteCheck[T float32 | float64](b *batch, a arrow.Array) (arrow.Array, error) {
	for i, v := range fixedValues[T](a) {
		if f := float64(v); (math.IsNaN(f) || math.IsInf(f, 0)) && a.IsValid(i) {
			return nil, b.valueErr(i, "", "%v cannot be stored in a MySQL float or double", v)
		}
	}
	a.Retain()
	return a, nil
}

// dateRange refuses (or nulls) ±infinity and dates outside MySQL's range.
func dateRange(infinity string) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		vals := fixedValues[int32](a)
		isInf := func(i int) bool { return vals[i] == math.MaxInt32 || vals[i] == math.MinInt32 }
		for i, v := range vals {
			if !a.IsValid(i) {
				continue
			}
			if isInf(i) && infinity == "error" {
				return nil, b.valueErr(i, "--infinity=null converts it", "PostgreSQL's ±infinity date has no MySQL value")
			}
			if !isInf(i) && (v < minDate || v > maxDate) {
				return nil, b.valueErr(i, "", "date %s is outside MySQL's 1000-01-01 .. 9999-12-31", arrow.Date32(v).FormattedString())
			}
		}
		if infinity == "null" {
			return nullWhere(b, a, isInf), nil
		}
		a.Retain()
		return a, nil
	}
}

func timestampRange(infinity string, lo, hi int64, what string) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		vals := fixedValues[int64](a)
		isInf := func(i int) bool { return vals[i] == math.MaxInt64 || vals[i] == math.MinInt64 }
		for i, v := range vals {
			if !a.IsValid(i) {
				continue
			}
			if isInf(i) && infinity == "error" {
				return nil, b.valueErr(i, "--infinity=null converts it", "PostgreSQL's ±infinity timestamp has no MySQL value")
			}
			if !isInf(i) && (v < lo || v > hi) {
				return nil, b.valueErr(i, "", "%s is outside the range of a MySQL %s", arrow.Timestamp(v).ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05.999999"), what)
			}
		}
		if infinity == "null" {
			return nullWhere(b, a, isInf), nil
		}
		a.Retain()
		return a, nil
	}
}

// retype shares an array's buffers under another type of the same layout
// (time64[us] as duration[us], a zoned timestamp as a plain one), after
// an optional check.
func retype(dt arrow.DataType, check kernel) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		if check != nil {
			c, err := check(b, a)
			if err != nil {
				return nil, err
			}
			defer c.Release()
			a = c
		}
		d := a.Data()
		nd := array.NewData(dt, a.Len(), d.Buffers(), nil, a.NullN(), d.Offset())
		defer nd.Release()
		return array.MakeFromData(nd), nil
	}
}

func intervalToTime(b *batch, a arrow.Array) (arrow.Array, error) {
	const limit = (838*3600 + 59*60 + 59) * 1000000
	var err error
	out, ok := mapFixed(b.mem(), a, &arrow.DurationType{Unit: arrow.Microsecond}, func(i int, v arrow.MonthDayNanoInterval) (int64, bool) {
		us := int64(v.Days)*86400000000 + v.Nanoseconds/1000
		if v.Months != 0 || v.Nanoseconds%1000 != 0 || us > limit || us < -limit {
			err = b.valueErr(i, "--interval-as=text keeps it", "interval (%d months, %d days, %d ns) does not fit a MySQL time", v.Months, v.Days, v.Nanoseconds)
			return 0, false
		}
		return us, true
	})
	if !ok {
		return nil, err
	}
	return out, nil
}

func intervalToText(b *batch, a arrow.Array) (arrow.Array, error) {
	vals := fixedValues[arrow.MonthDayNanoInterval](a)
	return mapToString(b, a, func(i int) (string, error) {
		v := vals[i]
		us := v.Nanoseconds / 1000
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		return fmt.Sprintf("%d mons %d days %s%02d:%02d:%02d.%06d", v.Months, v.Days, sign, us/3600000000, us/60000000%60, us/1000000%60, us%1000000), nil
	})
}

func uuidToText(b *batch, a arrow.Array) (arrow.Array, error) {
	f := a.(*array.FixedSizeBinary)
	return mapToString(b, a, func(i int) (string, error) { return formatUUID(f.Value(i)), nil })
}

func macToText(b *batch, a arrow.Array) (arrow.Array, error) {
	f := a.(*array.FixedSizeBinary)
	return mapToString(b, a, func(i int) (string, error) {
		m := f.Value(i)
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]), nil
	})
}

func fixedToBinary(b *batch, a arrow.Array) (arrow.Array, error) {
	f := a.(*array.FixedSizeBinary)
	bld := array.NewBinaryBuilder(b.mem(), arrow.BinaryTypes.Binary)
	defer bld.Release()
	for i := range f.Len() {
		if f.IsNull(i) {
			bld.AppendNull()
		} else {
			bld.Append(f.Value(i))
		}
	}
	return bld.NewArray(), nil
}

// listToJSON writes each array as a JSON array, elements through
// Arrow's own JSON form.
func listToJSON(b *batch, a arrow.Array) (arrow.Array, error) {
	l := a.(*array.List)
	return mapToString(b, a, func(i int) (string, error) {
		s := array.NewSlice(l, int64(i), int64(i+1)).(*array.List)
		defer s.Release()
		raw, err := s.MarshalJSON()
		if err != nil {
			return "", b.valueErr(i, "", "array to JSON: %v", err)
		}
		// MarshalJSON gives [[...]] for a one-row list array.
		return strings.TrimSuffix(strings.TrimPrefix(string(raw), "["), "]"), nil
	})
}

// numericCheck refuses numeric text a MySQL decimal(p,s) cannot hold
// exactly: NaN, ±Infinity, more than s fraction digits or p-s integer digits.
func numericCheck(prec, scale int) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		s := a.(*array.String)
		for i := range s.Len() {
			if s.IsNull(i) {
				continue
			}
			v := strings.TrimPrefix(s.Value(i), "-")
			ip, fp, _ := strings.Cut(v, ".")
			ip = strings.TrimLeft(ip, "0")
			fp = strings.TrimRight(fp, "0")
			bad := v == "NaN" || v == "Infinity" || strings.ContainsAny(v, "eE")
			if bad || len(ip) > prec-scale || len(fp) > scale {
				return nil, b.valueErr(i, "--numeric-as=text keeps it", "numeric %s does not fit decimal(%d,%d)", s.Value(i), prec, scale)
			}
		}
		a.Retain()
		return a, nil
	}
}
