package convert

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	drv "github.com/go-sql-driver/mysql"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/readers/mysql"
	pgreader "github.com/dbmig/dbmig/readers/postgres"
	mywriter "github.com/dbmig/dbmig/writers/mysql"
)

// bigBlobRow adds to examples/testdata/mysql_alltypes.sql a 16 MB longblob
// (under MariaDB's default 16 MiB max_allowed_packet), 4-byte UTF-8 in a json
// and a text, latin1 beyond ASCII.
const bigBlobRow = `INSERT INTO all_types (id, lb, j, lt, l1, e, st) VALUES (5, REPEAT(UNHEX('00FF7F80'), 4000000), '{"a": "𝄞😀"}', '😀', 'ÿþ£', 'b,c', 'w"q')`

func allTypesSQL(t *testing.T) []string {
	return append(testdb.Statements(t, "../../examples/testdata/mysql_alltypes.sql"), bigBlobRow)
}

// allTypesPG is the PostgreSQL declaration of each column after
// --to postgres (docs/CONVERT.md), in schema app.
var allTypesPG = map[string]string{
	"id": "bigint", "ti": "smallint", "tiu": "smallint", "t1": "smallint", "si": "smallint", "siu": "integer",
	"mi": "integer", "miu": "bigint", "i": "integer", "iu": "bigint", "bi": "bigint", "biu": "numeric(20,0)",
	"d10": "numeric(10,2)", "d38": "numeric(38,10)", "d65": "numeric(65,30)", "f": "real", "dbl": "double precision",
	"b1": "bit varying(1)", "b64": "bit varying(64)", "y": "smallint", "dt": "date",
	"dtm": "timestamp(0) without time zone", "dtm6": "timestamp(6) without time zone", "ts": "timestamp(3) with time zone",
	"tm": "interval", "tm6": "interval", "c": "character(5)", "vc": "character varying(40)",
	"tt": "text", "tx": "text", "mt": "text", "lt": "text", "l1": "character varying(20)",
	"bn": "bytea", "vb": "bytea", "bl": "bytea", "lb": "bytea", "e": "app.all_types_e", "st": "text[]", "j": "jsonb",
	"g_stored": "bigint", "g_virtual": "character varying(50)",
}

// TestRoundTripMySQLPostgresMySQL is issue 3's acceptance: the all-types
// table goes MySQL → PostgreSQL → MySQL (into a copy of its original
// CREATE TABLE, with --like) and comes back identical, row by row, but for
// zero dates, which PostgreSQL cannot hold: under --zero-dates=null they
// come back NULL, under epoch 1970-01-01, and error stops on the way out.
func TestRoundTripMySQLPostgresMySQL(t *testing.T) {
	a := testdb.MySQL(t)
	a.Exec(t, allTypesSQL(t)...)
	src := extractMySQL(t, a)

	t.Run("error", func(t *testing.T) {
		_, _, err := convertStream(t, Options{To: EnginePostgres, Schema: "app"}, src)
		if err == nil || !strings.Contains(err.Error(), "zero date") || !strings.Contains(err.Error(), "key (id)=(1)") {
			t.Fatalf("--zero-dates=error: %v, want a zero date error naming key (id)=(1)", err)
		}
	})
	for _, policy := range []struct{ name, date, datetime string }{
		{"null", "NULL", "NULL"},
		{"epoch", "1970-01-01", "1970-01-01 00:00:00"},
	} {
		t.Run(policy.name, func(t *testing.T) {
			pgStream, _, err := convertStream(t, Options{To: EnginePostgres, Schema: "app", ZeroDates: policy.name}, src)
			if err != nil {
				t.Fatal(err)
			}
			pg, conn := loadPG(t, pgStream)
			types := pgTypes(t, conn, "app.all_types")
			for c, want := range allTypesPG {
				if types[c] != want {
					t.Errorf("PostgreSQL column %s: %q, want %q", c, types[c], want)
				}
			}
			if len(types) != len(allTypesPG) {
				t.Errorf("PostgreSQL columns %v", types)
			}

			back := extractPG(t, pg.DSN)
			b := testdb.MySQL(t)
			b.Exec(t, showCreateTable(t, a, "all_types"))
			myStream, rep, err := convertStream(t, Options{To: EngineMySQL, Like: likeOf(t, b)}, back)
			if err != nil {
				t.Fatalf("convert back: %v", err)
			}
			var text strings.Builder
			_ = rep.WriteText(&text)
			t.Log(text.String())
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			if _, err := mywriter.Load(ctx, mywriter.Config{DSN: b.URL, Parallel: 1},
				format.NewReader(bytes.NewReader(myStream), format.ReaderOptions{})); err != nil {
				t.Fatalf("load back: %v", err)
			}

			want := canonicalRows(t, a, "all_types")
			got := canonicalRows(t, b, "all_types")
			// Zero dates are the one change, as the policy says.
			want[0]["dt"], want[0]["dtm"] = policy.date, policy.datetime
			if len(want) != 5 || len(want[0]) != len(allTypesPG) || !strings.HasPrefix(want[4]["lb"], "16000000:") {
				t.Fatalf("source rows: %d rows, %d columns, blob of %d hex digits", len(want), len(want[0]), len(want[4]["lb"]))
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows back, want %d", len(got), len(want))
			}
			for r := range want {
				for col, w := range want[r] {
					if g := got[r][col]; g != w {
						t.Errorf("row id=%s, column %s: %s, want %s", want[r]["id"], col, short(g), short(w))
					}
				}
			}
		})
	}
}

func short(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%s… (%d bytes)", s[:80], len(s))
	}
	return s
}

func extractMySQL(t *testing.T, db *testdb.MySQLDB) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Compression: format.CompressionNone})
	if _, err := mysql.Extract(context.Background(), mysql.Config{DSN: db.DSN}, w); err != nil {
		t.Fatalf("extract MySQL: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// extractPG reads app.all_types back; bit varying has no Arrow mapping and
// travels as text (--unsupported=text).
func extractPG(t *testing.T, dsn string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Compression: format.CompressionNone})
	if _, err := pgreader.Extract(context.Background(), pgreader.Config{DSN: dsn, Tables: []string{"app.all_types"}, UnsupportedAsText: true}, w); err != nil {
		t.Fatalf("extract PostgreSQL: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func showCreateTable(t *testing.T, db *testdb.MySQLDB, table string) string {
	t.Helper()
	conn := openMy(t, db)
	var name, ddl string
	if err := conn.QueryRow("SHOW CREATE TABLE "+myIdent(table)).Scan(&name, &ddl); err != nil {
		t.Fatal(err)
	}
	return ddl
}

// likeOf reads the tables of db as dbconvert --like does.
func likeOf(t *testing.T, db *testdb.MySQLDB) []LikeTable {
	t.Helper()
	ctx := context.Background()
	sc, err := mysql.DialScan(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	tables, err := sc.Tables(ctx, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []LikeTable
	for _, st := range tables {
		id := st.ID()
		out = append(out, LikeTable{Database: id.Database, Name: id.Name, Columns: st.Columns(), PrimaryKey: st.PrimaryKey(),
			Constraints: st.Constraints(), Indexes: st.Indexes()})
	}
	return out
}

func openMy(t *testing.T, db *testdb.MySQLDB) *sql.DB {
	t.Helper()
	cfg, err := drv.ParseDSN(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Params = map[string]string{"time_zone": "'+00:00'"}
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// canonicalRows reads every column of every row, ordered by id, as text
// the server prints in session time zone UTC: HEX for bits, length and
// HEX (or SHA-256 when long) for binary strings, floats widened to DOUBLE (the text protocol prints a FLOAT with 6
// digits), everything else as the server's text.
func canonicalRows(t *testing.T, db *testdb.MySQLDB, table string) []map[string]string {
	t.Helper()
	conn := openMy(t, db)
	rows, err := conn.Query("SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", db.Database, table)
	if err != nil {
		t.Fatal(err)
	}
	var names, exprs []string
	for rows.Next() {
		var n, dt string
		if err := rows.Scan(&n, &dt); err != nil {
			t.Fatal(err)
		}
		e := myIdent(n)
		switch dt {
		case "bit":
			e = "HEX(" + e + ")"
		case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
			// HEX of 16 MB is over max_allowed_packet (the server returns
			// NULL): long values compare by length and SHA-256.
			e = fmt.Sprintf("CONCAT(LENGTH(%[1]s), ':', IF(LENGTH(%[1]s) > 1024, SHA2(%[1]s, 256), HEX(%[1]s)))", e)
		case "float":
			e = "CAST(" + e + " AS DOUBLE)"
		}
		names, exprs = append(names, n), append(exprs, e)
	}
	rows.Close()
	rows, err = conn.Query("SELECT " + strings.Join(exprs, ", ") + " FROM " + myIdent(table) + " ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, v := range vals {
			row[names[i]] = "NULL"
			if v.Valid {
				row[names[i]] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
