package pgcodec

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Type is a PostgreSQL column type as the catalog describes it, domains
// resolved to their base type.
type Type struct {
	OID    uint32 // base type OID (after resolving domains); for an enum the enum's own OID
	Name   string // base type name as in pg_type.typname ("int4", "numeric", "mood", "_int4" ...), for messages
	Typmod int32  // base typmod (-1 when none); for a domain the domain's typtypmod
	Enum   bool   // an enum type
	// Elem is the element type of an array (domains resolved), nil for a
	// scalar. Its Typmod is the array column's (atttypmod of numeric(12,2)[]
	// constrains the elements).
	Elem *Type
	// ElemOID is, for an array, pg_type.typelem of the array type exactly as
	// the catalog has it: the element domain's own OID for an array of a
	// domain. The Encoder writes it into every array value, and PostgreSQL
	// refuses an array whose element OID differs ("wrong element type").
	// Zero means Elem.OID.
	ElemOID uint32
}

// Options are the user's choices that change the mapping.
type Options struct {
	// NumericAsText carries every numeric, constrained or not, as exact text
	// (utf8, logical "numeric") instead of decimal128 (--numeric=text).
	NumericAsText bool
	// UnsupportedAsText maps a column of a type this package does not support
	// to utf8 with logical "text-cast" instead of failing (--unsupported=text).
	// The caller must then select such a column as col::text: ArrowType
	// reports it with logical "text-cast", and the Decoder, given the same
	// Type and Options, reads the column's COPY value as text.
	UnsupportedAsText bool
}

// Logical values this package puts in the dbmig.logical field metadata key.
const (
	LogicalNumeric  = "numeric"
	LogicalJSON     = "json"
	LogicalJSONB    = "jsonb"
	LogicalInet     = "inet"
	LogicalCidr     = "cidr"
	LogicalMacaddr  = "macaddr"
	LogicalUUID     = "uuid"
	LogicalEnum     = "enum"
	LogicalTimeTZ   = "timetz"
	LogicalTextCast = "text-cast"
)

// metaLogical is format.FieldLogical; this package does not import format so
// that it stays a leaf.
const metaLogical = "dbmig.logical"

// ErrUnsupported is wrapped by the errors ArrowType and NewEncoder return for
// a type with no mapping.
var ErrUnsupported = errors.New("not supported")

// Built-in type OIDs. They are fixed in PostgreSQL's catalog (pg_type.dat).
const (
	oidBool        = 16
	oidBytea       = 17
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidJSON        = 114
	oidCidr        = 650
	oidFloat4      = 700
	oidFloat8      = 701
	oidMacaddr     = 829
	oidInet        = 869
	oidBpchar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidInterval    = 1186
	oidTimeTZ      = 1266
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// kind is how one column's values are converted; it is chosen once per
// column and dispatched with a switch per value.
type kind uint8

const (
	kBool kind = iota
	kInt2
	kInt4
	kInt8
	kFloat4
	kFloat8
	kNumDec  // numeric ⇄ decimal128
	kNumText // numeric ⇄ utf8 text
	kText    // text-like: bytes as they are (text, varchar, bpchar, name, json, enum, text-cast)
	kBytea
	kJSONB // version byte 1 + text
	kDate
	kTime
	kTimeTZ
	kTimestamp // timestamp and timestamptz: the same int64 rule
	kInterval
	kUUID
	kInet
	kCidr
	kMacaddr
	kArray
)

// Arrow types shared by every column that uses them.
var (
	typTimestamp   = &arrow.TimestampType{Unit: arrow.Microsecond}
	typTimestamptz = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	typUUID        = &arrow.FixedSizeBinaryType{ByteWidth: 16}
	typMacaddr     = &arrow.FixedSizeBinaryType{ByteWidth: 6}
	typTimeTZ      = arrow.StructOf(
		arrow.Field{Name: "time", Type: arrow.FixedWidthTypes.Time64us},
		arrow.Field{Name: "offset", Type: arrow.PrimitiveTypes.Int32},
	)
)

// plan is the mapping of one PostgreSQL type.
type plan struct {
	kind    kind
	typ     arrow.DataType
	logical string
	prec    int32 // kNumDec
	scale   int32 // kNumDec
	elem    *plan // kArray
}

// ArrowType maps t to its Arrow type and its dbmig.logical value ("" when
// none), or returns an error naming the type when it has no mapping.
func ArrowType(t Type, o Options) (arrow.DataType, string, error) {
	p, err := planOf(t, o)
	if err != nil {
		return nil, "", err
	}
	return p.typ, p.logical, nil
}

func planOf(t Type, o Options) (plan, error) {
	var p plan
	var err error
	if t.Elem != nil {
		var e plan
		e, err = scalarPlan(*t.Elem, o)
		if err == nil {
			p = plan{kind: kArray, typ: arrow.ListOf(e.typ), logical: e.logical, elem: &e}
		} else {
			err = fmt.Errorf("type %s: element %w", t.Name, err)
		}
	} else {
		p, err = scalarPlan(t, o)
	}
	if errors.Is(err, ErrUnsupported) && o.UnsupportedAsText {
		return plan{kind: kText, typ: arrow.BinaryTypes.String, logical: LogicalTextCast}, nil
	}
	return p, err
}

func scalarPlan(t Type, o Options) (plan, error) {
	if t.Enum {
		return plan{kind: kText, typ: arrow.BinaryTypes.String, logical: LogicalEnum}, nil
	}
	if t.Elem != nil {
		return plan{}, fmt.Errorf("type %s: arrays of arrays are %w", t.Name, ErrUnsupported)
	}
	str := arrow.BinaryTypes.String
	switch t.OID {
	case oidBool:
		return plan{kind: kBool, typ: arrow.FixedWidthTypes.Boolean}, nil
	case oidInt2:
		return plan{kind: kInt2, typ: arrow.PrimitiveTypes.Int16}, nil
	case oidInt4:
		return plan{kind: kInt4, typ: arrow.PrimitiveTypes.Int32}, nil
	case oidInt8:
		return plan{kind: kInt8, typ: arrow.PrimitiveTypes.Int64}, nil
	case oidFloat4:
		return plan{kind: kFloat4, typ: arrow.PrimitiveTypes.Float32}, nil
	case oidFloat8:
		return plan{kind: kFloat8, typ: arrow.PrimitiveTypes.Float64}, nil
	case oidNumeric:
		// decimal128 for numeric(p,s), p ≤ 38. PostgreSQL 15 also allows a
		// scale outside 0..p; arrow-go formats decimals only for |scale| ≤ 38,
		// so larger scales travel as text.
		if prec, scale, ok := numericTypmod(t.Typmod); ok && prec <= 38 && scale >= -38 && scale <= 38 && !o.NumericAsText {
			return plan{kind: kNumDec, typ: &arrow.Decimal128Type{Precision: prec, Scale: scale}, prec: prec, scale: scale}, nil
		}
		return plan{kind: kNumText, typ: str, logical: LogicalNumeric}, nil
	case oidText, oidVarchar, oidBpchar, oidName:
		return plan{kind: kText, typ: str}, nil
	case oidBytea:
		return plan{kind: kBytea, typ: arrow.BinaryTypes.Binary}, nil
	case oidJSON:
		return plan{kind: kText, typ: str, logical: LogicalJSON}, nil
	case oidJSONB:
		return plan{kind: kJSONB, typ: str, logical: LogicalJSONB}, nil
	case oidDate:
		return plan{kind: kDate, typ: arrow.FixedWidthTypes.Date32}, nil
	case oidTime:
		return plan{kind: kTime, typ: arrow.FixedWidthTypes.Time64us}, nil
	case oidTimeTZ:
		return plan{kind: kTimeTZ, typ: typTimeTZ, logical: LogicalTimeTZ}, nil
	case oidTimestamp:
		return plan{kind: kTimestamp, typ: typTimestamp}, nil
	case oidTimestamptz:
		return plan{kind: kTimestamp, typ: typTimestamptz}, nil
	case oidInterval:
		return plan{kind: kInterval, typ: arrow.FixedWidthTypes.MonthDayNanoInterval}, nil
	case oidUUID:
		return plan{kind: kUUID, typ: typUUID, logical: LogicalUUID}, nil
	case oidInet:
		return plan{kind: kInet, typ: str, logical: LogicalInet}, nil
	case oidCidr:
		return plan{kind: kCidr, typ: str, logical: LogicalCidr}, nil
	case oidMacaddr:
		return plan{kind: kMacaddr, typ: typMacaddr, logical: LogicalMacaddr}, nil
	}
	return plan{}, fmt.Errorf("type %s (oid %d) is %w", t.Name, t.OID, ErrUnsupported)
}

// numericTypmod decodes a numeric typmod: ((precision << 16) | scale) + 4,
// where PostgreSQL 15 and later store the scale as an 11-bit two's complement
// number (-1000 ..= 1000). ok is false when the typmod says "unconstrained".
func numericTypmod(typmod int32) (prec, scale int32, ok bool) {
	if typmod < 4 {
		return 0, 0, false
	}
	m := typmod - 4
	prec = (m >> 16) & 0xffff
	scale = ((m & 0x7ff) ^ 1024) - 1024
	return prec, scale, prec >= 1
}
