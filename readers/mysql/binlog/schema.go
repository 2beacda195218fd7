package binlog

import (
	"fmt"
	"slices"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// Kind says how a column's values are held in a Value and which Arrow type
// they map to (docs/TYPES-MYSQL.md; see ArrowType and AppendValue).
type Kind uint8

// Column kinds. The comment gives the Value accessor and the Arrow type.
const (
	KindInt8        Kind = iota + 1 // Int64, int8: tinyint
	KindInt16                       // Int64, int16: smallint
	KindInt32                       // Int64, int32: mediumint, int
	KindInt64                       // Int64, int64: bigint
	KindUint8                       // Uint64, uint8: tinyint unsigned
	KindUint16                      // Uint64, uint16
	KindUint32                      // Uint64, uint32: mediumint/int unsigned
	KindUint64                      // Uint64, uint64: bigint unsigned
	KindFloat32                     // Float32, float32
	KindFloat64                     // Float64, float64
	KindDecimal                     // Decimal128, decimal128(p,s): decimal with p ≤ 38
	KindDecimalText                 // Bytes, utf8: decimal with p > 38, MySQL's text form
	KindBit                         // Uint64, uint64: bit(n)
	KindYear                        // Int64, int16: 1901…2155, 0 for 0000
	KindDate                        // Int64, date32: days since 1970-01-01, zero date = math.MinInt32
	KindDatetime                    // Int64, timestamp[us]: wall clock, zero = math.MinInt64
	KindTimestamp                   // Int64, timestamp[us, UTC]: zero = math.MinInt64
	KindTime                        // Int64, duration[us]
	KindText                        // Bytes (UTF-8), utf8: char, varchar, text
	KindBinary                      // Bytes, binary: binary (0x00-padded), varbinary, blob
	KindEnum                        // Bytes, utf8: the label, "" for index 0
	KindSet                         // Bytes, utf8: members comma-joined
	KindJSON                        // Bytes, utf8: MySQL json as text
	KindUUID                        // Bytes (16), fixed_size_binary(16): MariaDB uuid
	KindInet                        // Bytes, utf8: MariaDB inet4/inet6 text form
)

var kindNames = [...]string{"", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"float32", "float64", "decimal", "decimal-text", "bit", "year", "date", "datetime", "timestamp", "time",
	"text", "binary", "enum", "set", "json", "uuid", "inet"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Column is one column of a table as the binlog describes it at one point.
type Column struct {
	Name      string
	Kind      Kind
	Nullable  bool
	Precision int32 // decimal
	Scale     int32 // decimal
	FSP       int   // fractional second digits of datetime, timestamp, time
	Length    int   // bytes of char/binary(n), bits of bit(n)
	Collation uint64
	Charset   string   // column charset of text, enum and set columns ("binary" for binary strings)
	Values    []string // enum and set labels, in order, in UTF-8

	wireType byte // binlog type after unpacking enum/set/string
	meta     uint16
	text     textDecoder // non-nil when the column's bytes need conversion to UTF-8
}

// Table is a table's definition at one point of the binlog, from its
// TABLE_MAP event (binlog_row_metadata=FULL).
type Table struct {
	Database string
	Name     string
	Columns  []Column
	// PrimaryKey lists the indexes of the primary-key columns in key order.
	PrimaryKey []int
	// Version starts at 1 and increases whenever the columns seen in the
	// binlog for this table change (after an ALTER TABLE): a consumer keys
	// its Arrow builders on (Database, Name, Version).
	Version int

	id    uint64
	types []byte   // raw TABLE_MAP column types, to recognise an unchanged map
	metas []uint16 // raw TABLE_MAP column metadata
	nulls []byte
}

// QualifiedName is `db`.`table` for messages.
func (t *Table) QualifiedName() string { return quoteIdent(t.Database) + "." + quoteIdent(t.Name) }

// sameMap says whether a TABLE_MAP event describes exactly this table
// definition, so the decoded Table can be reused without rebuilding it.
func (t *Table) sameMap(e *replication.TableMapEvent) bool {
	return string(e.Schema) == t.Database && string(e.Table) == t.Name &&
		string(e.ColumnType) == string(t.types) && slices.Equal(e.ColumnMeta, t.metas) &&
		string(e.NullBitmap) == string(t.nulls)
}

// sameColumns says whether two versions have the same columns, so a new
// TABLE_MAP (a new table id after a reopen) keeps the version number.
func (t *Table) sameColumns(o *Table) bool {
	if len(t.Columns) != len(o.Columns) {
		return false
	}
	for i := range t.Columns {
		a, b := &t.Columns[i], &o.Columns[i]
		if a.Name != b.Name || a.Kind != b.Kind || a.Nullable != b.Nullable || a.Precision != b.Precision ||
			a.Scale != b.Scale || a.FSP != b.FSP || a.Length != b.Length || a.Collation != b.Collation ||
			!slices.Equal(a.Values, b.Values) {
			return false
		}
	}
	return true
}

// tableFromMap builds a Table from a TABLE_MAP event with full row metadata.
// hints maps column names to catalog data types, used only for the MariaDB
// types the binlog shows as plain binary strings (uuid, inet4, inet6).
func tableFromMap(e *replication.TableMapEvent, charsets map[uint64]string, hints map[string]string) (*Table, error) {
	t := &Table{Database: string(e.Schema), Name: string(e.Table), id: e.TableID,
		types: slices.Clone(e.ColumnType), metas: slices.Clone(e.ColumnMeta), nulls: slices.Clone(e.NullBitmap)}
	n := int(e.ColumnCount)
	if len(e.ColumnName) != n {
		return nil, fmt.Errorf("table %s: TABLE_MAP has no column names: set binlog_row_metadata=FULL on the source", t.QualifiedName())
	}
	unsigned := e.UnsignedMap()
	collations := e.CollationMap()
	enumSetCollations := e.EnumSetCollationMap()
	enums, sets := e.EnumStrValueMap(), e.SetStrValueMap()
	t.Columns = make([]Column, n)
	for i := range n {
		c := &t.Columns[i]
		c.Name = string(e.ColumnName[i])
		_, c.Nullable = e.Nullable(i)
		if err := c.fromWire(e.ColumnType[i], e.ColumnMeta[i], unsigned[i]); err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.QualifiedName(), quoteIdent(c.Name), err)
		}
		coll, ok := collations[i]
		if c.Kind == KindEnum || c.Kind == KindSet {
			coll, ok = enumSetCollations[i]
		}
		if ok {
			c.Collation = coll
			c.Charset = charsets[coll]
			if c.Charset == "" {
				return nil, fmt.Errorf("table %s column %s: unknown collation id %d", t.QualifiedName(), quoteIdent(c.Name), coll)
			}
		}
		if err := c.settle(charsets, hints[c.Name], enums[i], sets[i]); err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", t.QualifiedName(), quoteIdent(c.Name), err)
		}
	}
	for _, k := range e.PrimaryKey {
		t.PrimaryKey = append(t.PrimaryKey, int(k))
	}
	return t, nil
}

// fromWire sets the kind and sizes from the binlog column type and metadata.
func (c *Column) fromWire(tp byte, meta uint16, unsigned bool) error {
	c.meta = meta
	if tp == mysql.MYSQL_TYPE_STRING && meta >= 256 {
		// The real type (char, binary, enum, set) is in the high byte; for
		// long char columns two bits of the length hide in it too.
		b0, b1 := byte(meta>>8), byte(meta)
		if b0&0x30 != 0x30 {
			c.Length = int(b1) | int((b0&0x30)^0x30)<<4
			tp = b0 | 0x30
		} else {
			c.Length = int(b1)
			tp = b0
		}
	} else if tp == mysql.MYSQL_TYPE_STRING {
		c.Length = int(meta)
	}
	c.wireType = tp
	pick := func(signed, uns Kind) Kind {
		if unsigned {
			return uns
		}
		return signed
	}
	switch tp {
	case mysql.MYSQL_TYPE_TINY:
		c.Kind = pick(KindInt8, KindUint8)
	case mysql.MYSQL_TYPE_SHORT:
		c.Kind = pick(KindInt16, KindUint16)
	case mysql.MYSQL_TYPE_INT24, mysql.MYSQL_TYPE_LONG:
		c.Kind = pick(KindInt32, KindUint32)
	case mysql.MYSQL_TYPE_LONGLONG:
		c.Kind = pick(KindInt64, KindUint64)
	case mysql.MYSQL_TYPE_FLOAT:
		c.Kind = KindFloat32
	case mysql.MYSQL_TYPE_DOUBLE:
		c.Kind = KindFloat64
	case mysql.MYSQL_TYPE_NEWDECIMAL:
		c.Precision, c.Scale = int32(meta>>8), int32(meta&0xff)
		c.Kind = KindDecimal
		if c.Precision > 38 {
			c.Kind = KindDecimalText
		}
	case mysql.MYSQL_TYPE_BIT:
		c.Length = int(meta>>8)*8 + int(meta&0xff)
		c.Kind = KindBit
	case mysql.MYSQL_TYPE_YEAR:
		c.Kind = KindYear
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
		c.Kind = KindDate
	case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_DATETIME2:
		c.Kind, c.FSP = KindDatetime, int(meta)
	case mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
		c.Kind, c.FSP = KindTimestamp, int(meta)
	case mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
		c.Kind, c.FSP = KindTime, int(meta)
	case mysql.MYSQL_TYPE_STRING, mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING, mysql.MYSQL_TYPE_BLOB:
		c.Kind = KindText // KindBinary when the collation is binary: see settle
		if tp != mysql.MYSQL_TYPE_STRING && tp != mysql.MYSQL_TYPE_BLOB {
			c.Length = int(meta)
		}
	case mysql.MYSQL_TYPE_ENUM:
		c.Kind = KindEnum
	case mysql.MYSQL_TYPE_SET:
		c.Kind = KindSet
	case mysql.MYSQL_TYPE_JSON:
		c.Kind = KindJSON
	case mysql.MYSQL_TYPE_GEOMETRY:
		return fmt.Errorf("type geometry is not supported by change capture")
	default:
		return fmt.Errorf("binlog column type %d is not supported", tp)
	}
	return nil
}

// settle finishes a column once its collation is known: binary strings,
// the MariaDB types that travel as binary strings, text conversion, and
// enum/set labels in UTF-8.
func (c *Column) settle(charsets map[uint64]string, catalogType string, enums, sets []string) error {
	if c.Kind == KindText && c.Charset == "binary" {
		c.Kind = KindBinary
		switch {
		case catalogType == "uuid" && c.wireType == mysql.MYSQL_TYPE_STRING && c.Length == 16:
			c.Kind = KindUUID
		case catalogType == "inet6" && c.wireType == mysql.MYSQL_TYPE_STRING && c.Length == 16,
			catalogType == "inet4" && c.wireType == mysql.MYSQL_TYPE_STRING && c.Length == 4:
			c.Kind = KindInet
		}
	}
	switch c.Kind {
	case KindText, KindEnum, KindSet:
		dec, err := textDecoderFor(c.Charset)
		if err != nil {
			return err
		}
		c.text = dec
	}
	labels := enums
	if c.Kind == KindSet {
		labels = sets
	}
	if c.Kind == KindEnum || c.Kind == KindSet {
		if labels == nil {
			return fmt.Errorf("TABLE_MAP has no %s labels: set binlog_row_metadata=FULL on the source", c.Kind)
		}
		c.Values = make([]string, len(labels))
		for i, l := range labels {
			u, err := toUTF8(c.text, []byte(l), nil)
			if err != nil {
				return fmt.Errorf("%s label %d: %w", c.Kind, i+1, err)
			}
			c.Values[i] = string(u)
		}
	}
	return nil
}
