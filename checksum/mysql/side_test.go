package mysql

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbmig/dbmig/checksum/compare"
	"github.com/dbmig/dbmig/checksum/postgres"
	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	rmysql "github.com/dbmig/dbmig/readers/mysql"
	"github.com/dbmig/dbmig/transforms/convert"
	pgwriter "github.com/dbmig/dbmig/writers/postgres"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// migrate runs the real pipeline, as dbextract | dbconvert | dbload would:
// readers/mysql.Extract, convert.Convert to PostgreSQL, writers/postgres.Load.
func migrate(t *testing.T, my *testdb.MySQLDB, opts convert.Options) *testdb.PG {
	t.Helper()
	ctx := context.Background()
	var src bytes.Buffer
	w := format.NewWriter(&src, format.WriterOptions{})
	if _, err := rmysql.Extract(ctx, rmysql.Config{DSN: my.DSN}, w); err != nil {
		t.Fatalf("extract: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	opts.To = convert.EnginePostgres
	var out bytes.Buffer
	if _, err := convert.Convert(ctx, opts, format.NewReader(bytes.NewReader(src.Bytes()), format.ReaderOptions{}),
		func(id string) *format.Writer {
			return format.NewWriter(&out, format.WriterOptions{StreamID: id, Compression: format.CompressionNone})
		}); err != nil {
		t.Fatalf("convert: %v", err)
	}
	pg := testdb.Postgres(t)
	if _, err := pgwriter.Load(ctx, pgwriter.Config{DSN: pg.DSN, Create: true, Parallel: 1},
		format.NewReader(bytes.NewReader(out.Bytes()), format.ReaderOptions{})); err != nil {
		t.Fatalf("load: %v", err)
	}
	return pg
}

func openMySQL(t *testing.T, my *testdb.MySQLDB) *Side {
	t.Helper()
	dsn := my.URL
	if dsn == "" {
		dsn = my.DSN // a unix-socket server has no URL
	}
	s, err := Open(context.Background(), Config{DSN: dsn, Name: "mysql"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPG(t *testing.T, pg *testdb.PG) *postgres.Side {
	t.Helper()
	s, err := postgres.Open(context.Background(), postgres.Config{DSN: pg.DSN, Name: "postgres"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func check(t *testing.T, a, b compare.Side, cfg compare.Config) *compare.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := compare.Compare(ctx, a, b, cfg)
	if err != nil {
		t.Fatalf("compare: %v", err)
	}
	return rep
}

// diffs lists a table's row differences as "kind key [columns]".
func diffs(rep *compare.Report) []string {
	var out []string
	for _, tr := range rep.Tables {
		for _, d := range tr.Rows {
			keys := make([]string, 0, len(d.Key))
			for k, v := range d.Key {
				keys = append(keys, k+"="+v)
			}
			slices.Sort(keys)
			s := d.Kind + " " + strings.Join(keys, ",")
			for _, c := range d.Columns {
				s += " " + c.Column
			}
			out = append(out, s)
		}
	}
	return out
}

func reportText(rep *compare.Report) string {
	var b strings.Builder
	_ = rep.WriteText(&b)
	return b.String()
}

const manyTypes = "CREATE TABLE many (id int unsigned NOT NULL PRIMARY KEY, ti tinyint, flag tinyint(1), " +
	"su smallint unsigned, bi bigint, bu bigint unsigned, f float, d double, num decimal(10,3), " +
	"vc varchar(20), ch char(5), tx text, e enum('red','green'), st set('x','y','z'), j json, " +
	"dt date, dtm datetime(6), ts timestamp(6) NULL, tm time(6), b bit(5), bin varbinary(10), u uuid, yr year)"

const manyRows = "INSERT INTO many VALUES " +
	"(1, -128, 1, 65535, -9223372036854775808, 18446744073709551615, 1.5, -0e0, 1.500, 'héllo', 'ab', 'long text', 'green', 'x,z', " +
	"'{\"b\": 1, \"a\": [1.50, \"x\"]}', '2024-02-29', '2024-01-02 03:04:05.678901', '2024-01-02 03:04:05.000001', '-838:59:59', " +
	"b'00101', x'00ff10', '123e4567-e89b-12d3-a456-426614174000', 2155), " +
	"(2, 0, 0, 0, 0, 0, -3.25, 1e300, -0.001, '', '', '', 'red', '', '[]', '1000-01-01', '1970-01-01 00:00:00', " +
	"'1970-01-01 00:00:01', '00:00:00.5', b'0', x'', NULL, 1901), " +
	"(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"

// A MariaDB table of many types migrated to PostgreSQL by the real
// pipeline compares equal; then one changed value, one deleted row, one
// extra row and one changed key on the PostgreSQL side are exactly what
// is reported.
func TestMySQLToPostgres(t *testing.T) {
	my := testdb.MySQL(t)
	my.Exec(t, manyTypes, manyRows)
	my.Exec(t, "INSERT INTO many (id, vc) SELECT seq, CONCAT('v', seq) FROM seq_10_to_60")
	pg := migrate(t, my, convert.Options{Schema: "public"})

	a, b := openMySQL(t, my), openPG(t, pg)
	rep := check(t, a, b, compare.Config{RangeRows: 4})
	if !rep.Equal() {
		t.Fatalf("after migration: not equal:\n%s", reportText(rep))
	}
	if m := rep.Tables[0].Mode; m != compare.ModeStream {
		t.Errorf("mode %s, want stream across engines", m)
	}

	pg.Exec(t, `UPDATE many SET tm = interval '-838:59:58' WHERE id = 1`,
		`DELETE FROM many WHERE id = 2`,
		`INSERT INTO many (id, vc) VALUES (100, 'extra')`,
		`UPDATE many SET id = 61 WHERE id = 40`)
	rep = check(t, a, b, compare.Config{RangeRows: 4})
	got := diffs(rep)
	want := []string{"changed id=1 tm", "missing id=2", "missing id=40", "extra id=61", "extra id=100"}
	if !slices.Equal(got, want) {
		t.Errorf("differences\n got %q\nwant %q\n%s", got, want, reportText(rep))
	}
}

// Text keys are ordered by their bytes, not the collation: 'a', 'A', 'á'
// and 'a ' are distinct keys in a utf8mb4_bin column, and ranges cut
// between them select exactly their rows on both engines. In a _ci column
// they cannot coexist as keys; what is there compares equal.
func TestTextKeys(t *testing.T) {
	my := testdb.MySQL(t)
	my.Exec(t, "CREATE TABLE kb (k varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY, v int)",
		"INSERT INTO kb VALUES ('a', 1), ('A', 2), ('á', 3), ('B', 4), ('b', 5), ('é', 6), ('E', 7), ('a\\t', 8), ('', 9), ('z', 10), ('Z', 11), ('ß', 12)",
		"CREATE TABLE kci (k varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci PRIMARY KEY, v int)",
		"INSERT INTO kci VALUES ('a', 1), ('B', 2), ('é', 3), ('Z', 4), ('m', 5), ('N', 6), ('o', 7), ('P', 8)")
	pg := migrate(t, my, convert.Options{Schema: "public"})
	a, b := openMySQL(t, my), openPG(t, pg)
	rep := check(t, a, b, compare.Config{RangeRows: 1})
	if !rep.Equal() {
		t.Fatalf("not equal:\n%s", reportText(rep))
	}
	// Only the case of 'A' changes in PostgreSQL (a collation that
	// ignores case would see no change).
	pg.Exec(t, `UPDATE kb SET v = 20 WHERE k = 'A'`, `UPDATE kci SET k = 'b' WHERE k = 'B'`, `DELETE FROM kb WHERE k = 'á'`)
	rep = check(t, a, b, compare.Config{RangeRows: 1})
	got := diffs(rep)
	want := []string{"changed k=A v", "missing k=á", "missing k=B", "extra k=b"}
	if !slices.Equal(got, want) {
		t.Errorf("differences\n got %q\nwant %q\n%s", got, want, reportText(rep))
	}
}

// MySQL against MySQL: digests computed in the servers (pushdown), then
// the rows of the differing ranges compared here.
func TestMySQLPushdown(t *testing.T) {
	ma, mb := testdb.MySQL(t), testdb.MySQL(t)
	for _, m := range []*testdb.MySQLDB{ma, mb} {
		m.Exec(t, manyTypes, manyRows, "INSERT INTO many (id, vc, d) SELECT seq, CONCAT('v', seq), seq / 7 FROM seq_10_to_500",
			"CREATE TABLE kb (k varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, n int, PRIMARY KEY (k, n))",
			"INSERT INTO kb VALUES ('a', 1), ('A', 1), ('á', 1), ('a', 2), ('b', 1)")
	}
	a, b := openMySQL(t, ma), openMySQL(t, mb)
	rep := check(t, a, b, compare.Config{RangeRows: 20})
	if !rep.Equal() {
		t.Fatalf("not equal:\n%s", reportText(rep))
	}
	for _, tr := range rep.Tables {
		if tr.Mode != compare.ModePushdown {
			t.Errorf("%s: mode %s, want pushdown", tr.Table, tr.Mode)
		}
	}
	mb.Exec(t, "UPDATE many SET vc = 'changed' WHERE id = 250", "DELETE FROM many WHERE id = 3",
		"INSERT INTO many (id) VALUES (1000)", "UPDATE many SET d = 0 WHERE id = 1",
		"DELETE FROM kb WHERE k = 'A'", "INSERT INTO kb VALUES ('á', 2)")
	rep = check(t, a, b, compare.Config{RangeRows: 20})
	got := diffs(rep)
	want := []string{"missing k=A,n=1", "extra k=á,n=2", "missing id=3", "changed id=250 vc", "extra id=1000"}
	if !slices.Equal(got, want) {
		t.Errorf("differences\n got %q\nwant %q\n%s", got, want, reportText(rep))
	}
	// Stream mode finds the same.
	rep = check(t, a, b, compare.Config{RangeRows: 20, Mode: compare.ModeStream})
	if got := diffs(rep); !slices.Equal(got, want) {
		t.Errorf("stream: differences\n got %q\nwant %q", got, want)
	}
}
