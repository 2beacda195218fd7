package pgcodec

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// ekind is how one column is encoded: the target's type, plus the source
// width for the widening pairs.
type ekind uint8

const (
	eBool ekind = iota
	eInt2
	eInt4
	eInt4From2
	eInt8
	eInt8From2
	eInt8From4
	eFloat4
	eFloat8
	eFloat8From4
	eNumDec
	eNumText
	eBytes // utf8 into text types, json, enum; binary into bytea
	eJSONB
	eDate
	eTime
	eTimeTZ
	eTimestamp
	eInterval
	eFixed // uuid, macaddr
	eInet
	eCidr
	eArray
)

// encCol encodes one column (or the elements of an array column). The
// fields below the line point into the current batch.
type encCol struct {
	name     string
	kind     ekind
	width    int     // eFixed
	scale    int32   // eNumDec: the Arrow scale
	maxScale int     // eNumText: the target's scale, or noScale when unconstrained
	elemOID  uint32  // eArray
	kid      *encCol // eArray: elements
	kids     [2]*encCol

	hasNulls bool
	valid    []byte
	voff     int
	fixed    []byte // fixed-width values from the array's offset on (bool: bits)
	boff     int    // eBool: bit offset of the first value
	offs     []int32
	data     []byte
}

// noScale marks an unconstrained numeric target.
const noScale = math.MinInt32

// Encoder produces binary COPY streams from record batches of one schema for
// a target table of given column types.
type Encoder struct {
	// Keys lists indexes of key columns whose values are quoted in a
	// ValueError. Set it before calling Reader.
	Keys []int

	schema *arrow.Schema
	cols   []*encCol
}

// NewEncoder returns an Encoder for batches of schema into a table whose
// column types, read from the target catalog with domains resolved, are
// targets. It fails, naming the column, when a field's Arrow type (and
// dbmig.logical) cannot be loaded into its target type: the pairs of
// docs/TYPES.md load as the identity, plus the widenings int16 → integer and
// bigint, int32 → bigint, float32 → double precision, any utf8 → text types,
// and utf8 (json, jsonb or plain) → json and jsonb.
func NewEncoder(schema *arrow.Schema, targets []Type) (*Encoder, error) {
	if schema.NumFields() != len(targets) {
		return nil, fmt.Errorf("schema has %d fields for %d target columns", schema.NumFields(), len(targets))
	}
	e := &Encoder{schema: schema}
	for i, t := range targets {
		f := schema.Field(i)
		logical, _ := f.Metadata.GetValue(metaLogical)
		c, err := encPlan(f.Name, f.Type, logical, t)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name, err)
		}
		e.cols = append(e.cols, c)
	}
	return e, nil
}

func encPlan(name string, dt arrow.DataType, logical string, t Type) (*encCol, error) {
	if t.Elem == nil {
		return encScalar(name, dt, logical, t)
	}
	lt, ok := dt.(*arrow.ListType)
	if !ok {
		return nil, errPair(dt, logical, t)
	}
	if t.Elem.Elem != nil {
		return nil, fmt.Errorf("target type %s: arrays of arrays are %w", t.Name, ErrUnsupported)
	}
	kid, err := encScalar(name, lt.Elem(), logical, *t.Elem)
	if err != nil {
		return nil, err
	}
	oid := t.ElemOID
	if oid == 0 {
		oid = t.Elem.OID
	}
	return &encCol{name: name, kind: eArray, kid: kid, elemOID: oid}, nil
}

func errPair(dt arrow.DataType, logical string, t Type) error {
	if logical != "" {
		return fmt.Errorf("cannot load Arrow %s (logical %q) into PostgreSQL %s", dt, logical, t.Name)
	}
	return fmt.Errorf("cannot load Arrow %s into PostgreSQL %s", dt, t.Name)
}

func encScalar(name string, dt arrow.DataType, logical string, t Type) (*encCol, error) {
	c := &encCol{name: name, maxScale: noScale}
	id := dt.ID()
	ok := false
	isStr := id == arrow.STRING
	switch {
	case t.Enum:
		c.kind, ok = eBytes, isStr && logical == LogicalEnum
	case t.OID == oidBool:
		c.kind, ok = eBool, id == arrow.BOOL
	case t.OID == oidInt2:
		c.kind, ok = eInt2, id == arrow.INT16
	case t.OID == oidInt4:
		c.kind, ok = eInt4, id == arrow.INT32
		if id == arrow.INT16 {
			c.kind, ok = eInt4From2, true
		}
	case t.OID == oidInt8:
		c.kind, ok = eInt8, id == arrow.INT64
		switch id {
		case arrow.INT16:
			c.kind, ok = eInt8From2, true
		case arrow.INT32:
			c.kind, ok = eInt8From4, true
		}
	case t.OID == oidFloat4:
		c.kind, ok = eFloat4, id == arrow.FLOAT32
	case t.OID == oidFloat8:
		c.kind, ok = eFloat8, id == arrow.FLOAT64
		if id == arrow.FLOAT32 {
			c.kind, ok = eFloat8From4, true
		}
	case t.OID == oidNumeric:
		return encNumeric(c, dt, logical, t)
	case t.OID == oidText || t.OID == oidVarchar || t.OID == oidBpchar || t.OID == oidName:
		c.kind, ok = eBytes, isStr
	case t.OID == oidJSON || t.OID == oidJSONB:
		c.kind, ok = eBytes, isStr && (logical == "" || logical == LogicalJSON || logical == LogicalJSONB)
		if t.OID == oidJSONB {
			c.kind = eJSONB
		}
	case t.OID == oidBytea:
		c.kind, ok = eBytes, id == arrow.BINARY
	case t.OID == oidDate:
		c.kind, ok = eDate, id == arrow.DATE32
	case t.OID == oidTime:
		c.kind, ok = eTime, arrow.TypeEqual(dt, arrow.FixedWidthTypes.Time64us)
	case t.OID == oidTimeTZ:
		c.kind, ok = eTimeTZ, arrow.TypeEqual(dt, typTimeTZ)
	case t.OID == oidTimestamp:
		c.kind, ok = eTimestamp, arrow.TypeEqual(dt, typTimestamp)
	case t.OID == oidTimestamptz:
		c.kind, ok = eTimestamp, arrow.TypeEqual(dt, typTimestamptz)
	case t.OID == oidInterval:
		c.kind, ok = eInterval, id == arrow.INTERVAL_MONTH_DAY_NANO
	case t.OID == oidUUID:
		c.kind, c.width, ok = eFixed, 16, arrow.TypeEqual(dt, typUUID)
	case t.OID == oidMacaddr:
		c.kind, c.width, ok = eFixed, 6, arrow.TypeEqual(dt, typMacaddr)
	case t.OID == oidInet || t.OID == oidCidr:
		c.kind, ok = eInet, isStr && (logical == LogicalInet || logical == LogicalCidr)
		if t.OID == oidCidr {
			c.kind = eCidr
		}
	default:
		return nil, fmt.Errorf("target type %s (oid %d) is %w", t.Name, t.OID, ErrUnsupported)
	}
	if !ok {
		return nil, errPair(dt, logical, t)
	}
	if c.kind == eTimeTZ {
		c.kids = [2]*encCol{{name: name, kind: eTime}, {name: name, kind: eInt4}}
	}
	return c, nil
}

// encNumeric accepts decimal128 when every value fits the target's typmod
// without rounding, and numeric text, which is checked value by value.
func encNumeric(c *encCol, dt arrow.DataType, logical string, t Type) (*encCol, error) {
	tp, ts, constrained := numericTypmod(t.Typmod)
	switch d := dt.(type) {
	case *arrow.Decimal128Type:
		if d.Scale < -1000 || d.Scale > 1000 {
			return nil, fmt.Errorf("decimal128 scale %d is outside PostgreSQL's -1000..1000", d.Scale)
		}
		if constrained && (d.Scale > ts || d.Precision-d.Scale > tp-ts) {
			return nil, fmt.Errorf("cannot load Arrow %s into numeric(%d,%d) without rounding or overflow", dt, tp, ts)
		}
		c.kind, c.scale = eNumDec, d.Scale
		return c, nil
	case *arrow.StringType:
		if logical != LogicalNumeric {
			break
		}
		c.kind = eNumText
		if constrained {
			c.maxScale = int(ts)
		}
		return c, nil
	}
	return nil, errPair(dt, logical, t)
}
