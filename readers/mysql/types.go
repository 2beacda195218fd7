package mysql

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// kind is how a column's text is parsed into its Arrow builder.
type kind int

const (
	kInt8 kind = iota
	kInt16
	kInt32
	kInt64
	kUint8
	kUint16
	kUint32
	kUint64
	kFloat32
	kFloat64
	kDecimal     // decimal128
	kDecimalText // decimal(p>38) as exact text
	kBit
	kYear
	kDate
	kDateTime
	kTimestamp
	kTime
	kText
	kBinary
	kUUID // MariaDB uuid: text form parsed into 16 bytes
)

// Field metadata keys of MySQL columns (docs/TYPES-MYSQL.md).
const (
	FieldCharset       = "dbmig.mysql.charset"
	FieldValues        = "dbmig.mysql.values"
	FieldOnUpdate      = "dbmig.mysql.on_update"
	FieldZerofill      = "dbmig.mysql.zerofill"
	FieldGeneratedKind = "dbmig.mysql.generated_kind"
)

// columnInfo is a column as information_schema.COLUMNS describes it.
type columnInfo struct {
	name, dataType, columnType    string
	charset, collation            string
	precision, scale, dtPrecision int64
	nullable                      bool
	def                           *string
	extra, genExpr                string
	jsonCheck                     bool // MariaDB: a json_valid(col) check makes a LONGTEXT a JSON column
}

// spatial types have no Arrow form; --unsupported=text reads them as WKT.
var spatial = map[string]bool{"geometry": true, "point": true, "linestring": true, "polygon": true,
	"multipoint": true, "multilinestring": true, "multipolygon": true, "geometrycollection": true}

// mapType chooses the Arrow type and parser of a column, and the select-list
// expression that reads it (quoted is the column's quoted name).
func mapType(c *columnInfo, quoted, unsupported string) (kind, arrow.DataType, string, string, error) {
	unsigned := strings.Contains(c.columnType, "unsigned")
	pick := func(s, u kind, st, ut arrow.DataType) (kind, arrow.DataType, string, string, error) {
		if unsigned {
			return u, ut, "", quoted, nil
		}
		return s, st, "", quoted, nil
	}
	switch c.dataType {
	case "tinyint":
		return pick(kInt8, kUint8, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Uint8)
	case "smallint":
		return pick(kInt16, kUint16, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Uint16)
	case "mediumint", "int", "integer":
		return pick(kInt32, kUint32, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Uint32)
	case "bigint":
		return pick(kInt64, kUint64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Uint64)
	case "float":
		// The text protocol prints FLOAT with 6 significant digits (16777217
		// comes back as 16777200); widened to DOUBLE it prints exactly.
		return kFloat32, arrow.PrimitiveTypes.Float32, "", "CAST(" + quoted + " AS DOUBLE)", nil
	case "double", "real":
		return kFloat64, arrow.PrimitiveTypes.Float64, "", quoted, nil
	case "decimal", "numeric":
		if c.precision <= 38 {
			return kDecimal, &arrow.Decimal128Type{Precision: int32(c.precision), Scale: int32(c.scale)}, "", quoted, nil
		}
		return kDecimalText, arrow.BinaryTypes.String, "numeric", quoted, nil
	case "bit":
		return kBit, arrow.PrimitiveTypes.Uint64, "bit", quoted, nil
	case "year":
		return kYear, arrow.PrimitiveTypes.Int16, "year", quoted, nil
	case "date":
		return kDate, arrow.FixedWidthTypes.Date32, "", quoted, nil
	case "datetime":
		return kDateTime, &arrow.TimestampType{Unit: arrow.Microsecond}, "", quoted, nil
	case "timestamp":
		return kTimestamp, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, "", quoted, nil
	case "time":
		return kTime, arrow.FixedWidthTypes.Duration_us, "time", quoted, nil
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if c.charset == "binary" {
			return kBinary, arrow.BinaryTypes.Binary, "", quoted, nil
		}
		logical := ""
		if c.jsonCheck {
			logical = "json"
		}
		return kText, arrow.BinaryTypes.String, logical, quoted, nil
	case "json":
		return kText, arrow.BinaryTypes.String, "json", quoted, nil
	case "enum":
		return kText, arrow.BinaryTypes.String, "enum", quoted, nil
	case "set":
		return kText, arrow.BinaryTypes.String, "set", quoted, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return kBinary, arrow.BinaryTypes.Binary, "", quoted, nil
	case "uuid": // MariaDB ≥ 10.7
		return kUUID, &arrow.FixedSizeBinaryType{ByteWidth: 16}, "uuid", quoted, nil
	case "inet4", "inet6": // MariaDB ≥ 10.10; the server's text form
		return kText, arrow.BinaryTypes.String, "inet", quoted, nil
	}
	if unsupported != "text" {
		return 0, nil, "", "", fmt.Errorf("type %s is not supported (read it as text with --unsupported=text, or leave the table out)", c.columnType)
	}
	sel := "CAST(" + quoted + " AS CHAR)"
	if spatial[c.dataType] {
		sel = "ST_AsText(" + quoted + ")"
	}
	return kText, arrow.BinaryTypes.String, "text-cast", sel, nil
}

// enumValues reads the labels of an enum('a','b”c',...) or set(...)
// column type, in order, as a JSON array.
func enumValues(columnType string) (string, error) {
	open := strings.IndexByte(columnType, '(')
	if open < 0 || !strings.HasSuffix(columnType, ")") {
		return "", fmt.Errorf("cannot read the values of %s", columnType)
	}
	s := columnType[open+1 : len(columnType)-1]
	labels := []string{}
	for len(s) > 0 {
		if s[0] != '\'' {
			return "", fmt.Errorf("cannot read the values of %s", columnType)
		}
		var b strings.Builder
		i := 1
		for ; i < len(s); i++ {
			switch {
			case s[i] == '\'' && i+1 < len(s) && s[i+1] == '\'':
				b.WriteByte('\'')
				i++
				continue
			case s[i] == '\\' && i+1 < len(s):
				// MySQL doubles quotes when it prints a type; backslashes
				// appear escaped only in older versions.
				b.WriteByte(s[i+1])
				i++
				continue
			case s[i] == '\'':
			default:
				b.WriteByte(s[i])
				continue
			}
			break
		}
		if i >= len(s) {
			return "", fmt.Errorf("cannot read the values of %s", columnType)
		}
		labels = append(labels, b.String())
		s = s[i+1:]
		s = strings.TrimPrefix(s, ",")
	}
	out, _ := json.Marshal(labels) // strings: cannot fail
	return string(out), nil
}
