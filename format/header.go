package format

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// Version is the stream format version this package writes. A reader accepts
// streams of this version and refuses newer ones with a clear message.
const Version = 1

// Kind says what a segment carries.
type Kind string

// Segment kinds.
const (
	// KindSnapshot segments carry rows of a table (or of one chunk of it) as
	// read in one consistent snapshot.
	KindSnapshot Kind = "snapshot"
	// KindTrailer is the last segment of every stream: it has no columns and
	// no batches, only counts in its schema metadata.
	KindTrailer Kind = "trailer"
	// KindCatalog segments have no columns and no batches: their schema
	// metadata lists source objects that are not tables (views, triggers,
	// procedures, functions) under KeyObjects, so a converter can translate
	// them and a report can list what is left for manual work.
	KindCatalog Kind = "catalog"
)

// Schema-level metadata keys. See docs/FORMAT.md.
const (
	KeyVersion     = "dbmig.version"
	KeyKind        = "dbmig.kind"
	KeyStream      = "dbmig.stream"
	KeyEngine      = "dbmig.engine"
	KeyDatabase    = "dbmig.database"
	KeySchema      = "dbmig.schema"
	KeyTable       = "dbmig.table"
	KeyPrimaryKey  = "dbmig.primary_key"
	KeyChunk       = "dbmig.chunk"
	KeyChunkIndex  = "dbmig.chunk.index"
	KeyChunkCount  = "dbmig.chunk.count"
	KeySnapshot    = "dbmig.snapshot"
	KeyConstraints = "dbmig.constraints"
	KeyIndexes     = "dbmig.indexes"
	KeyEstRows     = "dbmig.estimate.rows"
	KeyEstBytes    = "dbmig.estimate.bytes"
	KeyCompression = "dbmig.compression"
	KeyObjects     = "dbmig.objects"
	// KeyTargetEngine is set by a conversion (dbconvert --to ENGINE): from
	// then on the declared types, defaults, generated expressions,
	// collations, constraints and indexes are in that engine's SQL.
	KeyTargetEngine = "dbmig.target_engine"

	// Trailer keys.
	KeySegments = "dbmig.segments"
	KeyRows     = "dbmig.rows"

	// Seal batch (custom metadata of the last, empty batch of a segment).
	KeySeal    = "dbmig.seal"
	KeyBatches = "dbmig.batches"
	KeyDigest  = "dbmig.digest"
)

// Field-level metadata keys. See docs/FORMAT.md.
const (
	FieldSourceType = "dbmig.source_type"
	FieldLogical    = "dbmig.logical"
	FieldDefault    = "dbmig.default"
	FieldPK         = "dbmig.pk"
	FieldIdentity   = "dbmig.identity"
	FieldSequence   = "dbmig.sequence"
	FieldGenerated  = "dbmig.generated"
	FieldCollation  = "dbmig.collation"
	// FieldTargetType is the type a conversion chose for the target engine,
	// in its SQL ("bigint", "numeric(20,0)", "public.color"). The source's
	// declared type stays in FieldSourceType.
	FieldTargetType = "dbmig.target_type"
)

// TableID names a table at its source.
type TableID struct {
	Engine   string // "postgres", "mysql", "mssql"
	Database string
	Schema   string
	Name     string
}

// String returns schema.name (or name alone when there is no schema), unquoted,
// for messages.
func (t TableID) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// Chunk identifies one part of a table's rows. ID is stable for a given table
// and snapshot (for example "ctid:[0,4096)" or "pk:[1,100000)" or "all"), so a
// loader can record which chunks it has committed and skip them on a rerun.
type Chunk struct {
	ID    string
	Index int // 0-based
	Count int // chunks of this table in the stream
}

// Label describes the chunk for messages: "3/40 pk:[1,100)", or the ID alone
// when the count is not known (parts of one scan), or "" for a whole table.
func (c Chunk) Label() string {
	switch {
	case c.Count > 1:
		return fmt.Sprintf("%d/%d %s", c.Index+1, c.Count, c.ID)
	case c.Count == 0 && c.ID != "" && c.ID != "all":
		return c.ID
	}
	return ""
}

// Position is an engine's position in its change stream or snapshot
// (for PostgreSQL: "snapshot", "lsn"; for MySQL: "file", "pos", "gtid").
// It travels as a JSON object of strings.
type Position map[string]string

// Constraint is a table constraint as the source declares it. Definition is in
// the source engine's SQL with every name schema-qualified.
type Constraint struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // "primary", "unique", "check", "foreign", "exclusion"
	Columns    []string `json:"columns,omitempty"`
	Definition string   `json:"definition"`
	RefSchema  string   `json:"ref_schema,omitempty"`
	RefTable   string   `json:"ref_table,omitempty"`
	RefColumns []string `json:"ref_columns,omitempty"`
	Index      string   `json:"index,omitempty"` // index backing a primary/unique constraint
}

// Index is a table index as the source declares it. Definition is the full
// CREATE INDEX statement in the source engine's SQL, names schema-qualified.
// Indexes that back a constraint carry that constraint's name.
type Index struct {
	Name       string   `json:"name"`
	Unique     bool     `json:"unique,omitempty"`
	Columns    []string `json:"columns,omitempty"` // empty when expressions are indexed
	Definition string   `json:"definition"`
	Constraint string   `json:"constraint,omitempty"`
}

// Object is a source object that is not a table, carried by a catalog
// segment. Definition is the source's SQL for it (a view's SELECT, a
// trigger's or routine's full CREATE statement).
type Object struct {
	Kind       string `json:"kind"` // "view", "trigger", "procedure", "function", "event", "sequence"
	Schema     string `json:"schema,omitempty"`
	Name       string `json:"name"`
	Table      string `json:"table,omitempty"` // a trigger's table
	Definition string `json:"definition"`
	// Note says why a converter left the object for manual work, or how it
	// translated it.
	Note string `json:"note,omitempty"`
}

// Estimate is the source's estimate of a chunk's size, for progress reporting.
type Estimate struct {
	Rows  int64
	Bytes int64
}

// Header is the schema-level metadata of a segment.
type Header struct {
	Kind        Kind
	Stream      string // identifies one extraction; the same in all its segments
	Table       TableID
	PrimaryKey  []string
	Chunk       Chunk
	Snapshot    Position
	Constraints []Constraint
	Indexes     []Index
	Objects     []Object // catalog segments
	Estimate    Estimate
	// TargetEngine is the engine a conversion prepared the segment for; ""
	// when the stream is as the source gave it. See Dialect.
	TargetEngine string
	// Compression is the codec of the segment's batch bodies, set by the
	// Writer (readers decompress whatever they find; this is for tools that
	// size buffers or report).
	Compression Compression
	// Extra holds schema metadata keys this package does not interpret
	// (engine-specific keys such as "dbmig.pg.*"); they pass through unchanged.
	Extra map[string]string
}

// Dialect is the engine whose SQL the segment's declarations (column types,
// defaults, generated expressions, collations, constraints, indexes) are
// written in: the conversion's target engine, else the source engine. A
// writer may use declarations as they are only when Dialect is its engine.
func (h Header) Dialect() string {
	if h.TargetEngine != "" {
		return h.TargetEngine
	}
	return h.Table.Engine
}

// DeclaredType is the column's type in the segment's Dialect: the
// conversion's TargetType when there is one, else SourceType.
func (c Column) DeclaredType() string {
	if c.TargetType != "" {
		return c.TargetType
	}
	return c.SourceType
}

// Sequence describes a sequence that feeds a column (an identity column or a
// serial default), with its state at extraction so the target can continue
// past every copied value.
type Sequence struct {
	Schema    string `json:"schema,omitempty"`
	Name      string `json:"name"`
	Type      string `json:"type,omitempty"`
	Start     int64  `json:"start"`
	Increment int64  `json:"increment"`
	Min       int64  `json:"min"`
	Max       int64  `json:"max"`
	Cache     int64  `json:"cache"`
	Cycle     bool   `json:"cycle,omitempty"`
	LastValue int64  `json:"last_value"`
	IsCalled  bool   `json:"is_called"`
}

// Column is one column of a segment: its Arrow field plus what the source
// said about it. It travels as an Arrow field with metadata.
type Column struct {
	Name     string
	Type     arrow.DataType
	Nullable bool
	// SourceType is the type as the source declares it, e.g. "numeric(12,2)",
	// "character varying(20)", "public.mood", "integer[]".
	SourceType string
	// Logical refines the Arrow type where it alone is ambiguous: "json",
	// "jsonb", "numeric" (exact decimal text), "inet", "cidr", "macaddr",
	// "uuid", "enum", "timetz", "interval", "text-cast". Empty otherwise.
	Logical   string
	Default   string // source SQL expression; "" when none
	PKOrdinal int    // 1-based position in the primary key; 0 when not a key column
	Identity  string // "", "always" or "by default"
	Sequence  *Sequence
	Generated string // expression of a stored generated column
	Collation string // non-default collation, schema-qualified
	// TargetType is set by a conversion: the type to declare on the target
	// engine. See DeclaredType.
	TargetType string
	// Extra holds field metadata keys this package does not interpret
	// ("dbmig.pg.enum", "dbmig.pg.domain", ...).
	Extra map[string]string
}

// Field returns the Arrow field for c, metadata included.
func (c Column) Field() arrow.Field {
	kv := map[string]string{}
	for k, v := range c.Extra {
		kv[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			kv[k] = v
		}
	}
	set(FieldSourceType, c.SourceType)
	set(FieldLogical, c.Logical)
	set(FieldDefault, c.Default)
	if c.PKOrdinal > 0 {
		kv[FieldPK] = strconv.Itoa(c.PKOrdinal)
	}
	set(FieldIdentity, c.Identity)
	if c.Sequence != nil {
		b, _ := json.Marshal(c.Sequence) // a struct of strings and ints cannot fail
		kv[FieldSequence] = string(b)
	}
	set(FieldGenerated, c.Generated)
	set(FieldCollation, c.Collation)
	set(FieldTargetType, c.TargetType)
	return arrow.Field{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Metadata: arrow.MetadataFrom(kv)}
}

// ColumnOf reads a Column back from an Arrow field.
func ColumnOf(f arrow.Field) (Column, error) {
	c := Column{Name: f.Name, Type: f.Type, Nullable: f.Nullable}
	md := f.Metadata
	for i, k := range md.Keys() {
		v := md.Values()[i]
		switch k {
		case FieldSourceType:
			c.SourceType = v
		case FieldLogical:
			c.Logical = v
		case FieldDefault:
			c.Default = v
		case FieldPK:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return c, fmt.Errorf("column %q: %s=%q is not a positive integer", f.Name, k, v)
			}
			c.PKOrdinal = n
		case FieldIdentity:
			if v != "always" && v != "by default" {
				return c, fmt.Errorf("column %q: %s=%q is not \"always\" or \"by default\"", f.Name, k, v)
			}
			c.Identity = v
		case FieldSequence:
			var s Sequence
			if err := json.Unmarshal([]byte(v), &s); err != nil {
				return c, fmt.Errorf("column %q: %s: %w", f.Name, k, err)
			}
			c.Sequence = &s
		case FieldGenerated:
			c.Generated = v
		case FieldCollation:
			c.Collation = v
		case FieldTargetType:
			c.TargetType = v
		default:
			if c.Extra == nil {
				c.Extra = map[string]string{}
			}
			c.Extra[k] = v
		}
	}
	return c, nil
}

// Columns reads every column of s.
func Columns(s *arrow.Schema) ([]Column, error) {
	cols := make([]Column, s.NumFields())
	for i, f := range s.Fields() {
		c, err := ColumnOf(f)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return cols, nil
}

// NewSchema builds the Arrow schema of a segment from its header and columns.
func NewSchema(h Header, cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.Field()
	}
	md := h.metadata()
	return arrow.NewSchema(fields, &md)
}

func (h Header) metadata() arrow.Metadata {
	kv := map[string]string{}
	for k, v := range h.Extra {
		kv[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			kv[k] = v
		}
	}
	setJSON := func(k string, v any, empty bool) {
		if !empty {
			b, _ := json.Marshal(v) // plain data types: cannot fail
			kv[k] = string(b)
		}
	}
	kv[KeyVersion] = strconv.Itoa(Version)
	set(KeyKind, string(h.Kind))
	set(KeyStream, h.Stream)
	set(KeyCompression, string(h.Compression))
	set(KeyEngine, h.Table.Engine)
	set(KeyTargetEngine, h.TargetEngine)
	set(KeyDatabase, h.Table.Database)
	set(KeySchema, h.Table.Schema)
	set(KeyTable, h.Table.Name)
	setJSON(KeyPrimaryKey, h.PrimaryKey, len(h.PrimaryKey) == 0)
	set(KeyChunk, h.Chunk.ID)
	if h.Chunk.Count > 0 {
		kv[KeyChunkIndex] = strconv.Itoa(h.Chunk.Index)
		kv[KeyChunkCount] = strconv.Itoa(h.Chunk.Count)
	}
	setJSON(KeySnapshot, h.Snapshot, len(h.Snapshot) == 0)
	setJSON(KeyConstraints, h.Constraints, len(h.Constraints) == 0)
	setJSON(KeyIndexes, h.Indexes, len(h.Indexes) == 0)
	setJSON(KeyObjects, h.Objects, len(h.Objects) == 0)
	if h.Estimate.Rows > 0 {
		kv[KeyEstRows] = strconv.FormatInt(h.Estimate.Rows, 10)
	}
	if h.Estimate.Bytes > 0 {
		kv[KeyEstBytes] = strconv.FormatInt(h.Estimate.Bytes, 10)
	}
	return arrow.MetadataFrom(kv)
}

// ParseHeader reads a segment header from schema metadata. It refuses
// metadata that is not a dbmig stream, or is of a newer format version.
func ParseHeader(md arrow.Metadata) (Header, error) {
	var h Header
	ver, ok := md.GetValue(KeyVersion)
	if !ok {
		return h, fmt.Errorf("not a dbmig stream: schema metadata has no %s key", KeyVersion)
	}
	v, err := strconv.Atoi(ver)
	if err != nil || v < 1 {
		return h, fmt.Errorf("%s=%q is not a format version", KeyVersion, ver)
	}
	if v > Version {
		return h, fmt.Errorf("stream format version %d is newer than this program reads (%d): upgrade dbmig", v, Version)
	}
	atoi := func(k, s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s=%q is not a non-negative integer", k, s)
		}
		return n, nil
	}
	for i, k := range md.Keys() {
		val := md.Values()[i]
		var err error
		switch k {
		case KeyVersion:
		case KeyKind:
			h.Kind = Kind(val)
		case KeyStream:
			h.Stream = val
		case KeyCompression:
			h.Compression = Compression(val)
		case KeyEngine:
			h.Table.Engine = val
		case KeyTargetEngine:
			h.TargetEngine = val
		case KeyDatabase:
			h.Table.Database = val
		case KeySchema:
			h.Table.Schema = val
		case KeyTable:
			h.Table.Name = val
		case KeyPrimaryKey:
			err = json.Unmarshal([]byte(val), &h.PrimaryKey)
		case KeyChunk:
			h.Chunk.ID = val
		case KeyChunkIndex, KeyChunkCount:
			var n int64
			if n, err = atoi(k, val); err == nil {
				if k == KeyChunkIndex {
					h.Chunk.Index = int(n)
				} else {
					h.Chunk.Count = int(n)
				}
			}
		case KeySnapshot:
			err = json.Unmarshal([]byte(val), &h.Snapshot)
		case KeyConstraints:
			err = json.Unmarshal([]byte(val), &h.Constraints)
		case KeyIndexes:
			err = json.Unmarshal([]byte(val), &h.Indexes)
		case KeyObjects:
			err = json.Unmarshal([]byte(val), &h.Objects)
		case KeyEstRows:
			h.Estimate.Rows, err = atoi(k, val)
		case KeyEstBytes:
			h.Estimate.Bytes, err = atoi(k, val)
		default:
			if h.Extra == nil {
				h.Extra = map[string]string{}
			}
			h.Extra[k] = val
		}
		if err != nil {
			return h, fmt.Errorf("schema metadata %s: %w", k, err)
		}
	}
	switch h.Kind {
	case KindSnapshot:
		if h.Table.Name == "" {
			return h, fmt.Errorf("snapshot segment has no %s", KeyTable)
		}
		if h.Chunk.Count > 0 && h.Chunk.Index >= h.Chunk.Count {
			return h, fmt.Errorf("chunk index %d is not below chunk count %d", h.Chunk.Index, h.Chunk.Count)
		}
	case KindChange:
		if h.Table.Name == "" {
			return h, fmt.Errorf("change segment has no %s", KeyTable)
		}
	case KindCheckpoint:
		if _, err := CheckpointOf(h); err != nil {
			return h, err
		}
	case KindTrailer, KindCatalog:
	case "":
		return h, fmt.Errorf("schema metadata has no %s", KeyKind)
	default:
		return h, fmt.Errorf("unknown segment kind %q (this program reads %q, %q, %q, %q and %q)", h.Kind, KindSnapshot, KindCatalog, KindChange, KindCheckpoint, KindTrailer)
	}
	return h, nil
}
