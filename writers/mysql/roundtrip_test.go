package mysql

import (
	"bytes"
	"context"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	reader "github.com/dbmig/dbmig/readers/mysql"
)

const roundTripSchema = `
CREATE TABLE parent (
  id int unsigned NOT NULL AUTO_INCREMENT,
  code varchar(10) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY ux_code (code)
) AUTO_INCREMENT=500;
CREATE TABLE child (
  id bigint NOT NULL AUTO_INCREMENT,
  parent_id int unsigned DEFAULT NULL,
  u64 bigint unsigned NOT NULL DEFAULT 0,
  d decimal(65,30) DEFAULT NULL,
  d12 decimal(12,2) DEFAULT '1.50',
  f float DEFAULT NULL,
  b bit(64) DEFAULT NULL,
  y year DEFAULT NULL,
  dt date DEFAULT NULL,
  dtm datetime(6) DEFAULT NULL,
  ts timestamp(3) NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),
  tm time(6) DEFAULT NULL,
  txt mediumtext COLLATE utf8mb4_unicode_ci,
  vb varbinary(64) DEFAULT NULL,
  e enum('a','b,c','it''s') DEFAULT 'a',
  s set('x','y''q','z') DEFAULT NULL,
  j json DEFAULT NULL,
  g bigint GENERATED ALWAYS AS (id * 2) VIRTUAL,
  PRIMARY KEY (id),
  KEY ix_dt (dt, txt(5)),
  FULLTEXT KEY ft_txt (txt),
  CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE,
  CONSTRAINT pos CHECK (u64 >= 0)
);
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00';
INSERT INTO parent (id, code) VALUES (0, 'zero'), (1, 'åäö'), (2, 'b');
INSERT INTO child (id, parent_id, u64, d, d12, f, b, y, dt, dtm, ts, tm, txt, vb, e, s, j) VALUES
 (0, 0, 18446744073709551615, '-0.000000000000000000000000000001', -9999999999.99, 3.4028234e38, b'1111111111111111111111111111111111111111111111111111111111111111', 2155, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', '-838:59:59', 'tab\there\nnl\\bs\0nul 😀', x'00090a5c4e', 'b,c', 'x,y''q', '{"k": "ü😀"}'),
 (1, 1, 0, '99999999999999999999999999999999999.999999999999999999999999999999', 0, -1.5e-38, b'0', 1901, '1000-01-01', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '838:59:59.999999', '', '', 'it''s', '', '[1, 2.5, null]'),
 (2, NULL, 5, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO child (parent_id, txt) SELECT 2, CONCAT('row ', seq) FROM seq_1_to_3000;
`

// TestRoundTripMySQL extracts a MariaDB database with readers/mysql and
// loads it into another with --create: every value and the DDL (SHOW
// CREATE TABLE) come back the same.
func TestRoundTripMySQL(t *testing.T) {
	src, dst := testdb.MySQL(t), testdb.MySQL(t)
	src.Exec(t, roundTripSchema)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	var buf bytes.Buffer
	w := format.NewWriter(&buf, format.WriterOptions{Allocator: mem})
	if _, err := reader.Extract(ctx, reader.Config{DSN: src.URL, ChunkBytes: 16 << 10, Allocator: mem}, w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := load(t, dst, Config{Create: true, Parallel: 2}, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stream %d bytes, %+v", buf.Len(), st)
	sp, dp := open(t, src), open(t, dst)
	for _, q := range []string{
		"SELECT id, code, HEX(code) FROM parent ORDER BY id",
		"SELECT id, parent_id, u64, d, d12, f, HEX(b), CAST(y AS CHAR), CAST(dt AS CHAR), CAST(dtm AS CHAR), CAST(ts AS CHAR), tm, HEX(txt), HEX(vb), e, s, j, g FROM child ORDER BY id",
	} {
		if a, b := query(t, sp, q), query(t, dp, q); a != b {
			t.Errorf("%s:\nsource %.600s\ntarget %.600s", q, a, b)
		}
	}
	// The DDL is the same up to the order of keys and constraints, and a
	// column's CHECK (MariaDB's JSON check) which comes back as a table
	// constraint of the same name (added after the data).
	columnCheck := regexp.MustCompile("(?m)^  `([^`]+)` (.*) CHECK \\((.*)\\),?$")
	normalize := func(ddl string) string {
		ddl = columnCheck.ReplaceAllString(ddl, "  `$1` $2,\n  CONSTRAINT `$1` CHECK ($3)")
		lines := strings.Split(ddl, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSuffix(l, ",")
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	for _, table := range []string{"parent", "child"} {
		a, b := query(t, sp, "SHOW CREATE TABLE "+table), query(t, dp, "SHOW CREATE TABLE "+table)
		if normalize(a) != normalize(b) {
			t.Errorf("SHOW CREATE TABLE %s:\nsource %s\ntarget %s", table, a, b)
		}
	}
}
