package convert

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/dbmig/dbmig/format"
	"github.com/dbmig/dbmig/internal/testdb"
	"github.com/dbmig/dbmig/readers/mysql"
)

// TestMariaDBToPostgres runs the real pipeline: readers/mysql extracts a
// MariaDB table, Convert converts it, writers/postgres loads it.
func TestMariaDBToPostgres(t *testing.T) {
	my := testdb.MySQL(t)
	my.Exec(t, "CREATE TABLE `OrderLine` (`Id` int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, `ProductName` varchar(20), "+
		"`Qty` tinyint, `Big` bigint unsigned, `Color` enum('red','green'), `Tags` set('x','y'), "+
		"`Changed` timestamp(6) NOT NULL DEFAULT current_timestamp(6) ON UPDATE current_timestamp(6))",
		"INSERT INTO `OrderLine` (`ProductName`, `Qty`, `Big`, `Color`, `Tags`, `Changed`) VALUES "+
			"('héllo', -128, 18446744073709551615, 'green', 'x,y', '2020-01-02 03:04:05.678901'), (NULL, 127, 0, NULL, '', '2021-01-01 00:00:00')")
	var src bytes.Buffer
	w := format.NewWriter(&src, format.WriterOptions{})
	if _, err := mysql.Extract(context.Background(), mysql.Config{DSN: my.DSN}, w); err != nil {
		t.Fatalf("extract: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, rep, err := convertStream(t, Options{To: EnginePostgres, Identifiers: "snake", Schema: "shop"}, src.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	_, conn := loadPG(t, out)
	types := pgTypes(t, conn, "shop.order_line")
	for c, w := range map[string]string{"id": "bigint", "product_name": "character varying(20)", "qty": "smallint", "big": "numeric(20,0)",
		"color": "shop.order_line_color", "tags": "text[]", "changed": "timestamp(6) with time zone"} {
		if types[c] != w {
			t.Errorf("column %s: %q, want %q", c, types[c], w)
		}
	}
	pgText(t, conn, "SET TIME ZONE 'UTC'")
	got := pgText(t, conn, `SELECT id::text, coalesce(product_name, 'NULL'), qty::text, big::text, coalesce(color::text, 'NULL'), tags::text, changed::text FROM shop.order_line ORDER BY order_line.id`)
	want := "1|héllo|-128|18446744073709551615|green|{x,y}|2020-01-02 03:04:05.678901+00;2|NULL|127|0|NULL|{}|2021-01-01 00:00:00+00"
	if strings.Join(got, ";") != want {
		t.Errorf("rows\n got %q\nwant %q", strings.Join(got, ";"), want)
	}
	var text strings.Builder
	_ = rep.WriteText(&text)
	t.Log(text.String())
}

// MariaDB's own uuid, inet4 and inet6 types map to PostgreSQL's uuid and inet.
func TestMariaDBNativeTypesToPostgres(t *testing.T) {
	my := testdb.MySQL(t)
	my.Exec(t, "CREATE TABLE m (id int PRIMARY KEY, u uuid, a inet4, b inet6)",
		"INSERT INTO m VALUES (1, '123e4567-e89b-12d3-a456-426614174000', '10.1.2.3', '2001:db8::1'), (2, 'FFFFFFFF-0000-0000-0000-000000000001', NULL, '::ffff:1.2.3.4'), (3, NULL, '0.0.0.0', NULL)")
	var src bytes.Buffer
	w := format.NewWriter(&src, format.WriterOptions{})
	if _, err := mysql.Extract(context.Background(), mysql.Config{DSN: my.DSN}, w); err != nil {
		t.Fatalf("extract: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, _, err := convertStream(t, Options{To: EnginePostgres, Schema: "s"}, src.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	_, conn := loadPG(t, out)
	types := pgTypes(t, conn, "s.m")
	for c, w := range map[string]string{"u": "uuid", "a": "inet", "b": "inet"} {
		if types[c] != w {
			t.Errorf("column %s: %q, want %q", c, types[c], w)
		}
	}
	got := strings.Join(pgText(t, conn, `SELECT id::text, coalesce(u::text, 'NULL'), coalesce(a::text, 'NULL'), coalesce(b::text, 'NULL') FROM s.m ORDER BY id`), ";")
	want := "1|123e4567-e89b-12d3-a456-426614174000|10.1.2.3/32|2001:db8::1/128;2|ffffffff-0000-0000-0000-000000000001|NULL|::ffff:1.2.3.4/128;3|NULL|0.0.0.0/32|NULL" // inet::text always prints the mask
	if got != want {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
}
