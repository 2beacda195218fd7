package mysql

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/dbmig/dbmig/format"
)

// Field metadata of MySQL streams (docs/TYPES-MYSQL.md).
const (
	fieldCharset       = "dbmig.mysql.charset"
	fieldOnUpdate      = "dbmig.mysql.on_update"
	fieldGeneratedKind = "dbmig.mysql.generated_kind"
)

// createTable returns the CREATE TABLE of a stream table in database, with
// its primary key, and the auto_increment column that must wait for the
// indexes ("" when none): InnoDB accepts AUTO_INCREMENT only on the first
// column of a key, so one that is not the primary key's first column is
// made so after the data.
//
// The primary key is part of CREATE TABLE: InnoDB clusters rows on it, so
// adding it later rebuilds the whole table, while chunks that arrive in key
// order append to the clustered index (measured in docs/TYPES-MYSQL.md,
// "Loading").
func createTable(database string, h format.Header, cols []format.Column) (string, string, error) {
	mysqlDialect := h.Dialect() == "mysql"
	pk := primaryKey(h, cols)
	var defs []string
	deferred := ""
	var autoNext int64
	for _, c := range cols {
		def, err := columnDefinition(h, c, pk)
		if err != nil {
			return "", "", fmt.Errorf("column %s: %w", c.Name, err)
		}
		if mysqlDialect && c.Identity != "" {
			if c.Sequence != nil && c.Sequence.LastValue > 0 {
				autoNext = c.Sequence.LastValue
			}
			if len(pk) > 0 && pk[0] == c.Name {
				def += " AUTO_INCREMENT"
			} else {
				deferred = c.Name
			}
		}
		defs = append(defs, def)
	}
	if len(pk) > 0 {
		if def := primaryDefinition(h); def != "" && mysqlDialect {
			defs = append(defs, def)
		} else {
			defs = append(defs, "PRIMARY KEY ("+quoteList(pk)+")")
		}
	}
	s := fmt.Sprintf("CREATE TABLE %s (\n  %s\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", quoteName(database, h.Table.Name), strings.Join(defs, ",\n  "))
	if autoNext > 0 && deferred == "" {
		s += " AUTO_INCREMENT=" + strconv.FormatInt(autoNext, 10)
	}
	return s, deferred, nil
}

// primaryKey is the stream's primary key columns, from the header or else
// from the columns' key positions.
func primaryKey(h format.Header, cols []format.Column) []string {
	if len(h.PrimaryKey) > 0 {
		return h.PrimaryKey
	}
	var key []format.Column
	for _, c := range cols {
		if c.PKOrdinal > 0 {
			key = append(key, c)
		}
	}
	sort.Slice(key, func(i, j int) bool { return key[i].PKOrdinal < key[j].PKOrdinal })
	names := make([]string, len(key))
	for i, c := range key {
		names[i] = c.Name
	}
	return names
}

// primaryDefinition is the source's "PRIMARY KEY (...)" when it declares
// one (it may have prefix lengths the column list lacks).
func primaryDefinition(h format.Header) string {
	for _, c := range h.Constraints {
		if c.Kind == "primary" && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(c.Definition)), "PRIMARY KEY") {
			return strings.TrimSpace(c.Definition)
		}
	}
	return ""
}

var textType = regexp.MustCompile(`(?i)^\s*(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b`)

// columnDefinition is one column of CREATE TABLE (without AUTO_INCREMENT).
func columnDefinition(h format.Header, c format.Column, pk []string) (string, error) {
	if h.Dialect() != "mysql" {
		typ, err := arrowToMySQL(c, pk)
		if err != nil {
			return "", err
		}
		def := quote(c.Name) + " " + typ
		if c.Nullable {
			return def + " NULL", nil
		}
		return def + " NOT NULL", nil
	}
	typ := c.DeclaredType()
	if typ == "" {
		return "", fmt.Errorf("the stream declares no MySQL type (%s)", format.FieldSourceType)
	}
	def := quote(c.Name) + " " + typ
	if textType.MatchString(typ) {
		if cs := c.Extra[fieldCharset]; cs != "" {
			def += " CHARACTER SET " + cs
		}
		if c.Collation != "" {
			def += " COLLATE " + c.Collation
		}
	}
	if c.Generated != "" {
		kind := strings.ToUpper(c.Extra[fieldGeneratedKind])
		if kind != "VIRTUAL" {
			kind = "STORED"
		}
		def += " GENERATED ALWAYS AS (" + c.Generated + ") " + kind
		if !c.Nullable {
			def += " NOT NULL"
		}
		return def, nil
	}
	// NULL said explicitly: a TIMESTAMP column left without it is NOT NULL
	// under MySQL's old defaults.
	if c.Nullable {
		def += " NULL"
	} else {
		def += " NOT NULL"
	}
	if c.Default != "" && c.Identity == "" {
		def += " DEFAULT " + c.Default
	}
	if u := c.Extra[fieldOnUpdate]; u != "" {
		def += " ON UPDATE " + u
	}
	return def, nil
}

// arrowToMySQL is the MySQL type of a column of another engine's stream,
// from its Arrow type: a plain mapping that keeps every value (dbconvert
// --to mysql chooses better, with the source's declarations).
func arrowToMySQL(c format.Column, pk []string) (string, error) {
	inKey := false
	for _, k := range pk {
		inKey = inKey || k == c.Name
	}
	switch c.Logical {
	case "json", "jsonb":
		return "json", nil
	case "uuid":
		return "char(36) CHARACTER SET ascii", nil
	case "numeric":
		if inKey {
			break
		}
		return "decimal(65,30)", nil
	}
	switch t := c.Type.(type) {
	case *arrow.BooleanType:
		return "tinyint(1)", nil
	case *arrow.Int8Type:
		return "tinyint", nil
	case *arrow.Int16Type:
		return "smallint", nil
	case *arrow.Int32Type:
		return "int", nil
	case *arrow.Int64Type:
		return "bigint", nil
	case *arrow.Uint8Type:
		return "tinyint unsigned", nil
	case *arrow.Uint16Type:
		return "smallint unsigned", nil
	case *arrow.Uint32Type:
		return "int unsigned", nil
	case *arrow.Uint64Type:
		return "bigint unsigned", nil
	case *arrow.Float32Type:
		return "float", nil
	case *arrow.Float64Type:
		return "double", nil
	case *arrow.Decimal128Type:
		if t.Precision <= 65 && t.Scale >= 0 && t.Scale <= 30 {
			return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale), nil
		}
	case *arrow.StringType, *arrow.LargeStringType:
		if !inKey {
			return "longtext", nil
		}
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		if !inKey {
			return "longblob", nil
		}
	case *arrow.FixedSizeBinaryType:
		if t.ByteWidth <= 255 {
			return fmt.Sprintf("binary(%d)", t.ByteWidth), nil
		}
	case *arrow.Date32Type:
		return "date", nil
	case *arrow.TimestampType:
		// DATETIME, not TIMESTAMP: TIMESTAMP ends in 2038. Zoned values
		// load as their UTC wall clock (the session runs at +00:00).
		return "datetime(6)", nil
	case *arrow.Time64Type, *arrow.Time32Type, *arrow.DurationType:
		return "time(6)", nil
	}
	if inKey {
		return "", fmt.Errorf("no MySQL key type for Arrow %s without a conversion: run dbconvert --to mysql first", c.Type)
	}
	return "", fmt.Errorf("no MySQL type for Arrow %s without a conversion: run dbconvert --to mysql first", c.Type)
}
