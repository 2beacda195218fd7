package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/dbmig/dbmig/format"
)

// readObjects lists the database's views, triggers, procedures, functions
// and events with their full CREATE statements (SHOW CREATE ...), so that a
// catalog segment carries them and nothing is dropped silently. Triggers
// and views are listed whatever --tables selects: they may span tables.
func readObjects(ctx context.Context, conn *sql.Conn, database string) ([]format.Object, error) {
	type obj struct{ kind, name, table, show string }
	var list []obj
	q := func(query, kind, show string) error {
		rows, err := conn.QueryContext(ctx, query, database)
		if err != nil {
			return fmt.Errorf("list %ss: %w", kind, err)
		}
		defer rows.Close()
		for rows.Next() {
			var o obj
			if err := rows.Scan(&o.name, &o.table, &o.kind); err != nil {
				return fmt.Errorf("list %ss: %w", kind, err)
			}
			if o.kind == "" {
				o.kind = kind
			}
			o.kind = strings.ToLower(o.kind)
			o.show = show + " " + strings.ToUpper(o.kind)
			list = append(list, o)
		}
		return rows.Err()
	}
	if err := q(`SELECT TABLE_NAME, '', 'view' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`, "view", "SHOW CREATE"); err != nil {
		return nil, err
	}
	if err := q(`SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, 'trigger' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`, "trigger", "SHOW CREATE"); err != nil {
		return nil, err
	}
	if err := q(`SELECT ROUTINE_NAME, '', ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_TYPE, ROUTINE_NAME`, "routine", "SHOW CREATE"); err != nil {
		return nil, err
	}
	if err := q(`SELECT EVENT_NAME, '', 'event' FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME`, "event", "SHOW CREATE"); err != nil {
		return nil, err
	}
	objects := make([]format.Object, 0, len(list))
	for _, o := range list {
		def, err := showCreate(ctx, conn, o.show+" "+quoteIdent(database)+"."+quoteIdent(o.name))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.kind, o.name, err)
		}
		if o.kind == "view" {
			// format.Object holds a view's SELECT alone, which a converter
			// translates; SHOW CREATE VIEW wraps it in CREATE ... VIEW ... AS.
			if loc := createViewPrefix.FindStringIndex(def); loc != nil {
				def = def[loc[1]:]
			}
		}
		objects = append(objects, format.Object{Kind: o.kind, Schema: database, Name: o.name, Table: o.table, Definition: def})
	}
	return objects, nil
}

// createViewPrefix matches what SHOW CREATE VIEW puts before a view's
// SELECT: CREATE [ALGORITHM=…] [DEFINER=…] [SQL SECURITY …] VIEW `name`
// [(columns)] AS.
var createViewPrefix = regexp.MustCompile("(?is)^\\s*CREATE\\s.*?\\bVIEW\\s+(?:`(?:[^`]|``)*`\\.)?`(?:[^`]|``)*`\\s*(?:\\([^)]*\\)\\s*)?AS\\s+")

// showCreate runs a SHOW CREATE statement and returns its "Create ..." or
// "SQL Original Statement" column (their places differ per object kind).
func showCreate(ctx context.Context, conn *sql.Conn, q string) (string, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return "", err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%s returned no row", q)
	}
	vals := make([]sql.NullString, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", err
	}
	for i, n := range names {
		if (strings.HasPrefix(n, "Create ") && n != "Create Table" || n == "SQL Original Statement") && vals[i].Valid {
			return vals[i].String, nil
		}
	}
	return "", fmt.Errorf("%s: no definition (does the user lack the privilege to see it?)", q)
}
