package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// loadCharsets reads which charset each collation id belongs to: TABLE_MAP
// gives collation ids, and the server's own table is the only complete list
// (MariaDB and MySQL number them differently).
func loadCharsets(ctx context.Context, db *sql.DB) (map[uint64]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE ID IS NOT NULL")
	if err != nil {
		return nil, fmt.Errorf("binlog: read collations: %w", err)
	}
	defer rows.Close()
	m := map[uint64]string{63: "binary"}
	for rows.Next() {
		var id uint64
		var cs string
		if err := rows.Scan(&id, &cs); err != nil {
			return nil, fmt.Errorf("binlog: read collations: %w", err)
		}
		m[id] = cs
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("binlog: read collations: %w", err)
	}
	return m, nil
}

// mayNeedCatalog says whether a table has columns the binlog shows as
// binary(4) or binary(16), which MariaDB's inet4, inet6 and uuid types also
// look like there.
func (t *Table) mayNeedCatalog() bool {
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Kind == KindBinary && c.wireType == mysql.MYSQL_TYPE_STRING && (c.Length == 16 || c.Length == 4) {
			return true
		}
	}
	return false
}

// catalogTypes returns the MariaDB uuid/inet columns of a table by name,
// from information_schema, cached until a DDL on the table.
//
// This is the only thing read from the catalog while streaming; everything
// else comes from TABLE_MAP, which describes the table as it was when the
// row was written. The catalog describes it as it is now, so a type read here
// is used only where TABLE_MAP agrees (same column name, a binary string of
// that type's size): a column changed from binary(16) to uuid (or back)
// between the row and now is the one case this cannot tell apart.
func (s *Stream) catalogTypes(ctx context.Context, n TableName) (map[string]string, error) {
	if h, ok := s.hints[n]; ok {
		return h, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('uuid', 'inet4', 'inet6')`, n.Database, n.Name)
	if err != nil {
		return nil, fmt.Errorf("read column types of %s.%s: %w", quoteIdent(n.Database), quoteIdent(n.Name), err)
	}
	defer rows.Close()
	h := map[string]string{}
	for rows.Next() {
		var col, typ string
		if err := rows.Scan(&col, &typ); err != nil {
			return nil, fmt.Errorf("read column types of %s.%s: %w", quoteIdent(n.Database), quoteIdent(n.Name), err)
		}
		h[col] = strings.ToLower(typ)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read column types of %s.%s: %w", quoteIdent(n.Database), quoteIdent(n.Name), err)
	}
	s.hints[n] = h
	return h, nil
}

// inetText stores MariaDB's inet4/inet6 binary form as its text form.
func (s *Stream) inetText(b []byte, v *Value) error {
	var a netip.Addr
	switch len(b) {
	case 4:
		a = netip.AddrFrom4([4]byte(b))
	case 16:
		a = netip.AddrFrom16([16]byte(b))
	default:
		return fmt.Errorf("inet value of %d bytes", len(b))
	}
	v.bytes = s.buf.keep(a.AppendTo(s.buf.space(48)))
	return nil
}

// ddlPattern finds the statements that change table definitions, and the
// first table they name.
var ddlPattern = regexp.MustCompile(`(?is)^\s*(?:/\*.*?\*/\s*)*(CREATE|ALTER|DROP|RENAME|TRUNCATE)\s+(?:(?:OR\s+REPLACE|TEMPORARY|ONLINE|IGNORE)\s+)*(TABLES|TABLE)?\s*(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(.*)$`)

// tableRef matches a possibly qualified, possibly quoted table name.
var tableRef = regexp.MustCompile("^\\s*(`(?:[^`]|``)+`|[\\w$]+)(?:\\s*\\.\\s*(`(?:[^`]|``)+`|[\\w$]+))?")

// parseDDL recognises CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE statements and
// reads the tables they name (all of them for DROP and RENAME lists, as far
// as a plain reading can).
func parseDDL(defaultDB, q string) (DDL, bool) {
	m := ddlPattern.FindStringSubmatch(q)
	if m == nil {
		return DDL{}, false
	}
	verb := strings.ToUpper(m[1])
	if m[2] == "" && verb != "TRUNCATE" {
		return DDL{}, false // CREATE INDEX, DROP VIEW, …: no table definition changes
	}
	d := DDL{Database: defaultDB, truncate: verb == "TRUNCATE"}
	rest := m[3]
	for {
		r := tableRef.FindStringSubmatchIndex(rest)
		if r == nil {
			break
		}
		a, b := rest[r[2]:r[3]], ""
		if r[4] >= 0 {
			b = rest[r[4]:r[5]]
		}
		n := TableName{Database: defaultDB, Name: unquote(a)}
		if b != "" {
			n = TableName{Database: unquote(a), Name: unquote(b)}
		}
		d.Tables = append(d.Tables, n)
		rest = rest[r[1]:]
		// DROP TABLE a, b and RENAME TABLE a TO b, c TO d name several.
		next := strings.TrimLeft(rest, " \t\r\n")
		switch {
		case strings.HasPrefix(next, ","):
			rest = next[1:]
		case verb == "RENAME" && len(next) > 3 && strings.EqualFold(next[:3], "TO "):
			rest = next[3:]
		case verb == "ALTER" && len(next) > 10 && strings.EqualFold(next[:10], "RENAME TO "):
			rest = next[10:]
		default:
			return d, true
		}
	}
	return d, true
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '`' {
		return strings.ReplaceAll(s[1:len(s)-1], "``", "`")
	}
	return s
}

// ddlCaptured says whether a DDL names a captured table.
func (s *Stream) ddlCaptured(d DDL) bool {
	for _, t := range d.Tables {
		if s.cfg.captures(t.Database, t.Name) {
			return true
		}
	}
	return false
}
