package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/dbmig/dbmig/format"
)

// table is one source table as the catalog describes it, ready to extract.
type table struct {
	id        format.TableID
	cols      []format.Column
	kinds     []kind
	scales    []int
	selects   []string // select-list expressions, one per column
	pk        []string
	keyIdx    []int // positions of the key columns (for error messages)
	pkInt     bool  // a single-column integer primary key
	pkSigned  bool
	autoInc   int // index of the auto_increment column, or -1
	dataBytes int64
	estRows   int64
	header    format.Header
}

func (t *table) String() string { return t.id.String() }

// quoteIdent quotes a MySQL identifier.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// qualified is the quoted database.table.
func (t *table) qualified() string {
	return quoteIdent(t.id.Schema) + "." + quoteIdent(t.id.Name)
}

// selected says whether a table matches the include patterns (all when
// none) and none of the exclude patterns.
func selected(id format.TableID, include, exclude []string) bool {
	match := func(p string) bool {
		name := id.Name
		if strings.Contains(p, ".") {
			name = id.Schema + "." + id.Name
		}
		ok, _ := path.Match(p, name)
		return ok
	}
	in := len(include) == 0
	for _, p := range include {
		in = in || match(p)
	}
	for _, p := range exclude {
		if match(p) {
			return false
		}
	}
	return in
}

// errNoTables is discover's error when no table matches the patterns.
var errNoTables = errors.New("no tables match (check --tables and --exclude)")

// discover lists the selected base tables of database and reads their
// definitions.
func discover(ctx context.Context, conn *sql.Conn, cfg *Config, flavor, database string) ([]*table, error) {
	rows, err := conn.QueryContext(ctx, `
SELECT TABLE_NAME, COALESCE(TABLE_ROWS, 0), COALESCE(DATA_LENGTH, 0)
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
ORDER BY TABLE_NAME`, database)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var tables []*table
	byName := map[string]*table{}
	for rows.Next() {
		t := &table{id: format.TableID{Engine: "mysql", Database: database, Schema: database}, autoInc: -1}
		if err := rows.Scan(&t.id.Name, &t.estRows, &t.dataBytes); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if selected(t.id, cfg.Tables, cfg.Exclude) {
			tables = append(tables, t)
			byName[t.id.Name] = t
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if len(tables) == 0 {
		return nil, errNoTables
	}
	checks, err := readChecks(ctx, conn, flavor, database)
	if err != nil {
		return nil, err
	}
	if err := readColumns(ctx, conn, cfg, database, byName, checks); err != nil {
		return nil, err
	}
	if err := readConstraints(ctx, conn, database, byName, checks); err != nil {
		return nil, err
	}
	if err := readIndexes(ctx, conn, flavor, database, byName); err != nil {
		return nil, err
	}
	for _, t := range tables {
		t.header.Constraints = append(t.header.Constraints, checks[t.id.Name]...)
	}
	return tables, nil
}

func readColumns(ctx context.Context, conn *sql.Conn, cfg *Config, database string, byName map[string]*table,
	checks map[string][]format.Constraint) error {
	rows, err := conn.QueryContext(ctx, `
SELECT TABLE_NAME, COLUMN_NAME, LOWER(DATA_TYPE), COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''),
       COALESCE(COLLATION_NAME, ''), COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0),
       COALESCE(DATETIME_PRECISION, 0), IS_NULLABLE = 'YES', COLUMN_DEFAULT, EXTRA,
       COALESCE(GENERATION_EXPRESSION, ''), COLUMN_KEY
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = ?
ORDER BY TABLE_NAME, ORDINAL_POSITION`, database)
	if err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tname, key string
		var c columnInfo
		var def sql.NullString
		if err := rows.Scan(&tname, &c.name, &c.dataType, &c.columnType, &c.charset, &c.collation, &c.precision,
			&c.scale, &c.dtPrecision, &c.nullable, &def, &c.extra, &c.genExpr, &key); err != nil {
			return fmt.Errorf("read columns: %w", err)
		}
		t := byName[tname]
		if t == nil {
			continue
		}
		if def.Valid {
			c.def = &def.String
		}
		for _, ck := range checks[tname] {
			if isJSONValid(ck.Definition, c.name) {
				c.jsonCheck = true
			}
		}
		if err := t.addColumn(&c, cfg.Unsupported); err != nil {
			return fmt.Errorf("table %s column %s: %w", t, c.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read columns: %w", err)
	}
	return nil
}

// isJSONValid says whether a check is MariaDB's JSON column marker,
// json_valid(`col`).
func isJSONValid(def, col string) bool {
	def = strings.TrimSuffix(strings.TrimPrefix(def, "CHECK ("), ")")
	return strings.EqualFold(def, "json_valid("+quoteIdent(col)+")")
}

func (t *table) addColumn(c *columnInfo, unsupported string) error {
	quoted := quoteIdent(c.name)
	k, typ, logical, sel, err := mapType(c, quoted, unsupported)
	if err != nil {
		return err
	}
	col := format.Column{Name: c.name, Type: typ, Nullable: c.nullable, SourceType: c.columnType,
		Logical: logical, Collation: c.collation, Extra: map[string]string{}}
	if c.charset != "" {
		col.Extra[FieldCharset] = c.charset
	}
	if c.dataType == "enum" || c.dataType == "set" {
		v, err := enumValues(c.columnType)
		if err != nil {
			return err
		}
		col.Extra[FieldValues] = v
	}
	if strings.Contains(c.columnType, "zerofill") {
		col.Extra[FieldZerofill] = "1"
	}
	extra := strings.ToLower(c.extra)
	if i := strings.Index(extra, "on update "); i >= 0 {
		col.Extra[FieldOnUpdate] = strings.TrimSpace(c.extra[i+len("on update "):])
	}
	switch {
	case strings.Contains(extra, "stored generated"):
		col.Generated, col.Extra[FieldGeneratedKind] = c.genExpr, "stored"
	case strings.Contains(extra, "virtual generated"):
		col.Generated, col.Extra[FieldGeneratedKind] = c.genExpr, "virtual"
	default:
		col.Default = defaultSQL(c)
	}
	if strings.Contains(extra, "auto_increment") {
		col.Identity = "by default"
		t.autoInc = len(t.cols)
	}
	t.cols = append(t.cols, col)
	t.kinds = append(t.kinds, k)
	t.scales = append(t.scales, int(c.scale))
	t.selects = append(t.selects, sel)
	return nil
}

// defaultSQL returns a column's default as a MySQL expression. MariaDB
// prints COLUMN_DEFAULT as SQL already ('abc', 1.50, NULL,
// current_timestamp()); MySQL 8 prints literals bare and marks expressions
// DEFAULT_GENERATED. A NULL default is no default.
func defaultSQL(c *columnInfo) string {
	if c.def == nil {
		return ""
	}
	d := *c.def
	extra := strings.ToLower(c.extra)
	switch {
	case d == "NULL":
		return ""
	case strings.Contains(extra, "default_generated"):
		if strings.HasPrefix(strings.ToLower(d), "current_timestamp") {
			return d
		}
		return "(" + d + ")"
	case strings.HasPrefix(d, "'") || isNumber(d) || strings.HasPrefix(d, "b'") || strings.Contains(d, "("):
		return d // MariaDB: already SQL
	}
	// MySQL: a bare literal.
	return "'" + strings.ReplaceAll(strings.ReplaceAll(d, `\`, `\\`), "'", "''") + "'"
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// readChecks returns the check constraints per table.
func readChecks(ctx context.Context, conn *sql.Conn, flavor, database string) (map[string][]format.Constraint, error) {
	q := `SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = ? ORDER BY TABLE_NAME, CONSTRAINT_NAME`
	if flavor == FlavorMySQL {
		// MySQL's CHECK_CONSTRAINTS has no table: names are unique per schema.
		q = `SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS cc
JOIN information_schema.TABLE_CONSTRAINTS tc
  ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME
 AND tc.CONSTRAINT_TYPE = 'CHECK'
WHERE cc.CONSTRAINT_SCHEMA = ? ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME`
	}
	rows, err := conn.QueryContext(ctx, q, database)
	if err != nil {
		return nil, fmt.Errorf("read check constraints: %w", err)
	}
	defer rows.Close()
	out := map[string][]format.Constraint{}
	for rows.Next() {
		var tname, name, clause string
		if err := rows.Scan(&tname, &name, &clause); err != nil {
			return nil, fmt.Errorf("read check constraints: %w", err)
		}
		out[tname] = append(out[tname], format.Constraint{Name: name, Kind: "check", Definition: "CHECK (" + clause + ")"})
	}
	return out, rows.Err()
}

// readConstraints reads primary, unique and foreign keys.
func readConstraints(ctx context.Context, conn *sql.Conn, database string, byName map[string]*table,
	checks map[string][]format.Constraint) error {
	rows, err := conn.QueryContext(ctx, `
SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, k.COLUMN_NAME,
       COALESCE(k.REFERENCED_TABLE_SCHEMA, ''), COALESCE(k.REFERENCED_TABLE_NAME, ''),
       COALESCE(k.REFERENCED_COLUMN_NAME, ''), COALESCE(rc.UPDATE_RULE, ''), COALESCE(rc.DELETE_RULE, '')
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME
 AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS rc
  ON rc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND rc.TABLE_NAME = tc.TABLE_NAME
 AND rc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_TYPE, tc.CONSTRAINT_NAME, k.ORDINAL_POSITION`, database)
	if err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	defer rows.Close()
	type key struct{ table, name, kind string }
	byKey := map[key]*format.Constraint{}
	var order []key
	var rules = map[key][2]string{}
	for rows.Next() {
		var tname, name, typ, col, rschema, rtable, rcol, upd, del string
		if err := rows.Scan(&tname, &name, &typ, &col, &rschema, &rtable, &rcol, &upd, &del); err != nil {
			return fmt.Errorf("read constraints: %w", err)
		}
		if byName[tname] == nil {
			continue
		}
		k := key{tname, name, typ}
		c := byKey[k]
		if c == nil {
			kind := map[string]string{"PRIMARY KEY": "primary", "UNIQUE": "unique", "FOREIGN KEY": "foreign"}[typ]
			c = &format.Constraint{Name: name, Kind: kind, RefSchema: rschema, RefTable: rtable}
			if kind != "foreign" {
				c.Index = name
			}
			byKey[k] = c
			order = append(order, k)
			rules[k] = [2]string{upd, del}
		}
		c.Columns = append(c.Columns, col)
		if rcol != "" {
			c.RefColumns = append(c.RefColumns, rcol)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read constraints: %w", err)
	}
	for _, k := range order {
		c, t := byKey[k], byName[k.table]
		cols := quoteList(c.Columns)
		switch c.Kind {
		case "primary":
			c.Definition = "PRIMARY KEY (" + cols + ")"
			t.setPrimaryKey(c.Columns)
		case "unique":
			c.Definition = "UNIQUE (" + cols + ")"
		case "foreign":
			c.Definition = fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s.%s (%s) ON DELETE %s ON UPDATE %s", cols,
				quoteIdent(c.RefSchema), quoteIdent(c.RefTable), quoteList(c.RefColumns), rules[k][1], rules[k][0])
		}
		t.header.Constraints = append(t.header.Constraints, *c)
	}
	return nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

func (t *table) setPrimaryKey(cols []string) {
	t.pk = cols
	for i, name := range cols {
		for j := range t.cols {
			if t.cols[j].Name == name {
				t.cols[j].PKOrdinal = i + 1
				t.keyIdx = append(t.keyIdx, j)
			}
		}
	}
	if len(t.keyIdx) == 1 {
		switch t.kinds[t.keyIdx[0]] {
		case kInt8, kInt16, kInt32, kInt64:
			t.pkInt, t.pkSigned = true, true
		case kUint8, kUint16, kUint32, kUint64:
			t.pkInt = true
		}
	}
}

// readIndexes reads every index but the primary key's, as CREATE INDEX
// statements with prefix lengths and FULLTEXT/SPATIAL kinds.
func readIndexes(ctx context.Context, conn *sql.Conn, flavor, database string, byName map[string]*table) error {
	expr := "NULL"
	if flavor == FlavorMySQL {
		expr = "EXPRESSION" // MySQL 8 functional key parts
	}
	rows, err := conn.QueryContext(ctx, `
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, COALESCE(COLUMN_NAME, ''), COALESCE(SUB_PART, 0),
       COALESCE(COLLATION, 'A'), INDEX_TYPE, COALESCE(`+expr+`, '')
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND INDEX_NAME <> 'PRIMARY'
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`, database)
	if err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	defer rows.Close()
	type idx struct {
		t     *table
		ix    format.Index
		parts []string
		typ   string
	}
	var all []*idx
	var cur *idx
	for rows.Next() {
		var tname, name, col, collation, typ, expression string
		var unique bool
		var sub int64
		if err := rows.Scan(&tname, &name, &unique, &col, &sub, &collation, &typ, &expression); err != nil {
			return fmt.Errorf("read indexes: %w", err)
		}
		t := byName[tname]
		if t == nil {
			continue
		}
		if cur == nil || cur.t != t || cur.ix.Name != name {
			cur = &idx{t: t, ix: format.Index{Name: name, Unique: unique}, typ: typ}
			all = append(all, cur)
		}
		part := "(" + expression + ")"
		if col != "" {
			part = quoteIdent(col)
			cur.ix.Columns = append(cur.ix.Columns, col)
			if sub > 0 {
				part += "(" + strconv.FormatInt(sub, 10) + ")"
			}
		}
		if collation == "D" {
			part += " DESC"
		}
		cur.parts = append(cur.parts, part)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read indexes: %w", err)
	}
	for _, x := range all {
		kw := "INDEX"
		switch {
		case x.typ == "FULLTEXT":
			kw = "FULLTEXT INDEX"
		case x.typ == "SPATIAL":
			kw = "SPATIAL INDEX"
		case x.ix.Unique:
			kw = "UNIQUE INDEX"
		}
		if len(x.ix.Columns) < len(x.parts) {
			x.ix.Columns = nil // expressions are indexed
		}
		x.ix.Definition = fmt.Sprintf("CREATE %s %s ON %s (%s)", kw, quoteIdent(x.ix.Name), x.t.qualified(), strings.Join(x.parts, ", "))
		if x.ix.Unique {
			x.ix.Constraint = x.ix.Name // a MySQL unique key is its index
		}
		x.t.header.Indexes = append(x.t.header.Indexes, x.ix)
	}
	return nil
}

// readAutoIncrement sets each table's next AUTO_INCREMENT value as its
// sequence's last_value (not yet called). It runs after the snapshot is
// taken: the counter only grows, so it is then past every copied row.
func readAutoIncrement(ctx context.Context, conn *sql.Conn, database string, tables []*table) error {
	rows, err := conn.QueryContext(ctx, `SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES
WHERE TABLE_SCHEMA = ? AND AUTO_INCREMENT IS NOT NULL`, database)
	if err != nil {
		return fmt.Errorf("read auto_increment values: %w", err)
	}
	defer rows.Close()
	next := map[string]int64{}
	for rows.Next() {
		var name string
		var n uint64
		if err := rows.Scan(&name, &n); err != nil {
			return fmt.Errorf("read auto_increment values: %w", err)
		}
		next[name] = int64(min(n, 1<<63-1))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read auto_increment values: %w", err)
	}
	for _, t := range tables {
		if t.autoInc < 0 {
			continue
		}
		n, ok := next[t.id.Name]
		if !ok {
			n = 1
		}
		c := &t.cols[t.autoInc]
		c.Sequence = &format.Sequence{Name: t.id.Name + "." + c.Name, Type: c.SourceType, Start: 1, Increment: 1,
			Min: 1, Max: 1<<63 - 1, LastValue: n, IsCalled: false}
	}
	return nil
}
