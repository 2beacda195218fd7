package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/dbmig/dbmig/format"
)

// LikeTable is an existing MySQL table a PostgreSQL stream is converted
// into (Options.Like): fail-back into the original schema, where every
// column keeps its exact MySQL type instead of one derived from the
// PostgreSQL type (smallint back to tinyint, text[] back to set, ...).
type LikeTable struct {
	Database string
	Name     string
	// Columns as readers/mysql describes them (ScanTable.Columns): Arrow
	// type of a MySQL stream, SourceType = COLUMN_TYPE, Logical, the
	// enum/set values and charset in Extra, Default, Generated, Identity.
	Columns     []format.Column
	PrimaryKey  []string
	Constraints []format.Constraint
	Indexes     []format.Index
}

// matchName finds name among candidates: exactly, else ignoring case
// (MySQL names on a case-insensitive file system, --identifiers lower),
// else by the snake form of the candidate (a name renamed by --identifiers
// snake on the way out). It returns -1 when nothing matches and an error
// when a rule matches several candidates.
func matchName(name string, candidates []string) (int, error) {
	rules := []func(string) bool{
		func(c string) bool { return c == name },
		func(c string) bool { return strings.EqualFold(c, name) },
		func(c string) bool { return snake(c) == name },
	}
	for _, match := range rules {
		found := -1
		for i, c := range candidates {
			if !match(c) {
				continue
			}
			if found >= 0 {
				return -1, fmt.Errorf("%q matches both %q and %q", name, candidates[found], c)
			}
			found = i
		}
		if found >= 0 {
			return found, nil
		}
	}
	return -1, nil
}

// likeTable returns the --like table for a stream table name (after the
// identifier policy), or nil when the like database has none.
func (cv *Converter) likeTable(name string) (*LikeTable, error) {
	names := make([]string, len(cv.opts.Like))
	for i, lt := range cv.opts.Like {
		names[i] = lt.Name
	}
	i, err := matchName(name, names)
	if err != nil || i < 0 {
		return nil, err
	}
	return &cv.opts.Like[i], nil
}

// planPGLike plans a PostgreSQL table converted into the existing MySQL
// table lt: each stream column to the exact type of the target column of
// the same name.
func (cv *Converter) planPGLike(h format.Header, cols []format.Column, lt *LikeTable) (*Table, error) {
	rn := newRenamer(cv.opts.Identifiers)
	db := lt.Database
	if cv.opts.Schema != "" {
		db = cv.opts.Schema
	}
	names := make([]string, len(lt.Columns))
	for i, c := range lt.Columns {
		names[i] = c.Name
	}
	t := &Table{cv: cv, srcCols: cols, plans: make([]colPlan, len(cols)), changed: make([]atomic.Int64, len(cols)),
		report: &TableReport{Source: h.Table.String(), Target: db + "." + lt.Name}}
	used := make([]string, len(lt.Columns)) // target column → stream column writing it
	var fields []arrow.Field
	var absent []string
	for i, c := range cols {
		j, err := matchName(rn(c.Name), names)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		if j < 0 {
			absent = append(absent, c.Name)
			continue
		}
		if used[j] != "" {
			return nil, fmt.Errorf("columns %q and %q both map to column %q of %s", used[j], c.Name, names[j], myIdent(db, lt.Name))
		}
		used[j] = c.Name
		tc := lt.Columns[j]
		rep := ColumnReport{Source: c.Name, Target: tc.Name, SourceType: c.SourceType, TargetType: tc.SourceType}
		if tc.Generated != "" {
			// The target computes it; MySQL refuses a value for it anyway.
			t.plans[i].drop = true
			rep.Rule = "not written: generated in the target (" + tc.Generated + ")"
			t.report.Columns = append(t.report.Columns, rep)
			continue
		}
		k, rule, err := likeKernel(c, tc, cv.opts)
		if err != nil {
			return nil, fmt.Errorf("column %s (%s) into %s %s: %w", c.Name, c.SourceType, myIdent(tc.Name), tc.SourceType, err)
		}
		rep.Rule = rule
		out := tc
		out.SourceType, out.TargetType = c.SourceType, tc.SourceType
		out.Extra = map[string]string{}
		for k, v := range tc.Extra {
			out.Extra[k] = v
		}
		if c.Logical != "" && c.Logical != tc.Logical {
			out.Extra[FieldSourceLogical] = c.Logical
		}
		t.cols = append(t.cols, out)
		t.plans[i].kernel = k
		t.report.Columns = append(t.report.Columns, rep)
		fields = append(fields, out.Field())
	}
	if len(absent) > 0 {
		return nil, fmt.Errorf("the --like table %s has no column %s", myIdent(db, lt.Name), strings.Join(absent, ", "))
	}
	var unfilled []string
	for j, tc := range lt.Columns {
		if used[j] == "" && tc.Default == "" && tc.Generated == "" && tc.Identity == "" {
			unfilled = append(unfilled, tc.Name)
		}
	}
	if len(unfilled) > 0 {
		return nil, fmt.Errorf("column %s of the --like table %s is not in the stream and has no default", strings.Join(unfilled, ", "), myIdent(db, lt.Name))
	}
	t.schema = arrow.NewSchema(fields, nil)
	t.keyCols = keyColumns(h, cols)
	hd := h
	hd.TargetEngine = EngineMySQL
	hd.Table.Schema, hd.Table.Database, hd.Table.Name = db, db, lt.Name
	hd.PrimaryKey, hd.Constraints, hd.Indexes = lt.PrimaryKey, lt.Constraints, lt.Indexes
	t.header = hd
	t.report.Items = append(t.report.Items, Item{Kind: ItemTranslated, What: "table " + lt.Name,
		Why: "every column converted to the type of the existing column in the --like database"})
	return t, nil
}

// likeKernel chooses the conversion of stream column c (PostgreSQL) into
// the existing MySQL column tc, and says it for the report.
func likeKernel(c, tc format.Column, o Options) (kernel, string, error) {
	mt := parseMyType(tc.SourceType)
	rule := func(s string) string { return c.SourceType + " -> " + tc.SourceType + s }
	switch dt := tc.Type.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		if tc.Logical == "bit" {
			if !isIntArrow(c.Type) && !isStringArrow(c.Type) {
				return nil, "", fmt.Errorf("no conversion from Arrow %s to bit", c.Type)
			}
			n := mt.arg(0, 1)
			return toBits(n), rule(fmt.Sprintf("; at most %d bits", n)), nil
		}
		if !isIntArrow(c.Type) && !isNumericArrow(c) {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to an integer", c.Type)
		}
		lo, hi := myIntRange(mt)
		if tc.Logical == "year" {
			return toInt(tc.Type, lo, hi, true), rule("; 0 or 1901..2155"), nil
		}
		return toInt(tc.Type, lo, hi, false), rule(fmt.Sprintf("; values outside %s..%s are an error", lo.BigInt(), hi.BigInt())), nil
	case *arrow.Decimal128Type:
		if !isIntArrow(c.Type) && !isNumericArrow(c) {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a decimal", c.Type)
		}
		return toDecimal(dt, int(dt.Precision), int(dt.Scale)), rule(" (exact; values that do not fit are an error)"), nil
	case *arrow.Float32Type, *arrow.Float64Type:
		if !isFloatArrow(c.Type) {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a float", c.Type)
		}
		return toFloat(tc.Type), rule(" (exact; NaN, ±Infinity and float32 rounding are an error)"), nil
	case *arrow.Date32Type:
		if _, ok := c.Type.(*arrow.Date32Type); !ok {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a date", c.Type)
		}
		return dateRange(o.Infinity), rule("; ±infinity: " + o.Infinity), nil
	case *arrow.TimestampType:
		lo, hi, what := int64(minDatetime), int64(maxDatetime), "datetime"
		if dt.TimeZone != "" {
			lo, hi, what = minMyTimestamp, maxMyTimestamp, "timestamp"
		}
		switch st := c.Type.(type) {
		case *arrow.TimestampType:
			if st.Unit != arrow.Microsecond {
				return nil, "", fmt.Errorf("timestamp unit %s: want microseconds", st.Unit)
			}
		case *arrow.Date32Type:
		default:
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a %s", c.Type, what)
		}
		return toTimestamp(dt, lo, hi, what, mt.arg(0, 0), o.Infinity), rule(fmt.Sprintf(" (UTC; outside MySQL's %s range or finer than %d fraction digits is an error)", what, mt.arg(0, 0))), nil
	case *arrow.DurationType:
		switch st := c.Type.(type) {
		case *arrow.MonthDayNanoIntervalType:
		case *arrow.Time64Type:
			if st.Unit != arrow.Microsecond {
				return nil, "", fmt.Errorf("time unit %s: want microseconds", st.Unit)
			}
		case *arrow.DurationType:
			if st.Unit != arrow.Microsecond {
				return nil, "", fmt.Errorf("duration unit %s: want microseconds", st.Unit)
			}
		default:
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a time", c.Type)
		}
		return toTime(mt.arg(0, 0)), rule("; days as 24 h, months, values beyond ±838:59:59 or finer than the column's fraction are an error"), nil
	case *arrow.BinaryType:
		switch c.Type.(type) {
		case *arrow.BinaryType, *arrow.FixedSizeBinaryType:
		default:
			return nil, "", fmt.Errorf("no conversion from Arrow %s to %s", c.Type, mt.base)
		}
		n := byteLimit(mt)
		return toBinary(n), rule(fmt.Sprintf("; more than %d bytes is an error", n)), nil
	case *arrow.FixedSizeBinaryType:
		if !arrow.TypeEqual(c.Type, dt) {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to %s", c.Type, dt)
		}
		return nil, rule(""), nil
	case *arrow.StringType:
		return likeText(c, tc, mt, rule)
	}
	return nil, "", fmt.Errorf("no conversion into Arrow %s (logical %q)", tc.Type, tc.Logical)
}

func likeText(c, tc format.Column, mt myType, rule func(string) string) (kernel, string, error) {
	switch tc.Logical {
	case "numeric":
		if !isIntArrow(c.Type) && !isNumericArrow(c) {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a decimal", c.Type)
		}
		p, s := mt.arg(0, 10), mt.arg(1, 0)
		return toDecimal(arrow.BinaryTypes.String, p, s), rule(" (exact, as text; values that do not fit are an error)"), nil
	case "enum", "set":
		var values []string
		if err := json.Unmarshal([]byte(tc.Extra[fieldMyValues]), &values); err != nil {
			return nil, "", fmt.Errorf("%s of the target: %w", fieldMyValues, err)
		}
		if tc.Logical == "enum" {
			if !isStringArrow(c.Type) {
				return nil, "", fmt.Errorf("no conversion from Arrow %s to an enum", c.Type)
			}
			return toEnum(values), rule("; a label not in the enum is an error"), nil
		}
		switch lt := c.Type.(type) {
		case *arrow.ListType:
			if !isStringArrow(lt.Elem()) {
				return nil, "", fmt.Errorf("no conversion from Arrow %s to a set", c.Type)
			}
		case *arrow.StringType:
		default:
			return nil, "", fmt.Errorf("no conversion from Arrow %s to a set", c.Type)
		}
		return toSet(values), rule(" (members joined by commas; a member not in the set is an error)"), nil
	}
	var k kernel
	switch st := c.Type.(type) {
	case *arrow.StringType:
	case *arrow.FixedSizeBinaryType:
		if c.Logical != "uuid" {
			return nil, "", fmt.Errorf("no conversion from Arrow %s to text", c.Type)
		}
		k = uuidToText
	default:
		_ = st
		return nil, "", fmt.Errorf("no conversion from Arrow %s to text", c.Type)
	}
	switch mt.base {
	case "char", "varchar":
		n := mt.arg(0, 1)
		return textLimit(k, n, true), rule(fmt.Sprintf("; more than %d characters is an error", n)), nil
	case "tinytext", "text", "mediumtext", "longtext":
		n := byteLimit(mt)
		// Single-byte charsets hold a character in a byte.
		chars := !strings.HasPrefix(tc.Extra[fieldMyCharset], "utf8") && tc.Extra[fieldMyCharset] != ""
		return textLimit(k, n, chars), rule(fmt.Sprintf("; more than %d bytes is an error", n)), nil
	}
	return k, rule(""), nil
}

const fieldMyCharset = "dbmig.mysql.charset"

func isIntArrow(dt arrow.DataType) bool {
	switch dt.(type) {
	case *arrow.BooleanType, *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		return true
	}
	return false
}

func isFloatArrow(dt arrow.DataType) bool {
	switch dt.(type) {
	case *arrow.Float32Type, *arrow.Float64Type:
		return true
	}
	return false
}

func isStringArrow(dt arrow.DataType) bool {
	_, ok := dt.(*arrow.StringType)
	return ok
}

// isNumericArrow: a decimal128 or PostgreSQL numeric carried as text.
func isNumericArrow(c format.Column) bool {
	_, dec := c.Type.(*arrow.Decimal128Type)
	return dec || (isStringArrow(c.Type) && c.Logical == "numeric")
}

// myIntRange is the range of a MySQL integer type.
func myIntRange(mt myType) (lo, hi decimal128.Num) {
	if mt.base == "year" {
		return decimal128.FromI64(1901), decimal128.FromI64(2155)
	}
	bits := map[string]uint{"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "integer": 32, "bigint": 64}[mt.base]
	if bits == 0 {
		bits = 64
	}
	one := big.NewInt(1)
	if mt.unsigned {
		return decimal128.Num{}, decimal128.FromBigInt(new(big.Int).Sub(new(big.Int).Lsh(one, bits), one))
	}
	h := new(big.Int).Lsh(one, bits-1)
	return decimal128.FromBigInt(new(big.Int).Neg(h)), decimal128.FromBigInt(new(big.Int).Sub(h, one))
}

// byteLimit is the length limit of a binary or text type in bytes.
func byteLimit(mt myType) int {
	switch mt.base {
	case "binary", "varbinary", "char", "varchar":
		return mt.arg(0, 1)
	case "tinyblob", "tinytext":
		return 255
	case "blob", "text":
		return 65535
	case "mediumblob", "mediumtext":
		return 16777215
	}
	return math.MaxUint32
}

// eachValid calls f for every non-null row.
func eachValid(a arrow.Array, f func(i int) error) error {
	for i := range a.Len() {
		if a.IsValid(i) {
			if err := f(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// build makes an array of type dt, appending each non-null row with f.
func buildArray(b *batch, a arrow.Array, dt arrow.DataType, f func(i int, bld array.Builder) error) (arrow.Array, error) {
	bld := array.NewBuilder(b.mem(), dt)
	defer bld.Release()
	bld.Reserve(a.Len())
	for i := range a.Len() {
		if a.IsNull(i) {
			bld.AppendNull()
			continue
		}
		if err := f(i, bld); err != nil {
			return nil, err
		}
	}
	return bld.NewArray(), nil
}

// intOf reads row i as a whole number; false when it is not one.
func intOf(a arrow.Array, i int) (decimal128.Num, bool) {
	switch x := a.(type) {
	case *array.Boolean:
		if x.Value(i) {
			return decimal128.FromI64(1), true
		}
		return decimal128.Num{}, true
	case *array.Int8:
		return decimal128.FromI64(int64(x.Value(i))), true
	case *array.Int16:
		return decimal128.FromI64(int64(x.Value(i))), true
	case *array.Int32:
		return decimal128.FromI64(int64(x.Value(i))), true
	case *array.Int64:
		return decimal128.FromI64(x.Value(i)), true
	case *array.Uint8:
		return decimal128.FromU64(uint64(x.Value(i))), true
	case *array.Uint16:
		return decimal128.FromU64(uint64(x.Value(i))), true
	case *array.Uint32:
		return decimal128.FromU64(uint64(x.Value(i))), true
	case *array.Uint64:
		return decimal128.FromU64(x.Value(i)), true
	case *array.Decimal128:
		v := x.Value(i)
		if sc := x.DataType().(*arrow.Decimal128Type).Scale; sc > 0 {
			q, r := v.Div(decimal128.GetScaleMultiplier(int(sc)))
			if r.Sign() != 0 {
				return v, false
			}
			v = q
		}
		return v, true
	case *array.String:
		return parseDecimal(x.Value(i), 0)
	}
	return decimal128.Num{}, false
}

// decimalText is row i as exact decimal text; false for NaN, ±Infinity or
// a type that is not a number.
func decimalText(a arrow.Array, i int) (string, bool) {
	switch x := a.(type) {
	case *array.Decimal128:
		return formatDecimal(x.Value(i), x.DataType().(*arrow.Decimal128Type).Scale), true
	case *array.String:
		s := x.Value(i)
		return s, !strings.ContainsAny(s, "eEIN") // NaN, Infinity, exponent
	}
	if v, ok := intOf(a, i); ok {
		return v.BigInt().String(), true
	}
	return "", false
}

func formatDecimal(n decimal128.Num, scale int32) string {
	s := new(big.Int).Abs(n.BigInt()).String()
	if scale > 0 {
		if len(s) <= int(scale) {
			s = strings.Repeat("0", int(scale)-len(s)+1) + s
		}
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if n.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// decimalFits says whether decimal text fits decimal(prec, scale) exactly:
// at most prec-scale integer digits and scale fraction digits (trailing
// fraction zeros do not count).
func decimalFits(v string, prec, scale int) bool {
	v = strings.TrimPrefix(v, "-")
	ip, fp, _ := strings.Cut(v, ".")
	ip = strings.TrimLeft(ip, "0")
	fp = strings.TrimRight(fp, "0")
	return len(ip) <= prec-scale && len(fp) <= scale
}

// parseDecimal parses decimal text into a decimal128 of the given scale;
// false when it is not a number or has more fraction digits.
func parseDecimal(v string, scale int32) (decimal128.Num, bool) {
	neg := strings.HasPrefix(v, "-")
	ip, fp, _ := strings.Cut(strings.TrimPrefix(v, "-"), ".")
	fp = strings.TrimRight(fp, "0")
	if len(fp) > int(scale) {
		return decimal128.Num{}, false
	}
	n, ok := new(big.Int).SetString(ip+fp+strings.Repeat("0", int(scale)-len(fp)), 10)
	if !ok || n.BitLen() > 127 {
		return decimal128.Num{}, false
	}
	if neg {
		n.Neg(n)
	}
	return decimal128.FromBigInt(n), true
}

// toInt narrows or widens integers (and whole numerics) to a MySQL integer
// type, refusing values outside [lo, hi] (year: 0 is allowed too).
func toInt(dt arrow.DataType, lo, hi decimal128.Num, year bool) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return buildArray(b, a, dt, func(i int, bld array.Builder) error {
			v, ok := intOf(a, i)
			if !ok {
				return b.valueErr(i, "", "%s is not a whole number", a.ValueStr(i))
			}
			if (v.Less(lo) || v.Greater(hi)) && !(year && v.Sign() == 0) {
				return b.valueErr(i, "", "%s is outside the column's range %s..%s", v.BigInt(), lo.BigInt(), hi.BigInt())
			}
			x := v.LowBits() // in range: the low 64 bits are the value (two's complement)
			switch bb := bld.(type) {
			case *array.Int8Builder:
				bb.Append(int8(x))
			case *array.Int16Builder:
				bb.Append(int16(x))
			case *array.Int32Builder:
				bb.Append(int32(x))
			case *array.Int64Builder:
				bb.Append(int64(x))
			case *array.Uint8Builder:
				bb.Append(uint8(x))
			case *array.Uint16Builder:
				bb.Append(uint16(x))
			case *array.Uint32Builder:
				bb.Append(uint32(x))
			case *array.Uint64Builder:
				bb.Append(x)
			}
			return nil
		})
	}
}

// toBits converts bit varying text ('0101', PostgreSQL's bit string) or an
// integer into bit(n) as an unsigned integer.
func toBits(n int) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return buildArray(b, a, arrow.PrimitiveTypes.Uint64, func(i int, bld array.Builder) error {
			var v uint64
			if s, ok := a.(*array.String); ok {
				digits := s.Value(i)
				if len(digits) > n || strings.Trim(digits, "01") != "" {
					return b.valueErr(i, "", "%q is not a bit string of at most %d bits", digits, n)
				}
				if digits != "" {
					v, _ = strconv.ParseUint(digits, 2, 64)
				}
			} else {
				x, _ := intOf(a, i)
				if x.Sign() < 0 || x.HighBits() != 0 || (n < 64 && x.LowBits()>>n != 0) {
					return b.valueErr(i, "", "%s does not fit bit(%d)", x.BigInt(), n)
				}
				v = x.LowBits()
			}
			bld.(*array.Uint64Builder).Append(v)
			return nil
		})
	}
}

// toDecimal converts a number into decimal(prec, scale), carried as
// decimal128 or (prec > 38) as text.
func toDecimal(dt arrow.DataType, prec, scale int) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return buildArray(b, a, dt, func(i int, bld array.Builder) error {
			s, ok := decimalText(a, i)
			if !ok || !decimalFits(s, prec, scale) {
				return b.valueErr(i, "", "%s does not fit decimal(%d,%d)", a.ValueStr(i), prec, scale)
			}
			switch bb := bld.(type) {
			case *array.StringBuilder:
				bb.Append(s)
			case *array.Decimal128Builder:
				v, ok := parseDecimal(s, int32(scale))
				if !ok {
					return b.valueErr(i, "", "%s does not fit decimal(%d,%d)", s, prec, scale)
				}
				bb.Append(v)
			}
			return nil
		})
	}
}

// toFloat converts float32/float64, refusing NaN, ±Infinity and a float64
// that float32 would round.
func toFloat(dt arrow.DataType) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return buildArray(b, a, dt, func(i int, bld array.Builder) error {
			var f float64
			switch x := a.(type) {
			case *array.Float32:
				f = float64(x.Value(i))
			case *array.Float64:
				f = x.Value(i)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return b.valueErr(i, "", "%v cannot be stored in a MySQL float or double", f)
			}
			switch bb := bld.(type) {
			case *array.Float32Builder:
				if float64(float32(f)) != f {
					return b.valueErr(i, "", "%v is not exactly a float (float32)", f)
				}
				bb.Append(float32(f))
			case *array.Float64Builder:
				bb.Append(f)
			}
			return nil
		})
	}
}

// toTimestamp converts timestamps (or dates) into a MySQL datetime or
// timestamp (dt), in range, with no more fraction digits than fsp.
func toTimestamp(dt *arrow.TimestampType, lo, hi int64, what string, fsp int, infinity string) kernel {
	unit := int64(math.Pow10(6 - fsp))
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return buildArray(b, a, dt, func(i int, bld array.Builder) error {
			var v int64
			inf := false
			switch x := a.(type) {
			case *array.Timestamp:
				v = int64(x.Value(i))
				inf = v == math.MaxInt64 || v == math.MinInt64
			case *array.Date32:
				d := x.Value(i)
				inf = d == math.MaxInt32 || d == math.MinInt32
				v = int64(d) * 86400000000
			}
			switch {
			case inf && infinity == "null":
				b.count(1)
				bld.AppendNull()
				return nil
			case inf:
				return b.valueErr(i, "--infinity=null converts it", "PostgreSQL's ±infinity has no MySQL value")
			case v < lo || v > hi:
				return b.valueErr(i, "", "%s is outside the range of a MySQL %s", arrow.Timestamp(v).ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05.999999"), what)
			case v%unit != 0:
				return b.valueErr(i, "", "%s has more fraction digits than the column's %d (MySQL would round it)", arrow.Timestamp(v).ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05.999999"), fsp)
			}
			bld.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
			return nil
		})
	}
}

// toTime converts an interval (days as 24 hours, no months), a time of day
// or a duration into a MySQL time(fsp) as duration[us].
func toTime(fsp int) kernel {
	const limit = (838*3600 + 59*60 + 59) * 1000000
	unit := int64(math.Pow10(6 - fsp))
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		return buildArray(b, a, &arrow.DurationType{Unit: arrow.Microsecond}, func(i int, bld array.Builder) error {
			var us int64
			switch x := a.(type) {
			case *array.MonthDayNanoInterval:
				v := x.Value(i)
				if v.Months != 0 || v.Nanoseconds%1000 != 0 || v.Days > 100 || v.Days < -100 {
					return b.valueErr(i, "", "interval (%d months, %d days, %d ns) does not fit a MySQL time", v.Months, v.Days, v.Nanoseconds)
				}
				us = int64(v.Days)*86400000000 + v.Nanoseconds/1000
			case *array.Time64:
				us = int64(x.Value(i)) // microseconds (checked when planned)
			case *array.Duration:
				us = int64(x.Value(i))
			}
			if us > limit || us < -limit {
				return b.valueErr(i, "", "%d µs is outside MySQL's time range ±838:59:59", us)
			}
			if us%unit != 0 {
				return b.valueErr(i, "", "%d µs has more fraction digits than the column's %d (MySQL would round it)", us, fsp)
			}
			bld.(*array.DurationBuilder).Append(arrow.Duration(us))
			return nil
		})
	}
}

// toBinary checks bytea against the column's byte length (binary(n) is
// padded by MySQL, so a shorter value is fine) and passes it through.
func toBinary(limit int) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		if f, ok := a.(*array.FixedSizeBinary); ok {
			if f.DataType().(*arrow.FixedSizeBinaryType).ByteWidth > limit {
				return nil, b.valueErr(0, "", "%d-byte values do not fit %d bytes", f.DataType().(*arrow.FixedSizeBinaryType).ByteWidth, limit)
			}
			return fixedToBinary(b, a)
		}
		bs := a.(*array.Binary)
		if err := eachValid(a, func(i int) error {
			if n := len(bs.Value(i)); n > limit {
				return b.valueErr(i, "", "%d bytes do not fit the column's %d", n, limit)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		a.Retain()
		return a, nil
	}
}

// textLimit checks text length (characters or bytes) after an optional
// conversion to text.
func textLimit(first kernel, limit int, chars bool) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		if first != nil {
			c, err := first(b, a)
			if err != nil {
				return nil, err
			}
			defer c.Release()
			a = c
		}
		s := a.(*array.String)
		if err := eachValid(a, func(i int) error {
			n := len(s.Value(i))
			if chars && n > limit { // bytes ≥ characters: count only when it may matter
				n = utf8.RuneCountInString(s.Value(i))
			}
			if n > limit {
				unit := "bytes"
				if chars {
					unit = "characters"
				}
				return b.valueErr(i, "", "%d %s do not fit the column's %d", n, unit, limit)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		a.Retain()
		return a, nil
	}
}

// toEnum checks that each value is one of the enum's labels.
func toEnum(labels []string) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		s := a.(*array.String)
		if err := eachValid(a, func(i int) error {
			if !slices.Contains(labels, s.Value(i)) {
				return b.valueErr(i, "", "%q is not a label of the enum", s.Value(i))
			}
			return nil
		}); err != nil {
			return nil, err
		}
		a.Retain()
		return a, nil
	}
}

// toSet joins an array (text[]) into MySQL's comma-separated set text,
// refusing members the set does not have. MySQL stores members in the
// set's order, so they are written in that order.
func toSet(values []string) kernel {
	return func(b *batch, a arrow.Array) (arrow.Array, error) {
		member := func(i int, m string, has []bool) error {
			k := slices.Index(values, m)
			if k < 0 {
				return b.valueErr(i, "", "%q is not a member of the set", m)
			}
			has[k] = true
			return nil
		}
		join := func(has []bool) string {
			var out []string
			for k, ok := range has {
				if ok {
					out = append(out, values[k])
				}
			}
			return strings.Join(out, ",")
		}
		if s, ok := a.(*array.String); ok {
			return mapToString(b, a, func(i int) (string, error) {
				has := make([]bool, len(values))
				if v := s.Value(i); v != "" {
					for m := range strings.SplitSeq(v, ",") {
						if err := member(i, m, has); err != nil {
							return "", err
						}
					}
				}
				return join(has), nil
			})
		}
		l := a.(*array.List)
		elems := l.ListValues().(*array.String)
		return mapToString(b, a, func(i int) (string, error) {
			has := make([]bool, len(values))
			lo, hi := l.ValueOffsets(i)
			for j := lo; j < hi; j++ {
				if elems.IsNull(int(j)) {
					return "", b.valueErr(i, "", "a NULL member has no MySQL set value")
				}
				if err := member(i, elems.Value(int(j)), has); err != nil {
					return "", err
				}
			}
			return join(has), nil
		})
	}
}
